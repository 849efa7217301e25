"""The matching commands through click: profiles (list, show, build, add), match, eval."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from asr_jobs.cli import cli
from asr_jobs.db.store import open_db, save_postings
from asr_jobs.models import Posting


@pytest.fixture()
def runner(tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.setenv("ASR_JOBS_PROFILES", str(tmp_path / "user-profiles"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "250")  # tables wide enough not to wrap the cells tests look for
    monkeypatch.chdir(tmp_path)
    return CliRunner()


@pytest.fixture()
def db_path(tmp_path) -> str:
    path = str(tmp_path / "jobs.db")
    db = open_db(path)
    save_postings(db, [
        Posting(lab="acme", source_id="1", title="Research Scientist, Speech Recognition", url="https://a/1",
                description="ASR research: RNN-T, CTC and Conformer models. Publish at Interspeech."),
        Posting(lab="acme", source_id="2", title="Backend Engineer", url="https://a/2",
                description="Go services and Kubernetes."),
        Posting(lab="acme", source_id="3", title="Streaming ASR Research Engineer", url="https://a/3",
                description="On-device streaming speech recognition with transducers, low latency."),
    ])
    db.conn.close()
    return path


def test_every_command_has_help_with_an_example(runner):
    for args in (["profiles"], ["profiles", "show"], ["profiles", "build"], ["profiles", "add"], ["match"],
                 ["eval"]):
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0, args
        assert "Examples:" in result.output and "asr-jobs" in result.output and "--db" in result.output, args


def test_profiles_list(runner):
    result = runner.invoke(cli, ["profiles", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["asr-research"]["kind"] == "overall" and rows["asr-research"]["from"] == "built-in"
    assert rows["senior-research-scientist"]["band"] == "USD 250K-350K+"
    assert rows["streaming"]["matches"] is None


def test_profiles_show(runner):
    result = runner.invoke(cli, ["profiles", "show", "research-scientist"])
    assert result.exit_code == 0, result.output
    assert "level: research-scientist   band: USD 200K-280K" in result.output
    assert "Independent research, first-author publications" in result.output
    missing = runner.invoke(cli, ["profiles", "show", "nope"])
    assert missing.exit_code == 1 and "no profile 'nope'" in missing.output


def test_profiles_build(runner, tmp_path):
    snapshot = tmp_path / "snap.txt"
    snapshot.write_text("Snapshot\nTop Skills\n- Streaming: RNN-T and CTC\nBreakdown by level:\n"
                        "- Research Scientist (PhD): $200K-$280K - Independent research\n", encoding="utf-8")
    result = runner.invoke(cli, ["profiles", "build", str(snapshot), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").glob("*.toml")) == [
        "asr-research.toml", "research-scientist.toml", "streaming.toml"]
    default = runner.invoke(cli, ["profiles", "build", str(snapshot)])
    assert default.exit_code == 0 and (tmp_path / "user-profiles" / "streaming.toml").exists()
    bad = tmp_path / "bad.txt"
    bad.write_text("Nothing\nat all here, really nothing.\n", encoding="utf-8")
    failed = runner.invoke(cli, ["profiles", "build", str(bad)])
    assert failed.exit_code == 1 and "found no skills" in failed.output


def test_profiles_add_then_match(runner, tmp_path, db_path):
    cv = tmp_path / "cv.txt"
    cv.write_text("PhD on streaming speech recognition with transducers; on-device models.\n", encoding="utf-8")
    result = runner.invoke(cli, ["profiles", "add", "me", "--from", str(cv), "--weight", "on-device=3",
                                 "--weight", "RNN-T=2", "--title", "My profile"])
    assert result.exit_code == 0, result.output
    saved = tmp_path / "user-profiles" / "me.toml"
    assert result.output.strip() == str(saved)
    shown = json.loads(runner.invoke(cli, ["profiles", "show", "me", "--json"]).output)
    assert shown["kind"] == "user" and shown["weights"] == {"on-device": 3.0, "RNN-T": 2.0}
    again = runner.invoke(cli, ["profiles", "add", "me", "--from", str(cv)])
    assert again.exit_code == 1 and "exists" in again.output
    builtin = runner.invoke(cli, ["profiles", "add", "streaming", "--from", str(cv)])
    assert builtin.exit_code == 1 and "built-in" in builtin.output
    bad = runner.invoke(cli, ["profiles", "add", "me2", "--from", str(cv), "--weight", "oops"])
    assert bad.exit_code == 1 and "TERM=NUMBER" in bad.output

    matched = runner.invoke(cli, ["match", "--profile", "me", "--profile", "asr-research", "--db", db_path, "--json"])
    assert matched.exit_code == 0, matched.output
    rows = {row["profile"]: row for row in json.loads(matched.output)}
    assert rows["me"]["best posting"] == "Streaming ASR Research Engineer"
    assert rows["asr-research"]["best posting"] == "Research Scientist, Speech Recognition"
    db = open_db(db_path)
    assert db["profiles"].get("me")["kind"] == "user"
    listed = {r["name"]: r for r in json.loads(runner.invoke(cli, ["profiles", "--db", db_path, "--json"]).output)}
    assert listed["me"]["matches"] == rows["me"]["matches"]
    table = runner.invoke(cli, ["profiles", "show", "me", "--db", db_path])
    assert "Best matches of me" in table.output and "Streaming ASR Research Engineer" in table.output


def test_match_unknown_profile(runner, db_path):
    result = runner.invoke(cli, ["match", "--profile", "nope", "--db", db_path])
    assert result.exit_code == 1 and "unknown profile(s): nope" in result.output


def test_eval_command(runner, tmp_path, db_path):
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"id": "1", "grade": 3}\n{"id": "3", "grade": 3}\n{"id": "9", "grade": 2}\n',
                      encoding="utf-8")
    result = runner.invoke(cli, ["eval", str(labels), "--db", db_path, "--json", "--samples", "20"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["labels_not_found"] == 1 and report["rankers"]["matcher"]["map"]["value"] == 1.0
    table = runner.invoke(cli, ["eval", str(labels), "--db", db_path, "--samples", "20"])
    assert table.exit_code == 0 and "no field vocabulary" in table.output and "BM25" in table.output
    assert "1 labeled ids match no posting" in table.output
    unknown = runner.invoke(cli, ["eval", str(labels), "--db", db_path, "--profile", "nope"])
    assert unknown.exit_code == 1 and "no profile 'nope'" in unknown.output


def test_library_errors_print_as_one_line_naming_the_input(runner, tmp_path, db_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"id": "1", "grade": 3}\nnot json\n', encoding="utf-8")
    cases = [
        (["profiles", "add", "me", "--from", str(empty)], f"{empty} is empty"),
        (["profiles", "add", "Bad Name", "--from", str(empty)], "profile name 'Bad Name'"),
        (["profiles", "show", "nope"], "no profile 'nope' (known: "),
        (["eval", str(labels), "--db", db_path], f"{labels}:2: invalid JSON"),
    ]
    for args, message in cases:
        result = runner.invoke(cli, args)
        assert result.exit_code == 1, args
        assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
        assert message in result.output, result.output
