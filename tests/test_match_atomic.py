"""`asr-jobs match` writes every profile's matches and the stored fit in one transaction: a run stopped
after the first profile leaves the matches of the run before, never a mix that no later run mends."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from asr_jobs.cli import cli
from asr_jobs.db import matching
from asr_jobs.db.store import open_db, save_postings, write_transaction
from asr_jobs.models import Posting

TEXTS = [
    ("Research Scientist, Speech Recognition", "End-to-end ASR with Conformer and RNN-T, streaming decoding."),
    ("Senior Research Engineer, TTS", "Text-to-speech models and neural vocoders, expressive speech synthesis."),
    ("Speech Research Intern", "Internship on streaming ASR with RNN-T and CTC, on-device latency."),
    ("Multilingual ASR Researcher", "Low-resource and code-switching speech recognition for 100 languages."),
    ("Senior Backend Engineer", "Go microservices, Kubernetes, PostgreSQL, REST APIs, on-call rotation."),
]


@pytest.fixture()
def runner(tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.setenv("ASR_JOBS_PROFILES", str(tmp_path / "user-profiles"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def add(db_path: str, numbers: range) -> None:
    db = open_db(db_path)
    postings = [Posting(lab="acme", source_id=f"p{n}", title=TEXTS[n % len(TEXTS)][0], url=f"https://a.example/{n}",
                        description=TEXTS[n % len(TEXTS)][1]) for n in numbers]
    with write_transaction(db):
        save_postings(db, postings)
    db.conn.close()


def matcher_state(db_path: str) -> tuple[list, list, list]:
    """What a match run writes: the matches, the fit and the content each posting was scored as."""
    db = open_db(db_path)
    try:
        return (db.execute("SELECT profile, posting_id, score, rank, matched_at FROM matches "
                           "ORDER BY profile, posting_id").fetchall(),
                db.execute("SELECT name, signature, fitted_at, documents, changed_since_fit FROM match_model").fetchall(),
                db.execute("SELECT posting_id, content_hash FROM match_postings ORDER BY posting_id").fetchall())
    finally:
        db.conn.close()


def stopped_after_the_first_profile(monkeypatch):
    """The next run is interrupted (Ctrl-C, or killed) once it has written one profile's matches; the real
    writer is returned."""
    real = matching.replace_matches
    written: list[str] = []

    def then_stopped(db, profile, rows):
        if written:
            raise KeyboardInterrupt
        written.append(profile)
        real(db, profile, rows)

    monkeypatch.setattr(matching, "replace_matches", then_stopped)
    return real


@pytest.mark.parametrize("args", [["--refit"], []], ids=["refit", "full-after-drift"])
def test_a_run_stopped_after_the_first_profile_leaves_the_matches_as_before(runner, monkeypatch, args):
    add("jobs.db", range(10))
    assert runner.invoke(cli, ["match", "--db", "jobs.db"]).exit_code == 0
    before = matcher_state("jobs.db")
    assert before[0] and before[1]
    add("jobs.db", range(10, 30))  # enough new postings that a run without --refit refits too
    real = stopped_after_the_first_profile(monkeypatch)
    result = runner.invoke(cli, ["match", "--db", "jobs.db", *args])
    assert result.exit_code != 0
    assert matcher_state("jobs.db") == before
    monkeypatch.setattr(matching, "replace_matches", real)
    again = runner.invoke(cli, ["match", "--db", "jobs.db"])
    assert again.exit_code == 0, again.output
    assert "full match" in again.stderr  # the new postings make it refit, every profile and the fit at once
    matches, fit, scored = matcher_state("jobs.db")
    assert fit[0][3] == 30 and len(scored) == 30 and len({profile for profile, *_ in matches}) > 1


def test_a_first_match_stopped_half_way_stores_nothing(runner, monkeypatch):
    add("jobs.db", range(10))
    stopped_after_the_first_profile(monkeypatch)
    result = runner.invoke(cli, ["match", "--db", "jobs.db"])
    assert result.exit_code != 0
    assert matcher_state("jobs.db") == ([], [], [])
