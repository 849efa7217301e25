"""The database shape: declared once (db/schema.py), upgraded from the previous release, refused when newer."""

from __future__ import annotations

import ast
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from asr_jobs.cli import cli
from asr_jobs.db import connection, filtered, schema, store
from asr_jobs.db.http_cache import HttpCache
from asr_jobs.models import Lab, Posting, stable_id

ROOT = Path(__file__).resolve().parent.parent

# The database the previous release (schema version 0) left after scrape, match and serve: sqlite-utils'
# older FTS update trigger that fired on any column, profiles without within/currency/open-ended columns,
# an older view, and none of the tables it created on first use (match_model, match_postings,
# filtered_listings, http_cache).
PREVIOUS_RELEASE = """
CREATE TABLE labs (name TEXT PRIMARY KEY, title TEXT, category TEXT, adapter TEXT, homepage TEXT, config TEXT);
CREATE TABLE postings (id TEXT PRIMARY KEY, lab TEXT NOT NULL REFERENCES labs(name), source_id TEXT,
  title TEXT NOT NULL, company TEXT, team TEXT, location TEXT, workplace TEXT, employment_type TEXT, url TEXT,
  description TEXT, posted_at TEXT, updated_at TEXT, salary_min REAL, salary_max REAL, salary_currency TEXT,
  salary_period TEXT, salary_source TEXT, seniority TEXT, degree TEXT, venues TEXT, publications TEXT,
  content_hash TEXT, listing_key TEXT, first_seen TEXT, last_seen TEXT, status TEXT, closed_at TEXT,
  reopened_at TEXT, extra TEXT);
CREATE TABLE posting_versions (id INTEGER PRIMARY KEY, posting_id TEXT REFERENCES postings(id), changed_at TEXT,
  field TEXT, old TEXT, new TEXT);
CREATE TABLE scrape_runs (id INTEGER PRIMARY KEY, lab TEXT REFERENCES labs(name), started_at TEXT,
  finished_at TEXT, status TEXT, requests INTEGER, bytes INTEGER, seen INTEGER, new INTEGER, updated INTEGER,
  closed INTEGER, reopened INTEGER, uncertain INTEGER, errors INTEGER, error TEXT, warnings TEXT, pid INTEGER);
CREATE TABLE profiles (name TEXT PRIMARY KEY, title TEXT, kind TEXT, description TEXT, text TEXT, terms TEXT,
  level TEXT, salary_min REAL, salary_max REAL, path TEXT);
CREATE TABLE matches (profile TEXT REFERENCES profiles(name), posting_id TEXT REFERENCES postings(id),
  score REAL, rank INTEGER, terms TEXT, matched_at TEXT, PRIMARY KEY (profile, posting_id));
CREATE INDEX idx_postings_lab_status ON postings (lab, status);
CREATE INDEX idx_matches_profile_rank ON matches (profile, rank);
CREATE VIRTUAL TABLE [postings_fts] USING FTS5 ([title], [description], tokenize='porter', content=[postings]);
CREATE TRIGGER [postings_ai] AFTER INSERT ON [postings] BEGIN
  INSERT INTO [postings_fts] (rowid, [title], [description]) VALUES (new.rowid, new.[title], new.[description]);
END;
CREATE TRIGGER [postings_ad] AFTER DELETE ON [postings] BEGIN
  INSERT INTO [postings_fts] ([postings_fts], rowid, [title], [description])
    VALUES('delete', old.rowid, old.[title], old.[description]);
END;
CREATE TRIGGER [postings_au] AFTER UPDATE ON [postings] BEGIN
  INSERT INTO [postings_fts] ([postings_fts], rowid, [title], [description])
    VALUES('delete', old.rowid, old.[title], old.[description]);
  INSERT INTO [postings_fts] (rowid, [title], [description]) VALUES (new.rowid, new.[title], new.[description]);
END;
CREATE VIEW ranked_matches AS SELECT m.rank, m.score, m.profile, m.posting_id FROM matches m;
"""

OLD_POSTING = Posting(lab="acme", source_id="1", title="Research Scientist, Speech Recognition",
                      url="https://acme.example/1",
                      description="End-to-end ASR with Conformer and RNN-T, beamforming for far-field speech.")


def previous_release_db(path: Path) -> Path:
    """A database as the previous release left it, holding one posting matched against one profile."""
    conn = sqlite3.connect(path)
    conn.executescript(PREVIOUS_RELEASE)
    conn.execute("INSERT INTO labs (name, title) VALUES ('acme', 'Acme Research')")
    conn.execute("INSERT INTO postings (id, lab, source_id, title, url, description, status, first_seen, last_seen, "
                 "content_hash) VALUES (?, 'acme', '1', ?, ?, ?, 'open', 't0', 't0', 'h0')",
                 [OLD_POSTING.id, OLD_POSTING.title, OLD_POSTING.url, OLD_POSTING.description])
    conn.execute("INSERT INTO profiles (name, title, kind, text, level, salary_min, salary_max) VALUES "
                 "('level-research-scientist', 'Research Scientist', 'level', 'speech', 'research-scientist', "
                 "200000, 280000)")
    conn.execute("INSERT INTO matches VALUES ('level-research-scientist', ?, 0.5, 1, '[]', 't0')", [OLD_POSTING.id])
    conn.commit()
    conn.close()
    return path


def search(db, words: str) -> list[str]:
    return [r[0] for r in db.execute("SELECT p.source_id FROM postings_fts JOIN postings p ON p.rowid = "
                                     "postings_fts.rowid WHERE postings_fts MATCH ? ORDER BY p.source_id", [words])]


def test_a_database_of_the_previous_release_is_upgraded_when_opened(tmp_path):
    path = previous_release_db(tmp_path / "jobs.db")
    db = store.open_db(path)
    assert schema.schema_version(db) == schema.SCHEMA_VERSION and schema.is_current(db)
    assert set(schema.TABLES) <= set(db.table_names()) and set(schema.VIEW_NAMES) <= set(db.view_names())
    assert {"within", "salary_currency", "salary_open"} <= set(db.table("profiles").columns_dict)
    trigger = db.execute("SELECT sql FROM sqlite_master WHERE name = 'postings_au'").fetchone()[0]
    assert 'AFTER UPDATE OF "title", "description"' in trigger
    # What the old release stored is still there, searchable and matched.
    assert search(db, "beamforming") == ["1"]
    assert db.table("matches").count == 1
    # The upgraded database works: a scrape re-indexes changed text, the filter memory and cache keep entries.
    changed = Posting(lab="acme", source_id="1", title="Speech Scientist", url="https://acme.example/1",
                      description="Speaker diarization.")
    store.save_scrape(db, "acme", [changed, Posting(lab="acme", source_id="2", title="Research Engineer, TTS",
                                                    url="https://acme.example/2", description="beamforming")],
                      complete=True, now="t1")
    assert search(db, "diarization") == ["1"] and search(db, "beamforming") == ["2"]
    lab = Lab(name="acme", title="Acme", category="industry", adapter="greenhouse", filters={"title": ["speech"]})
    filtered.save(db, lab, {"9": "key-9"})
    assert filtered.load(db, lab) == {"9": "key-9"}
    cache = HttpCache(db)
    cache.remember("https://acme.example/api", '"v1"', None, "application/json", b"{}")
    cache.flush()
    assert HttpCache(db).validators("https://acme.example/api") == {"If-None-Match": '"v1"'}


def test_matching_and_browsing_an_upgraded_database_through_the_cli(tmp_path):
    path = previous_release_db(tmp_path / "jobs.db")
    runner = CliRunner()
    result = runner.invoke(cli, ["match", "--db", str(path), "--json"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["jobs", "--db", str(path), "--profile", "asr-research", "--json"])
    assert result.exit_code == 0, result.output
    assert [row["id"] for row in json.loads(result.output)] == [OLD_POSTING.id]
    db = store.open_db(path)
    assert db.execute("SELECT documents FROM match_model").fetchone()[0] == 1  # the fit is kept for next time
    # The pay view reads the level bands of the profiles the match run stored.
    with connection.write_transaction(db):
        db.execute("UPDATE postings SET salary_min = 300000, salary_max = 320000, seniority = 'research-scientist'")
    assert [r["vs_band"] for r in db.query("SELECT vs_band FROM pay_vs_band")] == ["above"]


def test_an_interrupted_upgrade_leaves_the_old_database_as_it_was(tmp_path, monkeypatch):
    path = previous_release_db(tmp_path / "jobs.db")

    def fail(db):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(schema, "_create_tables", fail)
    with pytest.raises(sqlite3.OperationalError):
        store.open_db(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    assert "match_model" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}


def test_a_database_of_a_newer_release_is_refused_in_one_line(tmp_path):
    path = tmp_path / "future.db"
    store.open_db(path).execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    result = CliRunner().invoke(cli, ["jobs", "--db", str(path)])
    assert result.exit_code == 1
    assert f"{path}: made by a newer asr-jobs" in result.output and len(result.output.strip().splitlines()) == 1


def test_rows_in_and_execute_in_cover_more_ids_than_one_statement_binds(tmp_path):
    db = store.open_db(None)
    postings = [Posting(lab="acme", source_id=str(n), title="Scientist", url=f"https://acme.example/{n}")
                for n in range(2 * connection.MAX_IDS + 5)]
    with connection.write_transaction(db):
        store.save_postings(db, postings, now="t0")
    ids = [stable_id("acme", str(n)) for n in range(len(postings))] + ["missing"]
    found = connection.rows_in(db, "SELECT id FROM postings WHERE lab = ? AND id IN ({ids})", ids, ["acme"])
    assert sorted(row["id"] for row in found) == sorted(ids[:-1])
    assert connection.execute_in(db, "DELETE FROM postings WHERE id IN ({ids})", ids[1:]) == len(postings) - 1
    assert [row["id"] for row in db.query("SELECT id FROM postings")] == ids[:1]


SQL_CALLS = {"execute", "executemany", "executescript", "query", "table", "create_view", "enable_fts",
             "create_index", "insert_all", "upsert_all"}


def sql_calls(path: Path) -> list[str]:
    """Calls of database methods in a module, and db[...] subscripts: where SQL is run or tables touched."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.func.attr}(")
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "db":
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: db[...]")
    return found


def test_the_matcher_and_the_profiles_run_no_sql_of_their_own():
    modules = sorted((ROOT / "matcher").glob("*.py")) + sorted((ROOT / "profiles").glob("*.py"))
    assert modules and [call for path in modules for call in sql_calls(path)] == []
