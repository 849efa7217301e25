"""A large import into an empty database builds its full-text index in bulk and prepares postings in the
worker process: the database it leaves is the one a row-by-row import leaves, search included."""

from __future__ import annotations

import gzip
import json
import sqlite3
from contextlib import nullcontext

import pytest
from click.testing import CliRunner

from asr_jobs import cli_common, ingest, readers
from asr_jobs.cli import cli
from asr_jobs.db import schema, store

AS_OF = "2026-11-01T09:00:00Z"
SEARCHES = ["speech", "zebrafish", "whisper OR conformer", "title:scientist", "speech NOT translation", "Updated"]


@pytest.fixture()
def runner(tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    return CliRunner()


def corpus(path, count: int) -> str:
    """JSON lines of `count` postings, with words to search for, and ids listed twice (the later one wins)."""
    topics = ["streaming ASR with a conformer", "Whisper fine-tuning", "speech translation", "zebrafish genomics"]
    rows = [{"id": f"p{i}", "title": f"{'Research Scientist' if i % 3 else 'Engineer'} {i}",
             "url": f"https://remote.example/{i}", "location": "Remote",
             "description": f"We work on {topics[i % len(topics)]}. PhD preferred; $150,000 - $190,000 a year."}
            for i in range(count)]
    rows += [{**rows[i], "description": f"Updated: speech recognition at scale, posting {i}."} for i in (3, 700, 1100) if i < count]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return str(path)


def database(db_path: str) -> dict[str, list]:
    """Every table's rows (the full-text index's own storage aside), the schema, and each search's hits."""
    db = store.open_db(db_path)
    try:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
                                                 "LIKE 'postings_fts%' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        found = {name: db.execute(f'SELECT rowid, * FROM "{name}" ORDER BY rowid').fetchall() for name in tables}
        found["schema"] = db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        for query in SEARCHES:
            found[query] = db.execute("SELECT p.source_id FROM postings_fts JOIN postings p ON p.rowid = postings_fts.rowid "
                                      "WHERE postings_fts MATCH ? ORDER BY rank, p.id", [query]).fetchall()
        db.execute("INSERT INTO postings_fts (postings_fts) VALUES ('integrity-check')")  # raises when out of step
        return found
    finally:
        db.conn.close()


def test_a_bulk_import_leaves_the_database_a_row_by_row_import_leaves(runner, tmp_path, monkeypatch):
    path = corpus(tmp_path / "big.jsonl", 1200)
    bulk_runs = []
    real_bulk = ingest.bulk_fts_index
    monkeypatch.setattr(ingest, "bulk_fts_index", lambda db: bulk_runs.append(1) or real_bulk(db))
    done = runner.invoke(cli, ["import", path, "--lab", "remote", "--db", "bulk.db", "--as-of", AS_OF, "-q"])
    assert done.exit_code == 0, done.output
    assert "1200 postings (1200 new" in done.output
    assert bulk_runs == [1]

    monkeypatch.setattr(ingest, "bulk_fts_index", lambda db: nullcontext())
    monkeypatch.setattr(ingest, "worker_pool", lambda: None)
    done = runner.invoke(cli, ["import", path, "--lab", "remote", "--db", "rows.db", "--as-of", AS_OF, "-q"])
    assert done.exit_code == 0, done.output

    bulk, rows = database("bulk.db"), database("rows.db")
    assert len(bulk["postings"]) == 1200
    assert all(bulk[query] for query in SEARCHES)
    assert bulk == rows


def test_after_a_bulk_import_the_triggers_index_each_change(runner, tmp_path):
    path = corpus(tmp_path / "big.jsonl", 600)
    assert runner.invoke(cli, ["import", path, "--lab", "remote", "--db", "jobs.db", "--as-of", AS_OF]).exit_code == 0
    changed = {"id": "p1", "title": "Research Scientist 1", "url": "https://remote.example/1", "location": "Remote",
               "description": "Keyword spotting with a tiny transformer."}
    (tmp_path / "one.jsonl").write_text(json.dumps(changed) + "\n" + json.dumps({**changed, "id": "new"}) + "\n")
    done = runner.invoke(cli, ["import", "one.jsonl", "--lab", "remote", "--db", "jobs.db", "--as-of",
                               "2026-11-02T09:00:00Z"])
    assert done.exit_code == 0, done.output
    db = store.open_db("jobs.db")
    hits = db.execute("SELECT p.source_id FROM postings_fts JOIN postings p ON p.rowid = postings_fts.rowid "
                      "WHERE postings_fts MATCH 'spotting' ORDER BY p.source_id").fetchall()
    assert hits == [("new",), ("p1",)]
    assert db.execute("SELECT count(*) FROM postings_fts WHERE postings_fts MATCH 'zebrafish'").fetchone()[0] == 149


def test_a_bulk_import_killed_half_way_is_indexed_when_the_database_is_next_opened(runner, tmp_path):
    assert runner.invoke(cli, ["import", corpus(tmp_path / "big.jsonl", 600), "--lab", "remote", "--db", "jobs.db",
                               "--as-of", AS_OF]).exit_code == 0
    db = store.open_db("jobs.db")
    # What a process killed inside bulk_fts_index leaves: no triggers, and postings the index lacks.
    for name in schema.TRIGGERS:
        db.execute(f'DROP TRIGGER "{name}"')
    db.execute("UPDATE postings SET description = 'Keyword spotting on device.' WHERE source_id = 'p2'")
    db.execute("DELETE FROM postings_fts")
    db.conn.commit()
    db.conn.close()

    db = store.open_db("jobs.db")
    triggers = db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").fetchall()
    assert triggers == [(name,) for name in sorted(schema.TRIGGERS)]
    hits = db.execute("SELECT p.source_id FROM postings_fts JOIN postings p ON p.rowid = postings_fts.rowid "
                      "WHERE postings_fts MATCH 'spotting'").fetchall()
    assert hits == [("p2",)]
    assert db.execute("SELECT count(*) FROM postings_fts WHERE postings_fts MATCH 'remote'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM postings_fts WHERE postings_fts MATCH 'speech'").fetchone()[0] > 0


@pytest.mark.parametrize(("bad_line", "reason"), [
    ('{"id": "late", "title": "Scientist",', "line 1204: invalid JSON"),
    ('{"id": "late"}', "line 1204: no 'title'"),
])
def test_a_bad_line_at_the_end_of_a_large_import_stores_nothing(runner, tmp_path, bad_line, reason):
    path = corpus(tmp_path / "big.jsonl", 1200)
    with open(path, "a") as out:
        out.write(bad_line + "\n")
    done = runner.invoke(cli, ["import", path, "--lab", "remote", "--db", "jobs.db", "--as-of", AS_OF, "-q"])
    assert done.exit_code == 1
    assert reason in done.output
    db = store.open_db("jobs.db")
    assert db.execute("SELECT count(*) FROM postings").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM labs").fetchone()[0] == 0


@pytest.mark.parametrize("workers", ["", "1"])
def test_a_gzip_cut_short_is_a_one_line_error_naming_the_file_and_stores_nothing(runner, tmp_path, monkeypatch,
                                                                                  workers):
    """Before: the EOFError of a truncated gzip reached click, which printed a bare "Aborted!"."""
    data = gzip.compress(open(corpus(tmp_path / "big.jsonl", 20000), "rb").read())  # cut past the 2 MB read first
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) * 2 // 3])
    monkeypatch.setattr(cli_common, "GZ_CHECKED", 1000)  # the argument's own check reads only the start
    monkeypatch.setenv("ASR_JOBS_WORKERS", workers)
    done = runner.invoke(cli, ["import", "cut.jsonl.gz", "--lab", "remote", "--db", "jobs.db", "-q"])
    assert done.exit_code == 1, done.output
    error = done.output.strip().splitlines()[-1]
    assert error.startswith("Error: remote: the gzip file is cut short or damaged") and "cut.jsonl.gz" in error
    assert store.open_db("jobs.db").execute("SELECT count(*) FROM postings").fetchone()[0] == 0


def test_a_whole_json_document_in_a_gzip_cut_short_is_a_one_line_error_naming_the_file(runner, tmp_path, monkeypatch):
    """Not only JSON lines: a board's saved answer is read whole, and its format detected first."""
    board = {"jobs": [{"id": i, "title": "Research Scientist", "content": "Speech " * 2000} for i in range(500)]}
    data = gzip.compress(json.dumps(board).encode())
    (tmp_path / "board.json.gz").write_bytes(data[: len(data) * 2 // 3])  # cut past the 2 MB the argument reads
    monkeypatch.setattr(cli_common, "GZ_CHECKED", 1000)
    for fmt in ([], ["--format", "greenhouse"]):  # detected (the first lines read), or named (the text read whole)
        done = runner.invoke(cli, ["import", "board.json.gz", "--lab", "remote", "--db", "jobs.db", "-q", *fmt])
        assert done.exit_code == 1, done.output
        assert done.output.strip().splitlines()[-1].startswith(
            "Error: board.json.gz: the gzip file is cut short or damaged")


def test_a_large_import_into_a_database_with_postings_keeps_search_in_step(runner, tmp_path, monkeypatch):
    """Into a non-empty table the triggers index each row (no bulk rebuild); search finds what it would
    after importing the same files one posting at a time, in one process."""
    first, second = corpus(tmp_path / "first.jsonl", 300), corpus(tmp_path / "second.jsonl", 1200)
    bulk_runs = []
    real_bulk = ingest.bulk_fts_index
    monkeypatch.setattr(ingest, "bulk_fts_index", lambda db: bulk_runs.append(1) or real_bulk(db))
    for db_path in ("shared.db", "alone.db"):
        for path, as_of in ((first, AS_OF), (second, "2026-11-02T09:00:00Z")):
            done = runner.invoke(cli, ["import", path, "--lab", "remote", "--db", db_path, "--as-of", as_of, "-q"])
            assert done.exit_code == 0, done.output
        monkeypatch.setattr(ingest, "worker_pool", lambda: None)
        monkeypatch.setattr(ingest, "COMMIT_BATCH", 1)
    assert bulk_runs == []  # the first file is small, the second goes into a table with postings
    shared, alone = database("shared.db"), database("alone.db")
    assert len(shared["postings"]) == 1200
    assert shared["speech"] and shared == alone


def test_work_shared_with_the_worker_stores_what_one_process_stores(runner, tmp_path, monkeypatch):
    """The worker sends back only the descriptions it changed: with some postings dropped by the lab's filters
    (google-research keeps research roles) and some descriptions sanitized, every row is still the one-process row."""
    path = tmp_path / "big.jsonl"
    rows = [json.loads(line) for line in open(corpus(path, 3000))]
    for row in rows[::7]:
        row["description"] = f"<p>{row['description']} Sanitized.</p>\x07"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    monkeypatch.setattr(ingest, "COMMIT_BATCH", 100)  # many chunks: some prepared by the worker, some here
    monkeypatch.setattr(ingest, "AHEAD", 1)  # this process prepares whenever the worker holds one
    command = ["import", str(path), "--lab", "google-research", "--as-of", AS_OF, "-q"]
    done = runner.invoke(cli, [*command, "--db", "shared.db"])
    assert done.exit_code == 0, done.output
    monkeypatch.setenv("ASR_JOBS_WORKERS", "1")
    done = runner.invoke(cli, [*command, "--db", "alone.db"])
    assert done.exit_code == 0, done.output
    shared, alone = database("shared.db"), database("alone.db")
    assert 0 < len(shared["postings"]) < 3000 and shared == alone
    descriptions = [text for (text,) in store.open_db("shared.db").execute("SELECT description FROM postings")]
    assert any(text.endswith("a year. Sanitized.") for text in descriptions)
    assert any(text.endswith("a year.") for text in descriptions)
    assert not any("<p>" in text or "\x07" in text for text in descriptions)


@pytest.mark.parametrize("reader_batch", [2000, 500])  # 500: the ids listed twice come back in a later batch
def test_a_bulk_import_indexed_in_steps_searches_as_a_row_by_row_one(runner, tmp_path, monkeypatch, reader_batch):
    path = corpus(tmp_path / "big.jsonl", 1200)
    monkeypatch.setattr(schema, "FTS_STEP", 100)
    monkeypatch.setattr(readers, "BATCH", reader_batch)
    done = runner.invoke(cli, ["import", path, "--lab", "remote", "--db", "bulk.db", "--as-of", AS_OF, "-q"])
    assert done.exit_code == 0, done.output
    monkeypatch.setattr(ingest, "bulk_fts_index", lambda db: nullcontext())
    monkeypatch.setattr(ingest, "worker_pool", lambda: None)
    done = runner.invoke(cli, ["import", path, "--lab", "remote", "--db", "rows.db", "--as-of", AS_OF, "-q"])
    assert done.exit_code == 0, done.output
    bulk, rows = database("bulk.db"), database("rows.db")
    assert sorted(bulk["Updated"]) == [("p1100",), ("p3",), ("p700",)]  # the later listing of each id
    assert bulk == rows


def test_a_write_by_another_process_during_a_bulk_import_is_searchable(runner, tmp_path, monkeypatch):
    path = corpus(tmp_path / "big.jsonl", 1200)
    monkeypatch.setattr(schema, "FTS_STEP", 100)
    real_save = store.save_rows
    calls: list[int] = []

    def another_writer_between_batches(db, rows, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the first batch is stored and indexed: another process edits one of its postings
            other = sqlite3.connect(tmp_path / "jobs.db", timeout=30)
            db.conn.commit()  # let it in (the import's transaction for this batch starts again below)
            other.execute("UPDATE postings SET description = 'Keyword spotting on device.' WHERE source_id = 'p2'")
            other.commit()
            other.close()
            db.conn.execute("BEGIN IMMEDIATE")
        return real_save(db, rows, **kwargs)

    monkeypatch.setattr(store, "save_rows", another_writer_between_batches)
    done = runner.invoke(cli, ["import", path, "--lab", "remote", "--db", "jobs.db", "--as-of", AS_OF, "-q"])
    assert done.exit_code == 0, done.output
    database("jobs.db")  # runs the index's integrity check
    db = store.open_db("jobs.db")
    hits = db.execute("SELECT p.source_id FROM postings_fts JOIN postings p ON p.rowid = postings_fts.rowid "
                      "WHERE postings_fts MATCH 'spotting'").fetchall()
    assert hits == [("p2",)]
