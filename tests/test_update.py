"""`asr-jobs update` through the CLI: scrape, match and the new top matches, even when a lab fails."""

from __future__ import annotations

import json
import socket
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import asr_jobs.cli as cli_module
from asr_jobs.samplesites.server import labs_toml

DEMO = Path(cli_module.__file__).with_name("demo")
ENV = {"ASR_JOBS_RETRY_SCALE": "0", "NO_COLOR": "1", "ASR_JOBS_LABS": None, "ASR_JOBS_DB": None}
ANSWERED = ("anthropic", "openai")
FAILING = "nvidia"  # not in the replayed recordings: its requests fail


@pytest.fixture(autouse=True)
def own_profiles(tmp_path, monkeypatch):
    monkeypatch.setenv("ASR_JOBS_PROFILES", str(tmp_path / "user-profiles"))


def update(db: Path, *args: str):
    replays = [arg for lab in ANSWERED for arg in ("--replay", str(DEMO / f"{lab}.har"))]
    return CliRunner().invoke(cli_module.cli, ["update", "--db", str(db), *replays, *args, *ANSWERED, FAILING],
                              env=ENV, catch_exceptions=False)


def statuses(db: Path) -> dict[str, set[str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT lab, status FROM postings").fetchall()
    out: dict[str, set[str]] = {}
    for lab, status in rows:
        out.setdefault(lab, set()).add(status)
    return out


def test_a_failed_lab_does_not_stop_matching_and_the_list(tmp_path):
    db = tmp_path / "jobs.db"
    result = update(db, "--json", "--limit", "0")
    assert result.exit_code == 1
    rows = json.loads(result.stdout)
    assert rows and {row["lab"] for row in rows} <= set(ANSWERED)
    assert [row["rank"] for row in rows] == sorted(row["rank"] for row in rows)
    assert all(row["score"] > 0 and row["terms"] for row in rows)
    assert f"1 of 3 labs failed (their postings kept, nothing closed): {FAILING}" in result.stderr
    assert f"{FAILING}: not in the replayed recording" in result.stderr


def test_the_table_shows_the_new_top_matches_then_none_are_new(tmp_path):
    db = tmp_path / "jobs.db"
    first = update(db, "--limit", "3")
    assert first.exit_code == 1
    assert "3 new postings for profile asr-research" in first.stdout
    assert "match:" in first.stderr  # the match step said what it did
    # Runs are timed to the second: a posting first seen in the very second the next run starts counts as new.
    time.sleep(1.1)
    second = update(db)
    assert second.exit_code == 1
    assert "no new postings in this update" in second.stderr and second.stdout == ""
    assert statuses(db) == dict.fromkeys(ANSWERED, {"open"})  # nothing closed, nothing lost


def test_with_no_network_the_update_ends_with_one_line(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    labs_file = tmp_path / "offline.toml"
    labs_file.write_text(labs_toml({lab: f"http://127.0.0.1:{port}" for lab in (*ANSWERED, FAILING)}), encoding="utf-8")
    result = CliRunner().invoke(cli_module.cli, ["update", "--db", str(tmp_path / "jobs.db"), "--labs", str(labs_file),
                                                 *ANSWERED, FAILING], env=ENV, catch_exceptions=False)
    assert result.exit_code == 1 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("offline this machine seems offline: no lab could be reached") and line.endswith("(3 labs)")
