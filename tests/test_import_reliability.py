"""Imports that share the database and the timeline: committed in batches (another writer gets its turn,
a killed import resumes to the same state), a writer waiting for the lock says so, and a saved file is
stored as of the time it was saved (older data never reopens nor refreshes newer state)."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from datetime import UTC, datetime

import httpx
import pytest
from click.testing import CliRunner

from asr_jobs import ingest, prepare
from asr_jobs.cli import cli
from asr_jobs.db import connection, store
from asr_jobs.models import Posting
from asr_jobs.scrapers.har import har_document, har_entry

from .conftest import fixture_bytes

OLD = "2026-11-01T09:00:00+00:00"
CLOSED = "2026-11-05T09:00:00+00:00"
BETWEEN = "2026-11-03T09:00:00+00:00"


@pytest.fixture()
def runner(tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    return CliRunner()


def corpus(path, count: int, title: str = "Speech Scientist") -> str:
    """A JSON-lines file of `count` postings of the lab `remote`."""
    rows = [{"id": f"p{i}", "title": f"{title} {i}", "description": "ASR research on RNN-T and CTC.",
             "url": f"https://remote.example/{i}"} for i in range(count)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return str(path)


def state(db_path: str) -> tuple[list, list, list]:
    """Everything an import writes: postings, their history and the labs."""
    db = store.open_db(db_path)
    try:
        return (list(db.query("SELECT * FROM postings ORDER BY id")),
                list(db.query("SELECT posting_id, changed_at, field, old, new FROM posting_versions "
                              "ORDER BY posting_id, changed_at, field")),
                list(db.query("SELECT * FROM labs ORDER BY name")))
    finally:
        db.conn.close()


def import_(runner: CliRunner, *args: str):
    return runner.invoke(cli, ["import", *args])


# --- point 2: no long lock, waiting writers say so ---------------------------------------------------


def test_another_writer_gets_in_between_batches_of_an_import(runner, tmp_path, monkeypatch):
    """Before: the whole file was one transaction, so a writer with no patience failed mid-import."""
    monkeypatch.setattr(ingest, "COMMIT_BATCH", 3)
    monkeypatch.setattr(ingest, "LOCK_GAP", 0.0)
    path = corpus(tmp_path / "big.jsonl", 10)
    store.open_db("jobs.db").conn.close()
    real_prepare = prepare.prepare
    prepared: list[int] = []
    wrote: list[int] = []

    def prepare_then_let_another_write(lab, postings):
        prepared.append(len(postings))
        if len(prepared) > 1:  # between two batches of the import
            other = sqlite3.connect(tmp_path / "jobs.db", timeout=0)  # no patience: fails if the lock is held
            other.execute("BEGIN IMMEDIATE")
            other.execute("INSERT INTO scrape_runs (lab, started_at, status) VALUES ('other', 'now', 'ok')")
            other.commit()
            other.close()
            wrote.append(len(postings))
        return real_prepare(lab, postings)

    monkeypatch.setattr(prepare, "prepare", prepare_then_let_another_write)
    result = import_(runner, path, "--lab", "remote", "--db", "jobs.db")
    assert result.exit_code == 0, result.output
    assert "10 postings (10 new" in result.output
    assert wrote == [3, 3, 1]  # three other writes went through while the import was under way
    db = store.open_db("jobs.db")
    assert db["postings"].count == 10 and db["scrape_runs"].count == 3


def test_an_import_waits_for_a_writer_in_another_process_and_says_so(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(connection, "NOTICE_MS", 200)
    monkeypatch.setattr(connection, "PROGRESS_MS", 300)
    path = corpus(tmp_path / "p.jsonl", 4)
    store.open_db("jobs.db").conn.close()
    blocker = sqlite3.connect(tmp_path / "jobs.db", check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")  # another process writing (a scrape saving a lab, say)
    release = threading.Timer(1.2, blocker.rollback)
    release.start()
    try:
        result = import_(runner, path, "--lab", "remote", "--db", "jobs.db")
    finally:
        release.join()
        blocker.close()
    assert result.exit_code == 0, result.output
    assert "waiting for another asr-jobs process to finish writing jobs.db..." in result.stderr
    assert "still waiting for the write lock on jobs.db (" in result.stderr
    assert "got the write lock on jobs.db after" in result.stderr
    assert "4 postings (4 new" in result.stdout


def test_a_scrape_waits_for_an_import_holding_the_lock(runner, tmp_path, monkeypatch):
    """The issue's case from the other side: a scrape started during an import waits its turn, saying so."""
    monkeypatch.setattr(connection, "NOTICE_MS", 200)
    request = httpx.Request("GET", "https://boards-api.greenhouse.io/v1/boards/anthropic/jobs?content=true")
    answer = httpx.Response(200, content=fixture_bytes("greenhouse_board.json"), request=request,
                            headers={"Content-Type": "application/json"})
    entry = har_entry(request, answer, datetime.now(UTC), 1)
    (tmp_path / "run.har").write_text(json.dumps(har_document([entry])))
    store.open_db("jobs.db").conn.close()
    blocker = sqlite3.connect(tmp_path / "jobs.db", check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.8, blocker.rollback)
    release.start()
    try:
        result = runner.invoke(cli, ["scrape", "anthropic", "--replay", "run.har", "--db", "jobs.db", "--json"])
    finally:
        release.join()
        blocker.close()
    assert result.exit_code == 0, result.output
    assert "waiting for another asr-jobs process to finish writing jobs.db..." in result.stderr
    assert json.loads(result.stdout)[0]["status"] == "ok" and json.loads(result.stdout)[0]["new"] == 2


def test_a_writer_gives_up_after_the_lock_wait_naming_the_database(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(connection, "NOTICE_MS", 100)
    monkeypatch.setenv("ASR_JOBS_LOCK_WAIT", "0.3")
    path = corpus(tmp_path / "p.jsonl", 2)
    store.open_db("jobs.db").conn.close()
    blocker = sqlite3.connect(tmp_path / "jobs.db")
    blocker.execute("BEGIN IMMEDIATE")
    try:
        result = import_(runner, path, "--lab", "remote", "--db", "jobs.db")
    finally:
        blocker.rollback()
        blocker.close()
    assert result.exit_code == 1
    assert "database is locked: another process has been writing jobs.db for over" in result.stderr
    assert "ASR_JOBS_LOCK_WAIT" in result.stderr


def test_a_killed_import_resumes_to_the_state_of_an_uninterrupted_one(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "COMMIT_BATCH", 4)
    monkeypatch.setattr(ingest, "LOCK_GAP", 0.0)
    path = corpus(tmp_path / "p.jsonl", 11)
    assert import_(runner, path, "--lab", "remote", "--db", "whole.db").exit_code == 0

    real_save = store.save_rows
    calls: list[int] = []

    def killed_at_the_third_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the user pressed Ctrl-C (or the process was killed) mid-batch
        return real_save(*args, **kwargs)

    monkeypatch.setattr(store, "save_rows", killed_at_the_third_batch)
    killed = import_(runner, path, "--lab", "remote", "--db", "resumed.db")
    assert killed.exit_code != 0
    assert len(state("resumed.db")[0]) == 8  # the first two batches were committed, the third not at all
    monkeypatch.setattr(store, "save_rows", real_save)
    again = import_(runner, path, "--lab", "remote", "--db", "resumed.db")
    assert again.exit_code == 0, again.output
    assert "11 postings (3 new, 0 updated, 8 unchanged)" in again.output
    assert state("resumed.db") == state("whole.db")
    repeat = import_(runner, path, "--lab", "remote", "--db", "resumed.db")
    assert "11 postings (0 new, 0 updated, 11 unchanged)" in repeat.output
    assert state("resumed.db") == state("whole.db")


# --- point 8: a saved file is stored as of when it was saved -------------------------------------------


def closed_by_a_later_scrape(db_path: str) -> None:
    """p0..p2 seen on Nov 1; on Nov 5 a complete scrape lists only p0: p1 and p2 close."""
    db = store.open_db(db_path)
    postings = [Posting(lab="remote", source_id=f"p{i}", title=f"Speech Scientist {i}",
                        url=f"https://remote.example/{i}", description="ASR research on RNN-T and CTC.")
                for i in range(3)]
    with store.write_transaction(db):
        store.save_postings(db, postings, now=OLD)
    store.save_scrape(db, "remote", postings[:1], complete=True, accept_drop=True, now=CLOSED)
    db.conn.close()


def rows(db_path: str) -> dict[str, tuple]:
    db = store.open_db(db_path)
    try:
        return {r["source_id"]: (r["status"], r["last_seen"], r["closed_at"])
                for r in db.query("SELECT source_id, status, last_seen, closed_at FROM postings")}
    finally:
        db.conn.close()


def test_an_older_saved_file_neither_reopens_nor_refreshes(runner, tmp_path):
    """Before: the old file reopened p1 and p2 and set every last_seen to now, and said '0 updated'."""
    closed_by_a_later_scrape("jobs.db")
    path = corpus(tmp_path / "saved.jsonl", 3)
    stamp = datetime.fromisoformat(BETWEEN).timestamp()
    os.utime(path, (stamp, stamp))  # saved on Nov 3: before the scrape that closed p1 and p2
    before = rows("jobs.db")
    result = import_(runner, path, "--lab", "remote", "--db", "jobs.db")
    assert result.exit_code == 0, result.output
    assert rows("jobs.db") == before
    assert rows("jobs.db")["p1"] == ("closed", OLD, CLOSED) and rows("jobs.db")["p0"][1] == CLOSED
    assert ("3 postings (0 new, 0 updated, 0 unchanged, 3 left as stored (seen or closed after this file)) "
            f"for remote as of {BETWEEN} (the file's modification time)") in result.output
    history = store.open_db("jobs.db").execute(
        "SELECT count(*) FROM posting_versions WHERE field = 'status' AND new = 'open'").fetchone()[0]
    assert history == 0


def test_a_newer_saved_file_reopens_and_says_so(runner, tmp_path):
    closed_by_a_later_scrape("jobs.db")
    path = corpus(tmp_path / "saved.jsonl", 3)  # saved now, after the close
    result = import_(runner, path, "--lab", "remote", "--db", "jobs.db")
    assert result.exit_code == 0, result.output
    assert "3 postings (0 new, 0 updated, 3 unchanged, 2 reopened)" in result.output
    after = rows("jobs.db")
    assert {status for status, _, _ in after.values()} == {"open"} and after["p1"][1] > CLOSED


def test_as_of_names_the_time_and_new_postings_are_first_seen_then(runner, tmp_path):
    closed_by_a_later_scrape("jobs.db")
    path = corpus(tmp_path / "saved.jsonl", 5)
    result = import_(runner, path, "--lab", "remote", "--db", "jobs.db", "--as-of", "2026-11-03T10:00:00+01:00")
    assert result.exit_code == 0, result.output
    assert "5 postings (2 new, 0 updated, 0 unchanged, 3 left as stored" in result.output
    assert f"as of {BETWEEN} (--as-of)" in result.output
    after = rows("jobs.db")
    assert after["p3"] == ("open", BETWEEN, None) and after["p1"] == ("closed", OLD, CLOSED)
    first_seen = store.open_db("jobs.db").execute(
        "SELECT first_seen FROM postings WHERE source_id = 'p4'").fetchone()[0]
    assert first_seen == BETWEEN


def test_a_har_is_as_of_its_first_answer(runner, tmp_path):
    closed_by_a_later_scrape("jobs.db")
    board = {"jobs": [{"id": "p1", "title": "Speech Scientist 1", "absolute_url": "https://remote.example/1",
                       "content": "ASR research on RNN-T and CTC."}]}
    request = httpx.Request("GET", "https://boards-api.greenhouse.io/v1/boards/remote/jobs?content=true")
    started = datetime.fromisoformat(BETWEEN)
    entry = har_entry(request, httpx.Response(200, json=board, request=request), started, 1)
    (tmp_path / "s.har").write_text(json.dumps(har_document([entry])))
    result = import_(runner, "s.har", "--lab", "remote", "--db", "jobs.db", "--format", "har")
    assert result.exit_code == 0, result.output
    assert f"as of {BETWEEN} (the HAR's first startedDateTime)" in result.output
    assert rows("jobs.db")["p1"][0] == "closed"


@pytest.mark.parametrize(("value", "message"), [
    ("yesterday", "'yesterday' is not an ISO 8601 time"),
    ("2999-01-01T00:00:00Z", "2999-01-01T00:00:00+00:00 is in the future"),
])
def test_a_bad_as_of_is_refused(runner, tmp_path, value, message):
    path = corpus(tmp_path / "p.jsonl", 1)
    result = import_(runner, path, "--lab", "remote", "--db", "jobs.db", "--as-of", value)
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "jobs.db").exists()
