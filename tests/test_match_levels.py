"""Calibrated match levels next to the score: strong, good, weak, in jobs, show and datasette."""

from __future__ import annotations

import json

from click.testing import CliRunner

from asr_jobs.cli import cli
from asr_jobs.db.match_levels import match_level
from asr_jobs.db.store import open_db, save_postings
from asr_jobs.enrich import posting_fields
from asr_jobs.models import Posting


def test_thresholds():
    assert [match_level(s) for s in (0.9, 0.25, 0.2, 0.15, 0.149, 0.03)] == \
        ["strong", "strong", "good", "good", "weak", "weak"]
    assert match_level(None) == ""


def test_levels_in_jobs_show_and_datasette(tmp_path):
    path = str(tmp_path / "jobs.db")
    postings = [
        Posting(lab="acme", source_id="rs", title="Research Scientist, Speech Recognition", url="https://a.example/rs",
                description="Research on end-to-end ASR, RNN-T, Conformer and wav2vec 2.0 speech models. PhD "
                            "required; publications at Interspeech and ICASSP."),
        Posting(lab="acme", source_id="ml", title="Machine Learning Engineer", url="https://a.example/ml",
                description="Train recommendation models with PyTorch; some audio features and speech data."),
    ]
    db = open_db(path)
    save_postings(db, postings, fields={p.id: posting_fields(p) for p in postings})
    runner = CliRunner()
    assert runner.invoke(cli, ["match", "--db", path, "--quiet"]).exit_code == 0
    rows = json.loads(runner.invoke(cli, ["jobs", "--db", path, "--profile", "asr-research", "--json"]).output)
    assert [(r["title"], r["match"]) for r in rows][0] == ("Research Scientist, Speech Recognition", "strong")
    assert all(r["match"] == match_level(r["score"]) for r in rows)
    table = runner.invoke(cli, ["jobs", "--db", path, "--profile", "asr-research"], terminal_width=200).output
    assert "strong" in table
    shown = runner.invoke(cli, ["show", "--db", path, rows[0]["id"]], terminal_width=200).output
    assert "asr-research" in shown and " strong " in shown
    view = list(open_db(path).query("SELECT match, score FROM ranked_matches WHERE profile = 'asr-research'"))
    assert view and all(v["match"] == match_level(v["score"]) for v in view)
