"""The SQLite store: opening a database, saving scraped postings with their history, scrape runs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import sqlite_utils

from ..models import CONTENT_FIELDS, Posting, stable_id
from ..safetext import printable
from .connection import rows_in, write_transaction
from .rows import posting_row
from .schema import ensure_db_shape

DEFAULT_DB = "jobs.db"
# A lab whose scrape returns fewer than this share of its open postings closes nothing unless told to.
DROP_RATIO = 0.5
BUSY_TIMEOUT_MS = 30000

def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def utc_iso(value: str | datetime) -> str:
    """A time as the store writes it (UTC, ISO 8601 to the second); a time without a zone is taken as UTC.

    ValueError names the value when it is not an ISO 8601 time.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 time (e.g. 2026-11-01T09:30:00Z)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _before(a: str | None, b: str | None) -> bool:
    """Whether time `a` is strictly before time `b` (False when either is unknown).

    Every time the store writes is UTC ISO 8601 to the second (now_iso, utc_iso): such times order as text.
    """
    return bool(a and b) and str(a) < str(b)


def default_db_path() -> str:
    return os.environ.get("ASR_JOBS_DB") or DEFAULT_DB


def open_db(path: str | Path | None = None) -> sqlite_utils.Database:
    """A database in this release's shape (schema.py), WAL on and a busy timeout for concurrent readers/writers."""
    if path is None or str(path) == ":memory:":
        db = sqlite_utils.Database(memory=True)
    else:
        db = sqlite_utils.Database(path)
    # The busy timeout first: switching to WAL, like any write, must wait for another process, not fail.
    db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    if not db.memory and db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    ensure_db_shape(db)
    return db


def has_postings(db: sqlite_utils.Database) -> bool:
    """Whether the postings table holds any row."""
    return db.execute("SELECT 1 FROM postings LIMIT 1").fetchone() is not None


def save_labs(db: sqlite_utils.Database, labs: Iterable[Any]) -> None:
    """Record the configured labs, so that datasette and `labs` can name and facet them."""
    rows = [
        {"name": lab.name, "title": lab.title, "category": lab.category, "adapter": lab.adapter,
         "homepage": lab.homepage, "config": json.dumps({"params": lab.params, "queries": lab.queries,
                                                         "filters": lab.filters})}
        for lab in labs
    ]
    if rows:
        db.table("labs").upsert_all(rows, pk="name")


@dataclass
class SaveResult:
    seen: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    reopened: int = 0
    closed: int = 0
    uncertain: int = 0
    older: int = 0  # stored state newer than the data (seen or closed after it): left as it was
    suspicious: str | None = None
    new_ids: list[str] = field(default_factory=list)


def save_postings(
    db: sqlite_utils.Database,
    postings: list[Posting],
    *,
    fields: dict[str, dict[str, Any]] | None = None,
    now: str | None = None,
) -> SaveResult:
    """Insert new postings, update changed ones (keeping their versions), touch the rest; closes nothing.

    `now` is when the data was seen (a saved file's time for an import). A posting seen again after it
    was closed is reopened: status open, reopened_at set, a status version kept. Data older than what is
    stored (the posting was seen or closed after `now`) changes nothing: it is counted as `older`.
    """
    fields = fields or {}
    return save_rows(db, [posting_row(posting, fields.get(posting.id)) for posting in postings], now=now)


def save_rows(db: sqlite_utils.Database, rows: list[dict[str, Any]], *, now: str | None = None) -> SaveResult:
    """save_postings for the postings' rows (posting_row), made beforehand (an import makes them in its worker)."""
    now = now or now_iso()
    result = SaveResult()
    unique = {row["id"]: row for row in rows}  # a site listing a posting twice must not count it twice
    result.seen = len(unique)
    existing = _existing(db, list(unique))
    new_rows, changed_rows, touched, versions = [], [], [], []
    for pid, row in unique.items():
        old = existing.get(pid)
        if old is None:
            row.update(first_seen=now, last_seen=now, status="open")
            new_rows.append(row)
            result.new_ids.append(pid)
            continue
        if _before(now, old["last_seen"]) or (old["status"] == "closed" and _before(now, old["closed_at"])):
            result.older += 1
            continue
        reopened = old["status"] == "closed"
        if reopened:
            result.reopened += 1
            versions.append({"posting_id": pid, "changed_at": now, "field": "status", "old": "closed", "new": "open"})
        if old["content_hash"] != row["content_hash"]:
            versions.extend(_versions(pid, old, row, now))
            row.update(first_seen=old["first_seen"], last_seen=now, status="open",
                       closed_at=None, reopened_at=now if reopened else old["reopened_at"])
            changed_rows.append(row)
            result.updated += 1
        else:
            touched.append((now, now if reopened else old["reopened_at"], pid))
            result.unchanged += 1
    result.new = len(new_rows)
    if new_rows:
        _insert(db, new_rows)
    if changed_rows:
        db.table("postings").upsert_all(changed_rows, pk="id", batch_size=500)
    if touched:
        db.conn.executemany(
            "UPDATE postings SET last_seen = ?, status = 'open', closed_at = NULL, reopened_at = ? WHERE id = ?",
            touched,
        )
    if versions:
        db.table("posting_versions").insert_all(versions)
    return result


def _insert(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> None:
    """New rows into postings, in order: what insert_all stores, without its per-value conversions.

    A column some rows lack (pay read from the text or not) is NULL in those, as insert_all writes it;
    every value is a number, a string or None, which sqlite3 stores as sqlite-utils would.
    """
    columns = tuple(dict.fromkeys(name for row in rows for name in row))
    values = [tuple(row.values()) if tuple(row) == columns else tuple(row.get(name) for name in columns)
              for row in rows]
    names = ", ".join(f'"{name}"' for name in columns)
    with db.atomic():  # as insert_all: committed at once outside a transaction, a savepoint inside one
        db.conn.executemany(f'INSERT INTO "postings" ({names}) VALUES ({", ".join("?" * len(columns))})', values)


def _existing(db: sqlite_utils.Database, ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    columns = ", ".join(("id", "status", "first_seen", "last_seen", "closed_at", "reopened_at", "content_hash")
                        + CONTENT_FIELDS)
    for row in rows_in(db, f"SELECT {columns} FROM postings WHERE id IN ({{ids}})", ids):
        found[row["id"]] = row
    return found


def _versions(pid: str, old: dict[str, Any], new: dict[str, Any], now: str) -> list[dict[str, Any]]:
    return [
        {"posting_id": pid, "changed_at": now, "field": name, "old": _text(old.get(name)), "new": _text(new.get(name))}
        for name in CONTENT_FIELDS
        if _text(old.get(name)) != _text(new.get(name))
    ]


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def open_count(db: sqlite_utils.Database, lab: str) -> int:
    return db.execute("SELECT count(*) FROM postings WHERE lab = ? AND status != 'closed'", [lab]).fetchone()[0]


def save_scrape(
    db: sqlite_utils.Database,
    lab: str,
    postings: list[Posting],
    *,
    complete: bool,
    gone: Iterable[str] = (),
    accept_drop: bool = False,
    fields: dict[str, dict[str, Any]] | None = None,
    now: str | None = None,
) -> SaveResult:
    """Save one lab's scrape in one transaction.

    Postings it no longer lists are closed only after a complete scrape; postings whose own page answered
    404/410 (`gone`, source ids) are closed after any scrape that finished. A suspicious drop (zero, or fewer
    than half of the open postings) closes nothing unless `accept_drop`. What is not closed and not seen
    becomes uncertain.
    """
    now = now or now_iso()
    gone_ids = {stable_id(lab, str(source_id)) for source_id in gone}
    postings = [p for p in postings if p.id not in gone_ids]  # a page that is gone wins over a stale listing
    with write_transaction(db):
        before = open_count(db, lab)
        result = save_postings(db, postings, fields=fields, now=now)
        seen_ids = {p.id for p in postings}
        unseen = [r[0] for r in db.execute(
            "SELECT id FROM postings WHERE lab = ? AND status != 'closed'", [lab]).fetchall() if r[0] not in seen_ids]
        to_close = [i for i in unseen if i in gone_ids] + ([i for i in unseen if i not in gone_ids] if complete else [])
        if to_close and before and result.seen < before * DROP_RATIO and not accept_drop:
            result.suspicious = (f"{lab}: the scrape returned {result.seen} postings where {before} were open; "
                                 "nothing was closed (pass --accept-drop if the lab really removed them)")
            to_close = []
        closing = set(to_close)
        _set_status(db, to_close, "closed", now)
        uncertain = [i for i in unseen if i not in closing]
        _set_status(db, uncertain, "uncertain", None)
        result.closed, result.uncertain = len(to_close), len(uncertain)
    return result


def mark_uncertain(db: sqlite_utils.Database, lab: str) -> int:
    """After a failed scrape: the lab's open postings could not be checked, so they become uncertain."""
    with write_transaction(db):
        cursor = db.execute("UPDATE postings SET status = 'uncertain' WHERE lab = ? AND status = 'open'", [lab])
    return cursor.rowcount


def _set_status(db: sqlite_utils.Database, ids: list[str], status: str, closed_at: str | None) -> None:
    """Set a status; closing records closed_at and a version row (the history keeps when it closed)."""
    if not ids:
        return
    if status == "closed":
        rows = _statuses(db, ids)
        db.conn.executemany("UPDATE postings SET status = 'closed', closed_at = ? WHERE id = ?",
                            [(closed_at, i) for i in ids])
        db.table("posting_versions").insert_all(
            {"posting_id": i, "changed_at": closed_at, "field": "status", "old": rows.get(i), "new": "closed"}
            for i in ids)
    else:
        db.conn.executemany("UPDATE postings SET status = ? WHERE id = ?", [(status, i) for i in ids])


def _statuses(db: sqlite_utils.Database, ids: list[str]) -> dict[str, str]:
    rows = rows_in(db, "SELECT id, status FROM postings WHERE id IN ({ids})", ids)
    return {row["id"]: row["status"] for row in rows}


def start_run(db: sqlite_utils.Database, lab: str, started_at: str | None = None) -> int:
    with write_transaction(db):
        row = {"lab": lab, "started_at": started_at or now_iso(), "status": "running", "pid": os.getpid()}
        return cast(int, db.table("scrape_runs").insert(row).last_pk)  # an INTEGER PRIMARY KEY


def finish_run(db: sqlite_utils.Database, run_id: int, **values: Any) -> None:
    """Record how a run ended; its texts (errors, warnings quoting servers) stored printable."""
    values = {key: printable(value) if isinstance(value, str) else value for key, value in values.items()}
    values.setdefault("finished_at", now_iso())
    with write_transaction(db):
        db.table("scrape_runs").update(run_id, values)


def interrupt_stale_runs(db: sqlite_utils.Database) -> int:
    """Runs left 'running' by a process that no longer exists (killed, crashed) become 'interrupted'."""
    rows = db.execute("SELECT id, pid FROM scrape_runs WHERE status = 'running'").fetchall()
    stale = [run_id for run_id, pid in rows if not _alive(pid)]
    if stale:
        message = ("the scrape was killed before this run finished; each lab's postings are as of its last "
                   "complete save")
        with write_transaction(db):
            db.conn.executemany("UPDATE scrape_runs SET status = 'interrupted', error = ?, finished_at = ? "
                                "WHERE id = ? AND status = 'running'",
                                [(message, now_iso(), run_id) for run_id in stale])
    return len(stale)


def interrupt_own_runs(db: sqlite_utils.Database, reason: str) -> int:
    """This process's runs still 'running' become 'interrupted' (a scrape stopped by Ctrl-C), with `reason`."""
    with write_transaction(db):
        cursor = db.conn.execute("UPDATE scrape_runs SET status = 'interrupted', error = ?, finished_at = ? "
                                 "WHERE status = 'running' AND pid = ?", [reason, now_iso(), os.getpid()])
    return cursor.rowcount


def run_status(run: dict[str, Any]) -> str | None:
    """A run row's status as it stands: 'running' only while the process that started it is alive."""
    if run.get("status") == "running" and not _alive(run.get("pid")):
        return "interrupted"
    return run.get("status")


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def previous_postings(db: sqlite_utils.Database, lab: str) -> tuple[dict[str, Posting], dict[str, str]]:
    """The lab's stored postings by source id, and their listing keys, so adapters can skip unchanged details."""
    postings: dict[str, Posting] = {}
    keys: dict[str, str] = {}
    for row in db.query("SELECT * FROM postings WHERE lab = ?", [lab]):
        postings[row["source_id"]] = posting_from_row(row)
        if row["listing_key"]:
            keys[row["source_id"]] = row["listing_key"]
    return postings, keys


def posting_from_row(row: dict[str, Any]) -> Posting:
    """The posting an adapter returned, rebuilt from its row (pay read from the text is not the site's)."""
    extra = json.loads(row["extra"]) if row.get("extra") else {}
    if row.get("listing_key"):
        extra["listing_key"] = row["listing_key"]
    if row.get("salary_source") == "text":
        row = {**row, "salary_min": None, "salary_max": None, "salary_currency": None, "salary_period": None}
    return Posting(
        lab=row["lab"], source_id=row["source_id"], title=row["title"], url=row["url"] or "",
        description=row["description"] or "", location=row["location"] or "", team=row["team"] or "",
        workplace=row["workplace"] or "", employment_type=row["employment_type"] or "",
        posted_at=row["posted_at"], updated_at=row["updated_at"], salary_min=row["salary_min"],
        salary_max=row["salary_max"], salary_currency=row["salary_currency"], salary_period=row["salary_period"],
        company=row["company"] or "", extra=extra,
    )


def last_runs(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    """The latest scrape run of each lab."""
    sql = """SELECT * FROM scrape_runs WHERE id IN (SELECT max(id) FROM scrape_runs GROUP BY lab)"""
    return {row["lab"]: row for row in db.query(sql)}
