"""The command line through click's runner: every command's help, scrape/import/jobs/show/labs/demo."""

import json
import shutil

import click
import pytest
from click.testing import CliRunner

from asr_jobs.cli import cli

from .conftest import FIXTURES, real_sample


def all_commands(group: click.Group, prefix=()):
    """Every command path of the group as the shipped CLI lists it, lazily loaded commands included."""
    ctx = click.Context(group, info_name="asr-jobs")
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


COMMANDS = [(), *sorted(all_commands(cli))]  # () is `asr-jobs --help` itself


def test_the_help_test_sees_every_command_and_subcommand():
    assert {("demo",), ("scrape",), ("import",), ("jobs",), ("show",), ("labs",), ("match",), ("eval",),
            ("serve",), ("profiles",), ("profiles", "show"), ("profiles", "build"), ("profiles", "add")} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "asr-jobs")
def test_every_command_has_help_with_an_example(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert "asr-jobs" in result.output.split("Options:")[0], f"{' '.join(path)} --help shows no example"


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASR_JOBS_DB", raising=False)
    return CliRunner()


def write_har(tmp_path, board_bytes: bytes, token="anthropic"):
    url = f"https://boards-api.greenhouse.io/v1/boards/{token}/jobs?content=true"
    har = {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": [{
        "startedDateTime": "2026-11-20T09:00:00+00:00", "time": 10,
        "request": {"method": "GET", "url": url, "httpVersion": "HTTP/1.1", "headers": [], "queryString": [],
                    "cookies": [], "headersSize": -1, "bodySize": 0},
        "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "cookies": [],
                     "headers": [{"name": "content-type", "value": "application/json"}],
                     "content": {"size": len(board_bytes), "mimeType": "application/json",
                                 "text": board_bytes.decode()},
                     "redirectURL": "", "headersSize": -1, "bodySize": len(board_bytes)},
        "cache": {}, "timings": {"send": 0, "wait": 10, "receive": 0}}]}}
    path = tmp_path / "board.har"
    path.write_text(json.dumps(har))
    return path


def test_scrape_replay_stores_every_posting_and_prints_summary(runner, tmp_path):
    har = write_har(tmp_path, (FIXTURES / "greenhouse_board.json").read_bytes())
    result = runner.invoke(cli, ["scrape", "anthropic", "--replay", str(har), "--db", "x.db", "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert (row["lab"], row["status"], row["requests"], row["seen"], row["new"]) == ("anthropic", "ok", 1, 2, 2)
    again = runner.invoke(cli, ["scrape", "anthropic", "--replay", str(har), "--db", "x.db", "--json"])
    assert json.loads(again.stdout)[0]["new"] == 0


def test_scrape_real_greenhouse_board_from_har(runner, tmp_path):
    board = real_sample("greenhouse-list-content-full__olinares-jobhunt-anthropic.json").read_bytes()
    har = write_har(tmp_path, board)
    result = runner.invoke(cli, ["scrape", "anthropic", "--replay", str(har), "--db", "x.db", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["new"] == 4
    shown = runner.invoke(cli, ["show", "anthropic:5302966008", "--db", "x.db"])
    assert "Forward Deployed Engineer" in shown.output and "About Anthropic" in shown.output


def test_scrape_failure_exits_1_and_names_lab(runner, tmp_path):
    har = write_har(tmp_path, b"<html>Access denied</html>")
    result = runner.invoke(cli, ["scrape", "anthropic", "--replay", str(har), "--db", "x.db", "--json"])
    assert result.exit_code == 1
    (row,) = json.loads(result.stdout)
    assert row["status"] == "failed" and "HTML where JSON was expected" in row["message"]


def test_unknown_lab_is_a_one_line_error(runner):
    result = runner.invoke(cli, ["scrape", "nosuchlab", "--db", "x.db"])
    assert result.exit_code == 1 and "unknown lab(s): nosuchlab" in result.output


def test_record_writes_har(runner, tmp_path):
    har = write_har(tmp_path, (FIXTURES / "greenhouse_board.json").read_bytes())
    result = runner.invoke(cli, ["scrape", "anthropic", "--replay", str(har), "--record", "out.har", "--db", "x.db"])
    assert result.exit_code == 0, result.output
    entries = json.loads((tmp_path / "out.har").read_text())["log"]["entries"]
    assert [e["request"]["url"] for e in entries] == ["https://boards-api.greenhouse.io/v1/boards/anthropic/jobs?content=true"]


def test_import_detects_greenhouse_and_jsonl(runner, tmp_path):
    shutil.copy(FIXTURES / "greenhouse_board.json", tmp_path / "board.json")
    result = runner.invoke(cli, ["import", "board.json", "--lab", "anthropic", "--db", "x.db"])
    assert result.exit_code == 0, result.output
    assert "greenhouse format, 2 postings (2 new" in result.output
    lines = [{"id": "a1", "title": "Speech Scientist", "description": "ASR research", "url": "https://e.x/a1",
              "location": "Remote", "company": "E"},
             {"id": "a2", "title": "Chef", "description": "Cook", "url": "javascript:alert(1)", "location": None,
              "company": "F"}]
    (tmp_path / "p.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    result = runner.invoke(cli, ["import", "p.jsonl", "--lab", "remote", "--db", "x.db"])
    assert result.exit_code == 0, result.output
    assert "jsonl format, 2 postings (2 new" in result.output
    shown = runner.invoke(cli, ["show", "remote:a2", "--db", "x.db", "--json"])
    assert json.loads(shown.stdout)["url"] == ""  # a javascript: URL is never stored


def test_import_unknown_format_is_clear(runner, tmp_path):
    (tmp_path / "x.json").write_text('{"hello": 1}')
    result = runner.invoke(cli, ["import", "x.json", "--lab", "anthropic", "--db", "x.db"])
    assert result.exit_code == 1 and "cannot tell the format" in result.output


def test_db_from_environment(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("ASR_JOBS_DB", str(tmp_path / "env.db"))
    shutil.copy(FIXTURES / "greenhouse_board.json", tmp_path / "board.json")
    assert runner.invoke(cli, ["import", "board.json", "--lab", "anthropic"]).exit_code == 0
    assert (tmp_path / "env.db").exists() and not (tmp_path / "jobs.db").exists()


def test_labs_lists_every_lab_with_last_run(runner, tmp_path):
    har = write_har(tmp_path, (FIXTURES / "greenhouse_board.json").read_bytes())
    runner.invoke(cli, ["scrape", "anthropic", "--replay", str(har), "--db", "x.db"])
    rows = {r["lab"]: r for r in json.loads(runner.invoke(cli, ["labs", "--db", "x.db", "--json"]).stdout)}
    assert rows["anthropic"]["status"] == "ok" and rows["anthropic"]["open"] == 2 and rows["anthropic"]["new"] == 2
    assert rows["anthropic"]["adapter"] == "greenhouse" and rows["ai2"]["last_scrape"] is None


def test_user_lab_file_overrides_base_url(runner, tmp_path):
    (tmp_path / "labs.toml").write_text('[labs.anthropic]\nparams = { base_url = "http://127.0.0.1:9" }\n'
                                        '[labs.acme]\ntitle = "Acme"\ncategory = "startup"\nadapter = "greenhouse"\n'
                                        'params = { token = "acme" }\n')
    rows = {r["lab"]: r for r in json.loads(runner.invoke(cli, ["labs", "--labs", "labs.toml", "--db", "x.db",
                                                                 "--json"]).stdout)}
    assert rows["acme"]["title"] == "Acme"
    from asr_jobs.scrapers.adapters.greenhouse import board_url
    from asr_jobs.scrapers.registry import load_labs

    assert board_url(load_labs(tmp_path / "labs.toml")["anthropic"]) == \
        "http://127.0.0.1:9/v1/boards/anthropic/jobs?content=true"


def test_demo_then_jobs_json(runner):
    result = runner.invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    assert "sample" in result.output.lower()
    jobs = json.loads(runner.invoke(cli, ["jobs", "--db", "demo.db", "--json", "--limit", "5"]).stdout)
    assert len(jobs) == 5
    assert {"id", "title", "lab", "url", "score", "rank", "terms"} <= set(jobs[0])
    assert [j["rank"] for j in jobs] == [1, 2, 3, 4, 5]
    assert jobs[0]["score"] >= jobs[-1]["score"]
    assert any(w in jobs[0]["title"].lower() for w in ("speech", "asr", "audio", "spoken"))
    shown = json.loads(runner.invoke(cli, ["show", jobs[0]["id"], "--db", "demo.db", "--json"]).stdout)
    assert any(m["profile"] == "asr-research" for m in shown["matches"])
    text = runner.invoke(cli, ["show", jobs[0]["id"], "--db", "demo.db"]).stdout
    assert jobs[0]["title"] in text and "Scores" in text
    assert any(line.split()[:1] == ["asr-research"] for line in text.splitlines())


def test_jobs_without_match_says_what_to_do(runner, tmp_path):
    shutil.copy(FIXTURES / "greenhouse_board.json", tmp_path / "board.json")
    runner.invoke(cli, ["import", "board.json", "--lab", "anthropic", "--db", "x.db"])
    result = runner.invoke(cli, ["jobs", "--db", "x.db"])
    assert result.exit_code == 1 and "run `asr-jobs match` first" in result.output
