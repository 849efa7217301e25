"""A job seeker's own profile from a PDF CV, the default profile, ratings that teach the ranking, eval --feedback.

Everything runs through the shipped CLI on a database built by `asr-jobs demo` from the bundled recordings.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from asr_jobs.cli import cli

from .conftest import pdf_document
from .test_first_hour import one_line_error

CV_LINES = [
    "Jane Doe - Senior Research Scientist",
    "PhD in Electrical Engineering, thesis on streaming speech recognition",
    "Publications: Interspeech 2024, ICASSP 2025",
    "End-to-end ASR with RNN-T and conformer encoders, on-device streaming recognition, PyTorch",
]
GOOGLE_SPEECH = "093f25701ec3ca04"  # the demo's Google Research "Research Scientist, Speech Recognition"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    """One demo database for the module; each test works on its own copy."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASR_JOBS_PROFILES", str(path.parent / "no-profiles"))
        patch.delenv("ASR_JOBS_PROFILE", raising=False)
        result = CliRunner().invoke(cli, ["demo", "--db", str(path), "--limit", "1"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def runner(tmp_path, monkeypatch, demo_db) -> CliRunner:
    """A runner in a directory holding a copy of the demo database (db.db) and the CV (cv.pdf)."""
    monkeypatch.chdir(tmp_path)
    with sqlite3.connect(demo_db) as source, sqlite3.connect(tmp_path / "db.db") as copy:
        source.backup(copy)  # the WAL's pages too, which copying the file would leave behind
    (tmp_path / "cv.pdf").write_bytes(pdf_document(CV_LINES))
    monkeypatch.setenv("ASR_JOBS_DB", str(tmp_path / "db.db"))
    monkeypatch.setenv("ASR_JOBS_PROFILES", str(tmp_path / "profiles"))
    monkeypatch.delenv("ASR_JOBS_PROFILE", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "250")
    return CliRunner()


def ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def add_me(runner: CliRunner, *like: str) -> None:
    ok(runner, "profiles", "add", "me", "--from", "cv.pdf", *(x for name in like for x in ("--like", name)))
    ok(runner, "match", "--quiet")


def ranking(runner: CliRunner, *args: str) -> list[str]:
    """Posting ids of `jobs` (all rows, JSON), best first."""
    return [row["id"] for row in json.loads(ok(runner, "jobs", "--json", "--limit", "0", *args))]


def test_profile_from_a_pdf_cv_shows_what_was_read_and_what_it_matches_on(runner):
    add_me(runner, "asr-research:0.5")
    shown = ok(runner, "profiles", "show", "me", "--top", "3")
    assert "like: asr-research (0.5)" in shown
    assert "read from the text: degree PhD; venues Interspeech, ICASSP; seniority senior" in shown
    matches_on = next(line for line in shown.splitlines() if line.startswith("matches on: "))
    for term in ("RNN-T", "conformer", "on-device", "ASR"):
        assert f" {term} " in matches_on + " ", matches_on
    top = json.loads(ok(runner, "jobs", "--profile", "me", "--json", "--limit", "5"))
    assert all("Speech" in row["title"] or "Audio" in row["title"] for row in top), [r["title"] for r in top]


def test_liking_a_profile_blends_it_in_and_an_unknown_one_is_refused(runner):
    add_me(runner)
    alone = json.loads(ok(runner, "profiles", "show", "me", "--json", "--top", "0"))["terms"]
    ok(runner, "profiles", "add", "me", "--from", "cv.pdf", "--like", "streaming:2", "--force")
    blended = json.loads(ok(runner, "profiles", "show", "me", "--json", "--top", "0"))["terms"]
    weight = dict(blended).get("streaming", 0)
    assert weight > dict(alone).get("streaming", 0)
    one_line_error(runner.invoke(cli, ["profiles", "add", "you", "--from", "cv.pdf", "--like", "streamin"]),
                   "--like streamin", "did you mean streaming")
    one_line_error(runner.invoke(cli, ["profiles", "add", "you", "--from", "cv.pdf", "--like", "streaming:x"]),
                   "'x' is not a number")


def test_the_default_profile_comes_from_the_environment_or_the_database(runner, monkeypatch):
    add_me(runner)
    assert "postings for profile asr-research" in ok(runner, "jobs", "--limit", "1")
    assert ok(runner, "profiles", "default", "me").strip() == "me"
    assert "postings for profile me" in ok(runner, "jobs", "--limit", "1")
    assert ranking(runner) == ranking(runner, "--profile", "me")
    monkeypatch.setenv("ASR_JOBS_PROFILE", "streaming")
    assert "postings for profile streaming" in ok(runner, "jobs", "--limit", "1")  # the environment wins
    monkeypatch.delenv("ASR_JOBS_PROFILE")
    assert ok(runner, "profiles", "default", "--clear").strip() == "asr-research"
    one_line_error(runner.invoke(cli, ["profiles", "default", "nobody"]), "no profile 'nobody'")


def test_show_explains_the_score_against_me_and_lists_the_gap(runner, monkeypatch):
    add_me(runner)
    monkeypatch.setenv("ASR_JOBS_PROFILE", "me")
    shown = ok(runner, "show", GOOGLE_SPEECH)
    score_line = next(line for line in shown.splitlines() if line.strip().startswith("me "))
    assert "ASR" in score_line and "rank" in score_line
    gap = json.loads(ok(runner, "show", GOOGLE_SPEECH, "--json"))["gap"]
    assert gap["profile"] == "me"
    assert "CTC" in gap["terms"]  # the posting asks for CTC; the CV never says it
    assert not {"ASR", "RNN-T", "speech"} & set(gap["terms"])  # the CV has these
    assert "Asked for, not in me: " in shown
    monkeypatch.delenv("ASR_JOBS_PROFILE")
    assert "gap" not in json.loads(ok(runner, "show", GOOGLE_SPEECH, "--json"))  # no personal profile chosen


def test_ratings_move_the_ranking_and_reset_feedback_restores_it(runner):
    add_me(runner)
    before = ranking(runner, "--profile", "me")
    good, bad = before[6], before[0]
    ok(runner, "rate", good[:8], "good", "--profile", "me")
    ok(runner, "rate", bad[:8], "bad", "--profile", "me")
    ok(runner, "match", "--quiet")
    after = ranking(runner, "--profile", "me")
    assert after.index(good) < before.index(good)
    assert after.index(bad) > before.index(bad)
    with sqlite3.connect("db.db") as db:  # the ranked view datasette shows carries the judgement
        rated = dict(db.execute("SELECT posting_id, rating FROM ranked_matches WHERE profile = 'me' AND rating IS NOT NULL"))
    assert {pid[:8]: r for pid, r in rated.items()} == {good[:8]: "good", bad[:8]: "bad"}
    shown = ok(runner, "profiles", "show", "me", "--top", "0")
    assert "rated good" in shown and good[:12] in shown and bad[:12] in shown
    assert "feedback raised: " in shown
    reset = runner.invoke(cli, ["profiles", "reset-feedback", "me"])
    assert reset.exit_code == 0 and "2 ratings of me forgotten" in reset.output
    ok(runner, "match", "--quiet")
    assert ranking(runner, "--profile", "me") == before
    assert "rated " not in ok(runner, "profiles", "show", "me", "--top", "0")


def test_rate_refuses_an_unknown_posting_or_rating(runner):
    one_line_error(runner.invoke(cli, ["rate", "ffffffffffff", "good"]), "no posting with id 'ffffffffffff'")
    assert runner.invoke(cli, ["rate", GOOGLE_SPEECH, "great"]).exit_code == 2


def test_eval_feedback_reports_the_residual_ranking_with_and_without_feedback(runner, tmp_path):
    postings = json.loads(ok(runner, "jobs", "--json", "--limit", "0", "--status", "all"))
    details = {row["id"]: json.loads(ok(runner, "show", row["id"], "--json")) for row in postings}
    # Hand-made labels: speech recognition roles are what this reader wants, everything else is not.
    labels = [{"id": d["source_id"], "grade": 3 if "Speech Recognition" in d["title"] else 0}
              for d in details.values()]
    (tmp_path / "labels.jsonl").write_text("\n".join(json.dumps(label) for label in labels))
    report = json.loads(ok(runner, "eval", "labels.jsonl", "--feedback", "5", "--json", "--quiet"))
    assert report["feedback"] == 5
    assert report["rated_good"] + report["rated_bad"] + report["unrated"] == 5
    assert report["residual_postings"] == report["postings"] - 5
    assert set(report["rankers"]) == {"matcher", "matcher + feedback"}
    table = ok(runner, "eval", "labels.jsonl", "--feedback", "5", "--quiet")
    assert "top 5 rated" in table and "matcher + feedback" in table
    one_line_error(runner.invoke(cli, ["eval", "labels.jsonl", "--feedback", "0"]), "--feedback 0")
