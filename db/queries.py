"""Read-side queries for the CLI: ranked matches, one posting, its scores."""

from __future__ import annotations

import bisect
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from ..models import Lab
from .grouping import GROUP_JOIN, LEADS_ONLY, MORE_PLACES
from .match_levels import match_level
from .pay import YEARLY_FACTOR
from .schema import DEMO_MARKER
from .store import last_runs, run_status
from .tracking import HIDDEN_BY_DEFAULT, latest_note_sql, latest_sql

RANKED_SQL = """
SELECT m.rank, round(m.score, 4) AS score, p.id, p.title, p.lab, nullif(coalesce(p.location, '') || """ + MORE_PLACES + """, '')
       AS location, p.seniority, p.url, p.status, p.first_seen, p.salary_min, p.salary_max, p.salary_currency,
       p.salary_period, m.terms, """ + latest_sql("status") + """ AS tracked, """ + latest_note_sql() + """ AS note
FROM matches m JOIN postings p ON p.id = m.posting_id """ + GROUP_JOIN + """
WHERE m.profile = :profile AND """ + LEADS_ONLY + """ {where}
ORDER BY m.rank
{limit}
"""


@dataclass(frozen=True)
class JobFilters:
    """What `jobs` narrows the ranked list to, beyond lab, newness and posting status."""

    tracked: tuple[str, ...] = ()  # application statuses; () for any (hidden and rejected left out unless show_all)
    show_all: bool = False
    search: str | None = None  # full text over title and description (postings_fts)
    location: str | None = None  # a substring of the location, any case
    remote: bool = False
    min_salary: float | None = None  # the posting's maximum pay (per year), in its own currency
    include_unpaid: bool = False
    seniority: tuple[str, ...] = ()
    category: str | None = None
    since_days: float | None = None  # first seen at most this many days ago


def filter_clauses(db: sqlite_utils.Database, f: JobFilters) -> tuple[list[str], dict[str, Any]]:
    """SQL conditions on postings p (and their application status) for the filters, with their parameters."""
    where: list[str] = []
    params: dict[str, Any] = {}
    tracked = latest_sql("status")
    if f.tracked:
        params.update({f"tracked{i}": s for i, s in enumerate(f.tracked)})
        where.append(f"{tracked} IN ({', '.join(':tracked' + str(i) for i in range(len(f.tracked)))})")
    elif not f.show_all:
        where.append(f"coalesce({tracked}, '') NOT IN ({', '.join(repr(s) for s in HIDDEN_BY_DEFAULT)})")
    if f.search and f.search.strip():
        # quote_fts: every word is a term, so a user's quotes, dashes or AND/OR are text, not FTS syntax
        where.append("p.rowid IN (SELECT rowid FROM postings_fts WHERE postings_fts MATCH :search)")
        params["search"] = db.quote_fts(f.search)
    if f.location:
        where.append("instr(lower(coalesce(p.location, '')), lower(:location)) > 0")
        params["location"] = f.location.strip()
    if f.remote:
        where.append("(p.workplace = 'remote' OR lower(coalesce(p.location, '')) LIKE '%remote%')")
    if f.min_salary is not None:
        pay = f"coalesce(p.salary_max, p.salary_min) * {YEARLY_FACTOR}"
        unpaid = " OR (p.salary_max IS NULL AND p.salary_min IS NULL)" if f.include_unpaid else ""
        where.append(f"({pay} >= :min_salary{unpaid})")
        params["min_salary"] = f.min_salary
    if f.seniority:
        params.update({f"level{i}": s for i, s in enumerate(f.seniority)})
        where.append(f"p.seniority IN ({', '.join(':level' + str(i) for i in range(len(f.seniority)))})")
    if f.category:
        where.append("(SELECT l.category FROM labs l WHERE l.name = p.lab) = :category")
        params["category"] = f.category
    if f.since_days is not None:
        where.append("julianday(p.first_seen) >= julianday('now') - :since_days")
        params["since_days"] = f.since_days
    return where, params


def salary_text(row: dict[str, Any]) -> str:
    """'$200K–$280K/yr' style text of a row's pay, or ''."""
    lo, hi = row.get("salary_min"), row.get("salary_max")
    if lo is None and hi is None:
        return ""
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(row.get("salary_currency") or "", (row.get("salary_currency") or "") + " ")
    period = {"year": "/yr", "hour": "/hr", "month": "/mo"}.get(row.get("salary_period") or "", "")

    def fmt(v: float) -> str:
        return f"{symbol}{v / 1000:.0f}K" if v >= 1000 else f"{symbol}{v:g}"

    if lo is not None and hi is not None and lo != hi:
        return f"{fmt(lo)}–{fmt(hi)}{period}"
    amount = lo if lo is not None else hi
    return f"{fmt(amount)}{period}" if amount is not None else ""


def ranked(db: sqlite_utils.Database, profile: str, *, labs: list[str] | None = None, only_new: bool = False,
           status: str | None = None, limit: int = 20, filters: JobFilters | None = None) -> list[dict[str, Any]]:
    """Ranked postings of a profile with filters; `terms` decoded to [[term, share], ...]."""
    where, params = filter_clauses(db, filters or JobFilters(show_all=True))
    params["profile"] = profile
    if status in (None, "open", "uncertain", "closed"):
        if status is None:
            where.append("p.status != 'closed'")
        else:
            where.append("p.status = :status")
            params["status"] = status
    if labs:
        names = {f"lab{i}": name for i, name in enumerate(labs)}
        where.append(f"p.lab IN ({', '.join(':' + k for k in names)})")
        params.update(names)
    if only_new:
        where.append("p.first_seen >= coalesce((SELECT max(r.started_at) FROM scrape_runs r "
                     "WHERE r.lab = p.lab AND r.status != 'running'), '')")
    sql = RANKED_SQL.format(where="".join(f" AND {w}" for w in where),
                            limit="LIMIT :limit" if limit else "")
    if limit:
        params["limit"] = limit
    rows = []
    for row in db.query(sql, params):
        row["terms"] = json.loads(row["terms"] or "[]")
        row["salary"] = salary_text(row)
        row["match"] = match_level(row["score"])
        rows.append(row)
    return rows


def ranked_or_explain(db: sqlite_utils.Database, profile: str, *, labs: list[str] | None = None,
                      only_new: bool = False, status: str | None = None, limit: int = 20,
                      filters: JobFilters | None = None) -> list[dict[str, Any]]:
    """ranked(), with a ValueError saying what to do when the profile has no matches at all."""
    rows = ranked(db, profile, labs=labs, only_new=only_new, status=status, limit=limit, filters=filters)
    if not rows and not has_matches(db, profile):
        raise ValueError(f"no matches for profile {profile!r}: run `asr-jobs match` first "
                         f"(profiles: {', '.join(profile_names(db)) or 'none loaded'})")
    return rows


def has_matches(db: sqlite_utils.Database, profile: str) -> bool:
    return db.execute("SELECT 1 FROM matches WHERE profile = ? LIMIT 1", [profile]).fetchone() is not None


def profile_names(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT DISTINCT profile FROM matches ORDER BY profile").fetchall()]


MIN_PREFIX = 4  # the shortest id prefix `show` accepts and the tables print
CANDIDATES = 5  # ids listed when a prefix is ambiguous


def short_ids(db: sqlite_utils.Database, ids: Iterable[str]) -> dict[str, str]:
    """The shortest prefix (at least MIN_PREFIX characters) of each id that no other posting's id starts with."""
    wanted = list(ids)
    if not wanted:
        return {}
    every = [r[0] for r in db.execute("SELECT id FROM postings ORDER BY id").fetchall()]
    return {posting_id: posting_id[:_unique_length(every, posting_id)] for posting_id in wanted}


def _unique_length(sorted_ids: list[str], posting_id: str) -> int:
    """How many leading characters of `posting_id` tell it apart from its neighbours in the sorted ids."""
    at = bisect.bisect_left(sorted_ids, posting_id)
    length = MIN_PREFIX
    for neighbour in (sorted_ids[at - 1] if at > 0 else "", sorted_ids[at + 1] if at + 1 < len(sorted_ids) else ""):
        length = max(length, _common_prefix(posting_id, neighbour) + 1)
    return min(length, len(posting_id))


def _common_prefix(a: str, b: str) -> int:
    return len(os.path.commonprefix([a, b]))


def find_posting(db: sqlite_utils.Database, key: str) -> dict[str, Any]:
    """A posting by id, unique id prefix (MIN_PREFIX or more characters), or LAB:SOURCE_ID.

    ValueError when none matches, when the prefix is too short, or when it is ambiguous (naming a few candidates).
    """
    key = key.strip()
    if ":" in key:
        lab, source_id = key.split(":", 1)
        rows = list(db.query("SELECT * FROM postings WHERE lab = ? AND source_id = ?", [lab, source_id]))
    else:
        rows = list(db.query("SELECT * FROM postings WHERE id = ?", [key]))
        if not rows:
            rows = _by_prefix(db, key)
    if not rows:
        raise ValueError(f"no posting with id {key!r} (`asr-jobs jobs` shows the ids)")
    row = rows[0]
    row["salary"] = salary_text(row)
    return row


def _by_prefix(db: sqlite_utils.Database, prefix: str) -> list[dict[str, Any]]:
    """The one posting whose id starts with `prefix`, [] for none; ValueError when too short or ambiguous."""
    if len(prefix) < MIN_PREFIX:
        raise ValueError(f"id {prefix!r} is too short: give at least {MIN_PREFIX} characters of the id "
                         "`asr-jobs jobs` shows")
    # substr, not LIKE: '%' and '_' in what a user typed are characters, not patterns
    rows = list(db.query("SELECT * FROM postings WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT ?",
                         [len(prefix), prefix, CANDIDATES + 1]))
    if len(rows) > 1:
        shown = ", ".join(f"{r['id']} ({r['lab']}: {r['title']})" for r in rows[:CANDIDATES])
        more = " and more" if len(rows) > CANDIDATES else ""
        raise ValueError(f"id {prefix!r} is ambiguous: it starts {shown}{more}; give more characters")
    return rows


def scores_for(db: sqlite_utils.Database, posting_id: str) -> list[dict[str, Any]]:
    """A posting's matches against every profile, best score first."""
    rows = list(db.query("SELECT profile, score, rank, terms FROM matches WHERE posting_id = ? ORDER BY score DESC",
                         [posting_id]))
    for row in rows:
        row["terms"] = json.loads(row["terms"] or "[]")
        row["match"] = match_level(row["score"])
    return rows


def posting_detail(db: sqlite_utils.Database, key: str) -> dict[str, Any]:
    """A posting (found as find_posting finds it) with its scores against every profile under "matches"."""
    posting = find_posting(db, key)
    return {**posting, "matches": scores_for(db, posting["id"])}


def open_counts(db: sqlite_utils.Database) -> dict[str, int]:
    return {r[0]: r[1] for r in db.execute(
        "SELECT lab, count(*) FROM postings WHERE status != 'closed' GROUP BY lab").fetchall()}


def lab_status(db: sqlite_utils.Database, labs: Iterable[Lab]) -> list[dict[str, Any]]:
    """A row per lab: its adapter, category, open postings and its last scrape's status, counts and time."""
    runs = last_runs(db)
    counts = open_counts(db)
    rows = []
    for lab in labs:
        run = runs.get(lab.name, {})
        if run and run_status(run) != run.get("status"):  # its process is gone: killed or stopped
            run = {**run, "status": run_status(run), "error": "the scrape stopped before this lab finished"}
        rows.append({"lab": lab.name, "title": lab.title, "category": lab.category, "adapter": lab.adapter,
                     "open": counts.get(lab.name, 0), "last_scrape": run.get("started_at"),
                     "status": run.get("status"), "seen": run.get("seen"), "new": run.get("new"),
                     "closed": run.get("closed"), "error": run.get("error")})
    return rows


def match_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """How many matches each profile has ({} before the first `match`)."""
    if "matches" not in db.table_names():
        return {}
    return {r[0]: r[1] for r in db.execute("SELECT profile, count(*) FROM matches GROUP BY profile").fetchall()}


def best_matches(db: sqlite_utils.Database, profile: str, top: int) -> list[dict[str, Any]]:
    """A profile's `top` best matches, best first; `terms` decoded to [[term, share], ...]."""
    if "matches" not in db.table_names():
        return []
    sql = """SELECT m.rank, m.score, p.title, p.lab, p.seniority, m.terms, p.url FROM matches m
             JOIN postings p ON p.id = m.posting_id WHERE m.profile = ? ORDER BY m.rank LIMIT ?"""
    rows = list(db.query(sql, [profile, top]))
    for row in rows:
        row["terms"] = json.loads(row["terms"] or "[]")
    return rows


def best_match_titles(db: sqlite_utils.Database) -> dict[str, str]:
    """Titles of the postings ranked first for some profile, by posting id."""
    sql = "SELECT id, title FROM postings WHERE id IN (SELECT posting_id FROM matches WHERE rank = 1)"
    return {r[0]: r[1] for r in db.execute(sql).fetchall()}


def labs_holding_postings(db: sqlite_utils.Database) -> list[Lab]:
    """Every lab with postings stored, as the labs table recorded it (imports of unconfigured labs included)."""
    sql = """SELECT DISTINCT p.lab, l.title, l.category, l.adapter FROM postings p
             LEFT JOIN labs l ON l.name = p.lab ORDER BY p.lab"""
    return [Lab(name=name, title=title or name, category=category or "industry", adapter=adapter or "jsonl")
            for name, title, category, adapter in db.execute(sql).fetchall()]


def is_sample(db: sqlite_utils.Database) -> bool:
    """Whether the database holds the demo's SAMPLE data (the demo marks its databases in the meta table)."""
    if "meta" not in db.table_names():
        return False
    row = db.execute("SELECT value FROM meta WHERE key = ?", [DEMO_MARKER[0]]).fetchone()
    return row is not None and row[0] == DEMO_MARKER[1]
