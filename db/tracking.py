"""The applications a user tracks: every status change kept with its time, what changed since, export and restore.

A posting's application status is its latest row in the `applications` table (rows are only ever added), so
that the history survives re-scrapes, refits and `profiles build`, none of which touch this table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from ..models import APPLICATION_STATUSES
from .connection import rows_in, write_transaction

STATUSES = APPLICATION_STATUSES
HIDDEN_BY_DEFAULT = ("hidden", "rejected")  # `jobs` leaves these out unless --all or --tracked names them
# The posting fields whose change a tracker wants to hear about (posting_versions names them so).
WATCHED_FIELDS = {"title": "title", "description": "description", "salary_min": "pay", "salary_max": "pay",
                  "salary_currency": "pay", "salary_period": "pay"}
EXPORT_FORMAT = "asr-jobs-user-data"
EXPORT_VERSION = 1
# Tables of the user's own judgements an export carries when the database has them (ratings come from
# `asr-jobs rate`); the postings themselves are left out: a scrape brings them back under the same ids.
USER_TABLES = ("applications", "ratings")


def now_iso() -> str:
    """Now, as the store writes times (store.now_iso; not imported: the schema module imports this one)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def latest_sql(column: str, posting: str = "p.id") -> str:
    """SQL for a column of a posting's latest application row (NULL when it is not tracked)."""
    return f"(SELECT a.{column} FROM applications a WHERE a.posting_id = {posting} ORDER BY a.id DESC LIMIT 1)"


def latest_note_sql(posting: str = "p.id") -> str:
    """SQL for the latest note given for a posting (a mark without --note keeps the earlier note showing)."""
    return (f"(SELECT a.note FROM applications a WHERE a.posting_id = {posting} AND coalesce(a.note, '') != '' "
            "ORDER BY a.id DESC LIMIT 1)")


def mark(db: sqlite_utils.Database, posting_id: str, status: str, note: str | None = None,
         at: str | None = None) -> dict[str, Any]:
    """Add a status change for a posting (nothing is overwritten) and return the row added."""
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    row = {"posting_id": posting_id, "status": status, "note": (note or "").strip() or None,
           "marked_at": at or now_iso()}
    with write_transaction(db):
        row["id"] = db.table("applications").insert(row).last_pk
    return row


def history(db: sqlite_utils.Database, posting_id: str) -> list[dict[str, Any]]:
    """A posting's status changes, oldest first."""
    return list(db.query("SELECT status, note, marked_at FROM applications WHERE posting_id = ? ORDER BY id",
                         [posting_id]))


@dataclass(frozen=True)
class Change:
    """Something that happened to a tracked posting after it was last marked."""

    posting_id: str
    title: str
    lab: str
    tracked: str
    what: str  # "closed", or "changed: title, pay"


def changes_since(db: sqlite_utils.Database, since: str | None = None) -> dict[str, Change]:
    """Tracked postings (not hidden) that closed or whose title, description or pay changed after their last mark.

    With `since`, only what happened at or after that time (an update reports what its own scrape saw).
    Times are to the second: a change seen in the same second as the mark counts as after it.
    """
    sql = f"""SELECT p.id, p.title, p.lab, p.status, t.status AS tracked, t.marked_at, v.field, v.changed_at, v.new
              FROM postings p
              JOIN applications t ON t.id = (SELECT max(id) FROM applications WHERE posting_id = p.id)
              JOIN posting_versions v ON v.posting_id = p.id AND v.changed_at >= t.marked_at
              WHERE t.status != 'hidden' AND (v.field IN ({", ".join("'" + f + "'" for f in WATCHED_FIELDS)})
                    OR (v.field = 'status' AND v.new = 'closed')) AND v.changed_at >= :since
              ORDER BY p.id, v.id"""
    found: dict[str, dict[str, Any]] = {}
    for row in db.query(sql, {"since": since or ""}):
        entry = found.setdefault(row["id"], {"row": row, "fields": [], "closed": None})
        if row["field"] == "status":
            entry["closed"] = row["changed_at"][:10]
        elif WATCHED_FIELDS[row["field"]] not in entry["fields"]:
            entry["fields"].append(WATCHED_FIELDS[row["field"]])
    changes = {}
    for pid, entry in found.items():
        row = entry["row"]
        parts = [f"closed {entry['closed']}"] if entry["closed"] and row["status"] == "closed" else []
        if entry["fields"]:
            parts.append("changed: " + ", ".join(entry["fields"]))
        if parts:
            changes[pid] = Change(pid, row["title"], row["lab"], row["tracked"], "; ".join(parts))
    return changes


def tracked(db: sqlite_utils.Database, statuses: list[str] | None = None) -> list[dict[str, Any]]:
    """Every tracked posting with its current status, when it was first and last marked, its note and changes.

    Ordered along the application pipeline (interested first, hidden last), then latest mark first.
    """
    order = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STATUSES))
    wanted = statuses or list(STATUSES)
    sql = f"""SELECT p.id, t.status AS tracked, substr(t.marked_at, 1, 10) AS since,
                     (SELECT substr(min(marked_at), 1, 10) FROM applications WHERE posting_id = p.id) AS first_marked,
                     p.title, p.lab, p.status, {latest_note_sql()} AS note, p.url
              FROM postings p
              JOIN applications t ON t.id = (SELECT max(id) FROM applications WHERE posting_id = p.id)
              WHERE t.status IN ({", ".join("?" for _ in wanted)})
              ORDER BY CASE t.status {order} END, t.marked_at DESC"""
    changes = changes_since(db)
    return [{**row, "changes": changes[row["id"]].what if row["id"] in changes else ""}
            for row in db.query(sql, wanted)]


def export_rows(db: sqlite_utils.Database) -> dict[str, Any]:
    """The user's own data: the application history (with each posting's lab, source id and title) and ratings."""
    data: dict[str, Any] = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "exported_at": now_iso()}
    data["applications"] = list(db.query(
        """SELECT a.posting_id, a.status, a.note, a.marked_at, p.lab, p.source_id, p.title
           FROM applications a LEFT JOIN postings p ON p.id = a.posting_id ORDER BY a.id"""))
    if "ratings" in db.table_names():
        data["ratings"] = list(db.query("SELECT * FROM ratings"))
    return data


def export_file(db: sqlite_utils.Database, path: str | Path) -> dict[str, int]:
    """Write the user's data to a JSON file; how many rows of each table it holds."""
    data = export_rows(db)
    Path(path).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return {table: len(data[table]) for table in USER_TABLES if table in data}


@dataclass
class Restored:
    """What a restore added: history rows and ratings, and how many rows name postings not stored here."""

    applications: int = 0
    already_there: int = 0
    ratings: int = 0
    ratings_skipped: int = 0  # the export has ratings but this database has no ratings table
    unknown_postings: int = 0


def read_export(path: str | Path) -> dict[str, Any]:
    """An export file's data; ValueError naming the file when it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not an asr-jobs export ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ValueError(f"{path}: not an asr-jobs export (`asr-jobs export FILE.json` writes one)")
    if data.get("version", 0) > EXPORT_VERSION:
        raise ValueError(f"{path}: made by a newer asr-jobs (export version {data['version']})")
    if not isinstance(data.get("applications", []), list) or not isinstance(data.get("ratings", []), list):
        raise ValueError(f"{path}: its applications and ratings must be lists")
    return data


def restore(db: sqlite_utils.Database, data: dict[str, Any], path: str | Path) -> Restored:
    """Add the history rows of an export (read from `path`) that the database lacks, and its ratings.

    A restore run twice adds nothing the second time.
    """
    rows = [_history_row(path, row) for row in data.get("applications", [])]
    done = Restored()
    with write_transaction(db):
        present = {(r["posting_id"], r["status"], r["note"], r["marked_at"]) for r in db.query(
            "SELECT posting_id, status, note, marked_at FROM applications")}
        new = [r for r in rows if (r["posting_id"], r["status"], r["note"], r["marked_at"]) not in present]
        new.sort(key=lambda r: r["marked_at"])  # ids follow time, so "latest" stays the latest mark
        done.already_there = len(rows) - len(new)
        if new:
            db.table("applications").insert_all(new)
        done.applications = len(new)
        ids = list({r["posting_id"] for r in rows})
        stored = {r["id"] for r in rows_in(db, "SELECT id FROM postings WHERE id IN ({ids})", ids)}
        done.unknown_postings = len(set(ids) - stored)
        ratings = data.get("ratings", [])
        if ratings and "ratings" in db.table_names():
            columns = set(db.table("ratings").columns_dict)
            db.table("ratings").insert_all([{k: v for k, v in r.items() if k in columns} for r in ratings],
                                           replace=True)
            done.ratings = len(ratings)
        else:
            done.ratings_skipped = len(ratings)
    return done


def _history_row(path: str | Path, row: Any) -> dict[str, Any]:
    """An export's history row as stored; ValueError naming the file for a malformed one."""
    if (not isinstance(row, dict) or not isinstance(row.get("posting_id"), str) or row.get("status") not in STATUSES
            or not isinstance(row.get("marked_at"), str)):
        raise ValueError(f"{path}: an application row needs posting_id, a status ({', '.join(STATUSES)}) "
                         f"and marked_at: {json.dumps(row)[:120]}")
    note = row.get("note")
    return {"posting_id": row["posting_id"], "status": row["status"],
            "note": note if isinstance(note, str) and note else None, "marked_at": row["marked_at"]}
