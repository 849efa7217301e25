"""What the matcher reads and writes: postings to score, profiles, matches, and its stored fit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import sqlite_utils

from .connection import execute_in, rows_in, write_transaction

# Postings the matcher scores: all but closed ones.
OPEN = "(status != 'closed' OR status IS NULL)"
SCORED_COLUMNS = "id, lab, company, title, team, description, seniority, degree, venues, publications, content_hash"
FIT = "postings"  # the name of the one fit kept in match_model


def open_posting_rows(db: sqlite_utils.Database) -> Iterator[dict[str, Any]]:
    """Postings that are not closed (SCORED_COLUMNS), in id order."""
    cursor = db.execute(f"SELECT {SCORED_COLUMNS} FROM postings WHERE {OPEN} ORDER BY id")
    columns = [c[0] for c in cursor.description]
    for values in cursor:
        yield dict(zip(columns, values, strict=True))


def posting_rows(db: sqlite_utils.Database, ids: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The same columns for some postings, in id order."""
    yield from rows_in(db, f"SELECT {SCORED_COLUMNS} FROM postings WHERE id IN ({{ids}}) ORDER BY id", sorted(ids))


def company_texts(db: sqlite_utils.Database, min_titles: int = 1,
                  companies: Iterable[str] | None = None) -> Iterator[tuple[str, str, str]]:
    """(company, else lab; title; description) of the open postings of companies with at least `min_titles`
    distinct titles (of the `companies` given, else of all): what boilerplate is learned from."""
    who = "coalesce(nullif(company, ''), lab)"
    # No common table for the two scans: SQLite would copy every description into a temporary table first.
    sql = f"""
        SELECT {who} AS who, title, description FROM postings WHERE {OPEN} AND {who} IN (
            SELECT {who} FROM postings WHERE {OPEN}{{within}}
            GROUP BY 1 HAVING count(DISTINCT lower(trim(title))) >= {int(min_titles)})"""
    if companies is None:
        yield from db.execute(sql.format(within=""))
        return
    for row in rows_in(db, sql.format(within=f" AND {who} IN ({{ids}})"), sorted(set(companies))):
        yield row["who"], row["title"], row["description"]


def one_company_texts(db: sqlite_utils.Database, company: str) -> Iterator[tuple[str, str, str]]:
    """The same for the open postings of one company (else lab)."""
    yield from db.execute(f"SELECT coalesce(nullif(company, ''), lab) AS who, title, description FROM postings "
                          f"WHERE {OPEN} AND (company = :who OR (coalesce(company, '') = '' AND lab = :who))",
                          {"who": company})


def open_posting_count(db: sqlite_utils.Database) -> int:
    return int(db.execute(f"SELECT count(*) FROM postings WHERE {OPEN}").fetchone()[0])


def every_posting_row(db: sqlite_utils.Database) -> Iterator[tuple[str, ...]]:
    """(source_id, title, team, description, seniority, degree, venues, publications, company else lab) of
    every posting, closed ones too, in id order."""
    yield from db.execute("SELECT source_id, title, team, description, seniority, degree, venues, publications, "
                          "coalesce(nullif(company, ''), lab) FROM postings ORDER BY id")


def save_profile_rows(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> None:
    """Insert or replace rows of the profiles table (waiting its turn, as every write does)."""
    if rows:
        with write_transaction(db):
            db.table("profiles").upsert_all(rows, pk="name")


def replace_matches(db: sqlite_utils.Database, profile: str, rows: list[dict[str, Any]]) -> None:
    """A profile's matches become `rows`, in one transaction."""
    with db.atomic():
        db.execute("DELETE FROM matches WHERE profile = ?", [profile])
        add_matches(db, rows)


def add_matches(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> None:
    """Matches rows (profile, posting_id, score, rank, terms, matched_at), inserted as they are: a third of
    the time of sqlite-utils' insert_all, which builds and checks each batch's statement in Python."""
    db.conn.executemany("INSERT INTO matches (profile, posting_id, score, rank, terms, matched_at) "
                        "VALUES (:profile, :posting_id, :score, :rank, :terms, :matched_at)", rows)


def drop_matches(db: sqlite_utils.Database, posting_ids: list[str]) -> None:
    """Every match of these postings, for every profile."""
    execute_in(db, "DELETE FROM matches WHERE posting_id IN ({ids})", posting_ids)


def rerank(db: sqlite_utils.Database, profile: str) -> None:
    """Number a profile's matches 1, 2, ... by score (ties by posting id), writing only ranks that moved."""
    db.execute("""
        UPDATE matches SET rank = ranked.position
        FROM (SELECT posting_id, ROW_NUMBER() OVER (ORDER BY score DESC, posting_id) AS position
              FROM matches WHERE profile = :profile) AS ranked
        WHERE matches.profile = :profile AND matches.posting_id = ranked.posting_id
          AND matches.rank IS NOT ranked.position""", {"profile": profile})


def match_counts(db: sqlite_utils.Database, profiles: list[str]) -> dict[str, int]:
    """Matches stored per profile (0 for a profile without any)."""
    counts = dict.fromkeys(profiles, 0)
    for row in rows_in(db, "SELECT profile, count(*) AS n FROM matches WHERE profile IN ({ids}) GROUP BY profile",
                       profiles):
        counts[row["profile"]] = row["n"]
    return counts


def top_matches(db: sqlite_utils.Database, profile: str, limit: int = 3) -> list[tuple[str, float]]:
    """(posting id, score) of a profile's best matches, best first."""
    return [(r[0], r[1]) for r in db.execute(
        "SELECT posting_id, score FROM matches WHERE profile = ? ORDER BY rank LIMIT ?", [profile, limit])]


def load_fit(db: sqlite_utils.Database) -> dict[str, Any] | None:
    """The stored fit (signature, postings_signature, profile_signatures, fitted_at, documents, changed_since_fit,
    tokens, idf), or None."""
    rows = list(db.query("SELECT signature, postings_signature, profile_signatures, fitted_at, documents, "
                         "changed_since_fit, tokens, idf FROM match_model WHERE name = ?", [FIT]))
    return rows[0] if rows else None


def content_hashes(db: sqlite_utils.Database) -> tuple[dict[str, str], dict[str, str]]:
    """Content hashes of the open postings now, and of the postings as they were last scored."""
    current = dict(db.execute(f"SELECT id, content_hash FROM postings WHERE {OPEN}").fetchall())
    scored = dict(db.execute("SELECT posting_id, content_hash FROM match_postings").fetchall())
    return current, scored


def save_fit(db: sqlite_utils.Database, signature: str, postings_signature: str, profile_signatures: str,
             fitted_at: str, tokens: str, idf: bytes, scored: list[tuple[str, str, str | None, float, str]]) -> None:
    """Keep a full fit: vocabulary (JSON), idf (float64 bytes), each profile's signature (JSON), and each posting
    as scored: (posting id, content hash, key of its kept token counts, research signal, level)."""
    with write_transaction(db):
        db.execute("DELETE FROM match_postings")
        db.conn.executemany("INSERT INTO match_postings (posting_id, content_hash, token_key, research, level) "
                            "VALUES (?, ?, ?, ?, ?)", scored)
        db.execute("INSERT OR REPLACE INTO match_model (name, signature, postings_signature, profile_signatures, "
                   "fitted_at, documents, changed_since_fit, tokens, idf) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
                   [FIT, signature, postings_signature, profile_signatures, fitted_at, len(scored), tokens, idf])


def fitted_postings(db: sqlite_utils.Database) -> Iterator[tuple[str, float | None, str | None, bytes | None]]:
    """(posting id, research signal, level, kept token counts) of each posting as the stored fit scored it, in id
    order; None where the fit kept no such value or the counts are no longer kept."""
    yield from db.execute("SELECT s.posting_id, s.research, s.level, c.counts FROM match_postings s "
                          "LEFT JOIN token_counts c ON c.key = s.token_key ORDER BY s.posting_id")


def note_rescore(db: sqlite_utils.Database, signature: str, profile_signatures: str, fitted_at: str) -> bool:
    """After a rescore (inside its transaction): the stored fit now scores with these signatures. False, writing
    nothing, when the fit is no longer the one rescored (another run refitted or updated it meanwhile)."""
    return db.execute("UPDATE match_model SET signature = ?, profile_signatures = ? WHERE name = ? AND fitted_at = ? "
                      "AND changed_since_fit = 0", [signature, profile_signatures, FIT, fitted_at]).rowcount == 1


def forget_fit(db: sqlite_utils.Database) -> None:
    """Drop the stored fit; writes nothing when there is none."""
    if db.execute("SELECT 1 FROM match_model LIMIT 1").fetchone():
        with write_transaction(db):
            db.execute("DELETE FROM match_model")


def note_update(db: sqlite_utils.Database, changed: dict[str, str], removed: list[str]) -> None:
    """After an update (inside its transaction): new content hashes, closed postings gone, drift counted."""
    execute_in(db, "DELETE FROM match_postings WHERE posting_id IN ({ids})", removed)
    db.conn.executemany("INSERT OR REPLACE INTO match_postings (posting_id, content_hash) VALUES (?, ?)",
                        changed.items())
    db.execute("UPDATE match_model SET changed_since_fit = changed_since_fit + ? WHERE name = ?",
               [len(changed) + len(removed), FIT])


def token_vocabulary(db: sqlite_utils.Database) -> list[str]:
    """The tokens of the kept token counts, by id (id 0, never stored, is the empty token)."""
    tokens = [""]
    for token_id, token in db.execute("SELECT id, token FROM token_vocabulary ORDER BY id"):
        tokens.extend([""] * (token_id - len(tokens)))
        tokens.append(token)
    return tokens


def token_vocabulary_size(db: sqlite_utils.Database) -> int:
    """The length of token_vocabulary()'s list: the next new token's id."""
    return int(db.execute("SELECT coalesce(max(id), 0) + 1 FROM token_vocabulary").fetchone()[0])


def add_token_vocabulary(db: sqlite_utils.Database, first_id: int, tokens: list[str]) -> None:
    """New tokens, numbered from first_id on."""
    db.conn.executemany("INSERT INTO token_vocabulary (id, token) VALUES (?, ?)",
                        enumerate(tokens, first_id))


def forget_token_counts(db: sqlite_utils.Database) -> None:
    """Drop every kept token count (the next fit tokenizes every text again, as a cold run)."""
    with write_transaction(db):
        db.execute("DELETE FROM token_counts")
        db.execute("DELETE FROM token_vocabulary")


def kept_token_counts(db: sqlite_utils.Database, keys: list[str]) -> dict[str, bytes]:
    """Packed token counts kept under these keys (keys not kept are missing)."""
    return {row["key"]: row["counts"] for row in rows_in(db, "SELECT key, counts FROM token_counts WHERE key IN ({ids})",
                                                         keys)}


def keep_token_counts(db: sqlite_utils.Database, entries: dict[str, bytes]) -> None:
    """Packed token counts under their keys."""
    db.conn.executemany("INSERT OR REPLACE INTO token_counts (key, counts) VALUES (?, ?)", entries.items())


def prune_token_counts(db: sqlite_utils.Database, used: Iterable[str]) -> int:
    """Token counts of texts no longer matched dropped (a full fit reads every open posting); returns how many."""
    used = list(used)
    if db.execute("SELECT count(*) FROM token_counts").fetchone()[0] <= len(used):
        return 0
    db.execute("CREATE TEMP TABLE IF NOT EXISTS used_token_keys (key TEXT PRIMARY KEY)")
    db.execute("DELETE FROM used_token_keys")
    db.conn.executemany("INSERT OR IGNORE INTO used_token_keys VALUES (?)", ((key,) for key in used))
    dropped = db.execute("DELETE FROM token_counts WHERE key NOT IN (SELECT key FROM used_token_keys)").rowcount
    db.execute("DELETE FROM used_token_keys")
    return dropped
