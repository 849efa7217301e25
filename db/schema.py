"""The whole database shape in one place: tables, indexes, full-text search, triggers, views, and its version.

ensure_db_shape() brings any database to this shape: a new one is created, one made by an earlier
release is upgraded (missing tables, columns, indexes and the full-text index are added; triggers and
views whose SQL changed are replaced). The shape's version is kept in the database (PRAGMA user_version):
a database at the current version, with its views and triggers as declared, is left alone, so opening it
writes nothing. Bump SCHEMA_VERSION with every change here, so that older databases are upgraded on open.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlite_utils

from .connection import write_transaction
from .expressions import IS_NEW_SQL, salary_sql, terms_sql
from .grouping import LEADS_ONLY, MORE_PLACES
from .match_levels import match_level_sql
from .pay import BANDS_SQL, band_text_sql, comparison_sql
from .tracking import latest_note_sql, latest_sql

# 1: the matcher's bookkeeping, the filter memory and the HTTP cache are created with the rest; profiles
# have their within, currency and open-ended band columns. Databases of earlier releases are at 0.
# 2: the meta table (what made the database: `asr-jobs demo` marks its own, the only ones it may replace).
# 3: the applications table (`asr-jobs mark`: each status change of an application, never overwritten); the
# ranked_matches and postings_overview views show each posting's application status and note.
# 4: token_counts and token_vocabulary (each text's token counts kept for refits: matcher/token_cache.py).
# 5: the stored fit keeps what rescoring after a profile change needs without reading the postings again:
# match_model.postings_signature and profile_signatures, and each posting's token_key, research signal and level
# in match_postings.
SCHEMA_VERSION = 5


class SchemaError(sqlite3.DatabaseError):
    """A database this release cannot use."""


@dataclass(frozen=True)
class TableShape:
    """A table's columns (name -> Python type, as sqlite-utils maps them), key and declared references."""

    columns: dict[str, type]
    pk: str | tuple[str, ...]
    not_null: frozenset[str] = frozenset()
    foreign_keys: tuple[tuple[str, str, str], ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()  # columns of each index


POSTING_COLUMNS: dict[str, type] = {
    "id": str, "lab": str, "source_id": str, "title": str, "company": str, "team": str, "location": str,
    "workplace": str, "employment_type": str, "url": str, "description": str, "posted_at": str,
    "updated_at": str, "salary_min": float, "salary_max": float, "salary_currency": str, "salary_period": str,
    "salary_source": str, "seniority": str, "degree": str, "venues": str, "publications": str,
    "content_hash": str, "listing_key": str, "first_seen": str, "last_seen": str, "status": str,
    "closed_at": str, "reopened_at": str, "extra": str,
}

RUN_COLUMNS: dict[str, type] = {
    "id": int, "lab": str, "started_at": str, "finished_at": str, "status": str, "requests": int, "bytes": int,
    "seen": int, "new": int, "updated": int, "closed": int, "reopened": int, "uncertain": int, "errors": int,
    "error": str, "warnings": str, "pid": int,
}

TABLES: dict[str, TableShape] = {
    "labs": TableShape(
        {"name": str, "title": str, "category": str, "adapter": str, "homepage": str, "config": str}, pk="name"),
    "postings": TableShape(POSTING_COLUMNS, pk="id", not_null=frozenset({"lab", "title"}),
                      foreign_keys=(("lab", "labs", "name"),), indexes=(("lab", "status"), ("first_seen",))),
    "posting_versions": TableShape(
        {"id": int, "posting_id": str, "changed_at": str, "field": str, "old": str, "new": str}, pk="id",
        foreign_keys=(("posting_id", "postings", "id"),), indexes=(("posting_id",),)),
    "scrape_runs": TableShape(RUN_COLUMNS, pk="id", foreign_keys=(("lab", "labs", "name"),),
                         indexes=(("lab", "started_at"),)),
    "profiles": TableShape(
        {"name": str, "title": str, "kind": str, "description": str, "text": str, "terms": str, "level": str,
         "salary_min": float, "salary_max": float, "path": str, "within": str, "salary_currency": str,
         "salary_open": int}, pk="name"),
    # Each posting's best match is looked up per row by the views: (posting_id, score) makes that a seek.
    "matches": TableShape(
        {"profile": str, "posting_id": str, "score": float, "rank": int, "terms": str, "matched_at": str},
        pk=("profile", "posting_id"),
        # Declared (not enforced) so that datasette links a match to its posting and profile.
        foreign_keys=(("posting_id", "postings", "id"), ("profile", "profiles", "name")),
        indexes=(("profile", "rank"), ("posting_id",), ("posting_id", "score"))),
    # Near-identical postings of one lab and title (db/grouping.py): each member with its group's lead and size.
    "posting_groups": TableShape({"posting_id": str, "lead_id": str, "size": int}, pk="posting_id",
                                 indexes=(("lead_id",),)),
    # The matcher's last full fit (vocabulary and idf), reused while few postings changed since.
    # postings_signature: what shaped the postings' vectors (settings, vocabulary, tokenizer), apart from profiles;
    # profile_signatures: JSON, per profile what its matches depend on besides the postings (matcher/incremental.py).
    "match_model": TableShape({"name": str, "signature": str, "fitted_at": str, "documents": int,
                          "changed_since_fit": int, "tokens": str, "idf": bytes, "postings_signature": str,
                          "profile_signatures": str}, pk="name"),
    # The content each posting was scored as, so that the next match run knows what changed; with the key of
    # its kept token counts, its research signal and level, so that a run after a profile change rescores
    # every posting from those alone (matcher.rescore) instead of reading and tokenizing it again.
    "match_postings": TableShape({"posting_id": str, "content_hash": str, "token_key": str, "research": float,
                                  "level": str}, pk="posting_id"),
    # Each posting text's token counts per field, keyed by a hash of the text and of everything that shapes its
    # tokens (vocabulary, learned boilerplate moved apart): a refit merges these instead of tokenizing again.
    # counts packs int32 arrays (matcher/token_cache.py) over the ids of token_vocabulary.
    "token_counts": TableShape({"key": str, "counts": bytes}, pk="key"),
    "token_vocabulary": TableShape({"id": int, "token": str}, pk="id"),
    # Listing keys of postings a lab's filters dropped (for the filters they were dropped with).
    "filtered_listings": TableShape({"lab": str, "source_id": str, "listing_key": str, "filters": str},
                               pk=("lab", "source_id")),
    # Validators and zlib-compressed bodies of earlier GET answers, for conditional requests.
    "http_cache": TableShape({"url": str, "etag": str, "last_modified": str, "content_type": str, "body": bytes,
                         "stored_at": str, "used_at": str}, pk="url"),
    # Facts about the database itself; DEMO_MARKER's row marks a database `asr-jobs demo` made.
    "meta": TableShape({"key": str, "value": str}, pk="key"),
    # A user's judgements of postings for a profile (`asr-jobs rate`): the next match moves the profile's
    # vector towards postings rated good and away from bad ones (matcher/feedback.py).
    "ratings": TableShape({"profile": str, "posting_id": str, "rating": str, "rated_at": str},
                          pk=("profile", "posting_id"), foreign_keys=(("posting_id", "postings", "id"),)),
    # What an adapter keeps about its lab between runs (db/lab_state.py), e.g. Meta's working doc_id.
    "lab_state": TableShape({"lab": str, "key": str, "value": str, "updated_at": str}, pk=("lab", "key")),
    # The user's applications (`asr-jobs mark`): one row per status change, only ever added, so the latest row
    # is a posting's status and the rest its history. Nothing a scrape or match does touches it.
    "applications": TableShape(
        {"id": int, "posting_id": str, "status": str, "note": str, "marked_at": str}, pk="id",
        not_null=frozenset({"posting_id", "status", "marked_at"}), foreign_keys=(("posting_id", "postings", "id"),),
        indexes=(("posting_id", "id"),)),
}

DEMO_MARKER = ("made_by", "asr-jobs demo")  # (key, value) in meta: sample data, safe for the demo to replace


def index_name(table: str, columns: tuple[str, ...]) -> str:
    """An index's name, as sqlite-utils names them (so databases of earlier releases already have them)."""
    return f"idx_{table}_{'_'.join(columns)}"


BEST_MATCH_INDEX = index_name("matches", ("posting_id", "score"))

# Full-text search over titles and descriptions, kept in step with postings by the triggers below.
FTS_TABLE = "postings_fts"
FTS_SQL = """CREATE VIRTUAL TABLE "postings_fts" USING FTS5 (
    "title", "description",
    tokenize='porter',
    content="postings"
)"""

TRIGGERS: dict[str, str] = {
    "postings_ai": """CREATE TRIGGER "postings_ai" AFTER INSERT ON "postings" BEGIN
  INSERT INTO "postings_fts" (rowid, "title", "description") VALUES (new.rowid, new."title", new."description");
END""",
    "postings_ad": """CREATE TRIGGER "postings_ad" AFTER DELETE ON "postings" BEGIN
  INSERT INTO "postings_fts" ("postings_fts", rowid, "title", "description") VALUES('delete', old.rowid, old."title", old."description");
END""",
    # Every scrape touches last_seen of every posting it sees: only a change of the indexed text re-indexes.
    "postings_au": """CREATE TRIGGER "postings_au" AFTER UPDATE OF "title", "description" ON "postings" BEGIN
  INSERT INTO "postings_fts" ("postings_fts", rowid, "title", "description") VALUES('delete', old.rowid, old."title", old."description");
  INSERT INTO "postings_fts" (rowid, "title", "description") VALUES (new.rowid, new."title", new."description");
END""",
}

# The browsing views datasette shows (db/datasette.yaml describes their columns).
VIEWS: dict[str, str] = {
    "ranked_matches": f"""
SELECT m.rank, round(m.score, 3) AS score, {match_level_sql()} AS match, p.title, p.lab, {salary_sql()} AS salary,
       {terms_sql()} AS matched_terms, p.url, nullif(coalesce(p.location, '') || {MORE_PLACES}, '') AS location,
       nullif(p.workplace, '') AS workplace, nullif(p.seniority, '') AS seniority, l.category AS lab_category,
       p.status, CASE WHEN {IS_NEW_SQL} THEN 'new' ELSE '' END AS new, substr(p.first_seen, 1, 10) AS first_seen,
       m.profile, {latest_sql("status")} AS tracked, {latest_note_sql()} AS note,
       (SELECT r.rating FROM ratings r WHERE r.profile = m.profile AND r.posting_id = p.id) AS rating,
       p.id AS posting_id
FROM matches m JOIN postings p ON p.id = m.posting_id LEFT JOIN labs l ON l.name = p.lab
LEFT JOIN posting_groups g ON g.posting_id = p.id WHERE {LEADS_ONLY}""",
    "postings_overview": f"""
SELECT p.title, p.lab, round(best.score, 3) AS best_score, best.profile AS best_profile, {salary_sql()} AS salary,
       p.url, nullif(p.location, '') AS location, nullif(p.workplace, '') AS workplace,
       nullif(p.seniority, '') AS seniority, nullif(p.employment_type, '') AS employment_type,
       l.category AS lab_category, p.status, CASE WHEN {IS_NEW_SQL} THEN 'new' ELSE '' END AS new,
       substr(p.first_seen, 1, 10) AS first_seen, substr(p.closed_at, 1, 10) AS closed_at,
       {latest_sql("status")} AS tracked, {latest_note_sql()} AS note, p.id AS posting_id
FROM postings p LEFT JOIN labs l ON l.name = p.lab
LEFT JOIN matches best ON best.rowid = (SELECT rowid FROM matches WHERE posting_id = p.id ORDER BY score DESC LIMIT 1)""",
    "pay_vs_band": f"""
SELECT p.title, p.lab, p.seniority AS level, {salary_sql()} AS salary, {band_text_sql("c")} AS band, c.vs_band,
       c.pct_outside_band, c.yearly_low, c.yearly_high, c.band_min, c.band_max, p.salary_source, p.url, p.status,
       p.id AS posting_id
FROM ({comparison_sql("postings", f"({BANDS_SQL})")}) AS c
JOIN postings p ON p.id = c.posting_id""",
    "labs_overview": """
SELECT n.name AS lab, l.title, l.category,
       (SELECT count(*) FROM postings p WHERE p.lab = n.name AND p.status != 'closed') AS open_postings,
       (SELECT count(*) FROM postings p WHERE p.lab = n.name AND p.status != 'closed'
          AND p.first_seen >= coalesce((SELECT max(r.started_at) FROM scrape_runs r
                                        WHERE r.lab = n.name AND r.status != 'running'), '')) AS new_postings,
       (SELECT count(*) FROM postings p WHERE p.lab = n.name AND p.status = 'closed'
          AND julianday(p.closed_at) >= julianday('now') - 30) AS closed_last_30_days,
       run.started_at AS last_scrape, run.status AS last_scrape_status, run.error AS last_scrape_error,
       l.homepage
FROM (SELECT name FROM labs UNION SELECT DISTINCT lab FROM postings) AS n
LEFT JOIN labs l ON l.name = n.name
LEFT JOIN scrape_runs run ON run.id = (SELECT max(id) FROM scrape_runs WHERE lab = n.name)""",
}
VIEW_NAMES = tuple(VIEWS)


def schema_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _stored_sql(db: sqlite_utils.Database) -> dict[str, str]:
    """name -> SQL of every table, index, trigger and view in the database."""
    return {name: sql or "" for name, sql in db.execute("SELECT name, sql FROM sqlite_master").fetchall()}


def _stale(stored: dict[str, str]) -> dict[str, list[str]]:
    """What differs from the declared shape that sqlite_master shows: missing objects, changed SQL."""
    indexes = [index_name(t, c) for t, shape in TABLES.items() for c in shape.indexes]
    return {
        "tables": [name for name in [*TABLES, FTS_TABLE] if name not in stored],
        "indexes": [name for name in indexes if name not in stored],
        "triggers": [name for name, sql in TRIGGERS.items() if stored.get(name) != sql],
        "views": [name for name, sql in VIEWS.items() if not stored.get(name, "").endswith(f" AS {sql.strip()}")],
    }


def is_current(db: sqlite_utils.Database) -> bool:
    """Whether the database has this release's shape; a SchemaError for one made by a newer release."""
    version = schema_version(db)
    if version > SCHEMA_VERSION:
        raise SchemaError(f"{db.conn.execute('PRAGMA database_list').fetchone()[2] or ':memory:'}: made by a "
                          f"newer asr-jobs (database version {version}, this release reads up to {SCHEMA_VERSION})")
    return version == SCHEMA_VERSION and not any(_stale(_stored_sql(db)).values())


def ensure_db_shape(db: sqlite_utils.Database) -> None:
    """Create or upgrade every table, index, full-text index, trigger and view; writes nothing when current."""
    if is_current(db):
        return
    # One transaction: two processes opening a new database must not both create it, and a failed
    # upgrade leaves the database as it was.
    with write_transaction(db):
        _create_tables(db)
        stale = _stale(_stored_sql(db))
        for table, shape in TABLES.items():
            for columns in shape.indexes:
                if index_name(table, columns) in stale["indexes"]:
                    db.table(table).create_index(columns, index_name(table, columns), if_not_exists=True)
        if FTS_TABLE in stale["tables"]:
            db.execute(FTS_SQL)
        for name in stale["triggers"]:
            db.execute(f'DROP TRIGGER IF EXISTS "{name}"')
            db.execute(TRIGGERS[name])
        # A new index, or one whose triggers were missing (a bulk import stopped half-way: bulk_fts_index),
        # may lack postings: index them all.
        if FTS_TABLE in stale["tables"] or stale["triggers"]:
            rebuild_fts_index(db)
        for name in stale["views"]:
            db.execute(f'DROP VIEW IF EXISTS "{name}"')
            db.execute(f'CREATE VIEW "{name}" AS {VIEWS[name].strip()}')
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def rebuild_fts_index(db: sqlite_utils.Database) -> None:
    """The full-text index built anew from every posting (FTS5 'rebuild' of an external-content table)."""
    db.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')")


# Rows a bulk import indexes at a time while it writes: one step per four commit batches costs about what
# one rebuild at the end costs, and is done while the worker process prepares the next postings.
FTS_STEP = 2000


class BulkIndex:
    """The full-text index of a bulk import: postings added in the block indexed FTS_STEP at a time, by rowid.

    When a posting written earlier in the block changes (an id listed twice in the file), or another
    process writes while the block runs (`PRAGMA data_version` moves), indexing by rowid no longer covers
    every change: the index is then rebuilt from every posting at the end instead.
    """

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.indexed_to = self._last_rowid()
        self.stale = False
        self.data_version = self._data_version()

    def _last_rowid(self) -> int:
        return int(self.db.execute("SELECT coalesce(max(rowid), 0) FROM postings").fetchone()[0])

    def _data_version(self) -> int:
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    def written(self, changed: bool) -> None:
        """After a batch is written (in its transaction): index the new postings once FTS_STEP are waiting.

        `changed`: the batch changed the text of postings already stored, which the rowids do not show.
        """
        self.stale = self.stale or changed
        if not self.stale and self._last_rowid() - self.indexed_to >= FTS_STEP:
            self.index_new()

    def index_new(self) -> None:
        """Index the postings added since the last step."""
        last = self._last_rowid()
        self.db.execute(f'INSERT INTO {FTS_TABLE} (rowid, "title", "description") SELECT rowid, "title", '
                        '"description" FROM postings WHERE rowid > ? AND rowid <= ?', [self.indexed_to, last])
        self.indexed_to = last

    def finish(self) -> None:
        """The rest indexed, or the whole index rebuilt when stepping by rowid missed a change."""
        if self.stale or self._data_version() != self.data_version:
            rebuild_fts_index(self.db)
        else:
            self.index_new()


@contextmanager
def bulk_fts_index(db: sqlite_utils.Database) -> Iterator[BulkIndex]:
    """Postings written in the block are indexed for full-text search in steps (BulkIndex), not row by row.

    For a large import into an empty table: the triggers are dropped for the block, the new postings
    indexed FTS_STEP at a time as the caller reports its batches (BulkIndex.written), the rest at the
    end, and the triggers put back in the same transaction. The search index lags while the block runs;
    a process killed inside it leaves the triggers missing, which the next open_db repairs
    (ensure_db_shape puts them back and rebuilds the index).
    """
    with write_transaction(db):
        for name in TRIGGERS:
            db.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        index = BulkIndex(db)
    try:
        yield index
    finally:
        with write_transaction(db):
            index.finish()
            for name, sql in TRIGGERS.items():
                db.execute(f'DROP TRIGGER IF EXISTS "{name}"')
                db.execute(sql)


def _create_tables(db: sqlite_utils.Database) -> None:
    """Missing tables, and the columns later releases added to existing ones."""
    existing = set(db.table_names())
    for name, shape in TABLES.items():
        table = db.table(name)
        if name not in existing:
            table.create(shape.columns, pk=shape.pk, not_null=set(shape.not_null),
                         foreign_keys=list(shape.foreign_keys))
            continue
        for column in [c for c in shape.columns if c not in table.columns_dict]:
            table.add_column(column, shape.columns[column])
