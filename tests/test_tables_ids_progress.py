"""Issue 14, points 3, 8, 9 and 10 through the shipped CLI: short ids, tables that fit, progress, interrupted runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from rich.console import Console

from asr_jobs import cli as cli_module
from asr_jobs.cli import cli
from asr_jobs.cli_common import entry_text, fitted_table
from asr_jobs.db import queries, store

DEMO_HARS = Path(cli_module.__file__).parent / "demo"
ANSI = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;[^\x1b]*\x1b\\")
LINK = re.compile(r"\x1b\]8;[^;]*;([^\x1b]+)\x1b\\")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    """The demo's database (17 labs replayed, matched), made once by `asr-jobs demo`."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    result = CliRunner().invoke(cli, ["demo", "--db", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASR_JOBS_DB", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)
    return CliRunner()


def terminal(monkeypatch, width: int) -> None:
    """Make the CLI's rich consoles see a terminal of `width` columns."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", str(width))


def plain_lines(output: str) -> list[str]:
    return ANSI.sub("", output).splitlines()


def dead_pid() -> int:
    """The id of a process that has exited."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


# --- 3: short ids ----------------------------------------------------------------------------------


def table_ids(output: str) -> list[str]:
    """The id column of a ranked table: the second cell of each row that starts with a rank."""
    return [m.group(1) for m in re.finditer(r"^│ \d+\s+│ (\S+)\s+│", "\n".join(plain_lines(output)), re.M)]


def test_jobs_table_shows_short_ids_that_show_accepts(runner, demo_db, monkeypatch):
    terminal(monkeypatch, 100)
    result = runner.invoke(cli, ["jobs", "--db", str(demo_db), "--limit", "8"])
    assert result.exit_code == 0, result.output
    ids = table_ids(result.output)
    assert len(ids) == 8 and all(len(i) >= 4 for i in ids) and len(set(ids)) == 8
    full = json.loads(runner.invoke(cli, ["jobs", "--db", str(demo_db), "--limit", "8", "--json"]).output)
    for short, row in zip(ids, full, strict=True):
        assert row["id"].startswith(short)
        shown = runner.invoke(cli, ["show", short, "--db", str(demo_db), "--json"])
        assert shown.exit_code == 0, shown.output
        assert json.loads(shown.output)["id"] == row["id"]


def test_demo_table_shows_the_short_ids(runner, tmp_path, monkeypatch):
    terminal(monkeypatch, 100)
    result = runner.invoke(cli, ["demo", "--db", str(tmp_path / "d.db"), "--limit", "3"])
    assert result.exit_code == 0, result.output
    ids = table_ids(result.output.split("sample postings for profile")[1])
    assert len(ids) == 3
    for short in ids:
        assert runner.invoke(cli, ["show", short, "--db", str(tmp_path / "d.db")]).exit_code == 0


def test_short_ids_are_the_shortest_unique_prefixes(tmp_path):
    db = store.open_db(tmp_path / "ids.db")
    ids = ["abcdef0000000001", "abcdef0000000002", "abcd990000000000", "ffff000000000000", "0123456789abcdef"]
    db["labs"].insert({"name": "lab", "title": "Lab", "category": "industry", "adapter": "jsonl", "config": "{}"})
    db["postings"].insert_all([{"id": i, "lab": "lab", "source_id": i, "title": f"Job {i}"} for i in ids])
    short = queries.short_ids(db, ids)
    assert short == {"abcdef0000000001": "abcdef0000000001", "abcdef0000000002": "abcdef0000000002",
                     "abcd990000000000": "abcd9", "ffff000000000000": "ffff", "0123456789abcdef": "0123"}
    assert queries.short_ids(db, ids) == short  # the same every time


def test_show_says_too_short_and_ambiguous(runner, tmp_path):
    db = store.open_db(tmp_path / "ids.db")
    db["labs"].insert({"name": "lab", "title": "Lab", "category": "industry", "adapter": "jsonl", "config": "{}"})
    ids = ["abcd000000000001", "abcd000000000002", "abcd100000000000"]
    db["postings"].insert_all([{"id": i, "lab": "lab", "source_id": i, "title": f"Job {i[-1]}"} for i in ids])
    too_short = runner.invoke(cli, ["show", "abc", "--db", str(tmp_path / "ids.db")])
    assert too_short.exit_code == 1 and "too short" in too_short.output and "4 characters" in too_short.output
    ambiguous = runner.invoke(cli, ["show", "abcd0", "--db", str(tmp_path / "ids.db")])
    assert ambiguous.exit_code == 1 and "ambiguous" in ambiguous.output
    assert "abcd000000000001" in ambiguous.output and "abcd000000000002" in ambiguous.output
    assert runner.invoke(cli, ["show", "abcd1", "--db", str(tmp_path / "ids.db"), "--json"]).exit_code == 0
    assert "no posting" in runner.invoke(cli, ["show", "abce", "--db", str(tmp_path / "ids.db")]).output


# --- 8: tables that fit the terminal --------------------------------------------------------------------

ROWS = [
    {"rank": 1, "id": "68ab", "score": 0.466, "title": "Senior Research Scientist, Speech Recognition and Audio LLMs",
     "lab": "google-deepmind", "location": "Mountain View, California, US; London, UK; Zurich, Switzerland",
     "seniority": "research-scientist", "salary": "$197K–$291K/yr",
     "url": "https://www.google.com/about/careers/applications/jobs/results/118230450296881862-research-scientist",
     "terms": "speech, ASR, research"},
    {"rank": 2, "id": "af19", "score": 0.457, "title": "Research Engineer, Multilingual Text-to-Speech",
     "lab": "speechmatics", "location": "Cambridge, UK", "seniority": "research-engineer",
     "salary": "£95K–£125K/yr", "url": "https://apply.workable.com/speechmatics/j/ABC123/", "terms": "TTS, speech"},
]
COLUMNS = ["rank", "id", "score", "title", "lab", "location", "seniority", "salary", "url", "terms"]


def rendered(width: int) -> str:
    console = Console(file=StringIO(), width=width, force_terminal=True, color_system="truecolor")
    console.print(fitted_table(ROWS, COLUMNS, console, title="ranked"))
    return console.file.getvalue()


@pytest.mark.parametrize("width", [80, 100, 160])
def test_tables_fit_without_splitting_words_amounts_or_urls(width):
    output = rendered(width)
    lines = plain_lines(output)
    assert max(len(line) for line in lines) <= width
    text = "\n".join(lines)
    words = {w for line in lines for w in re.findall(r"[^\s│┃]+", line)}
    for row in ROWS:
        assert row["salary"] in text  # never split
        assert row["id"] in words
        assert row["url"] not in text  # the URL is a link on the id, not text spread over lines
        assert all(word in words for word in row["title"].split())  # no word split or cut
        first_words = " ".join(row["title"].split()[:2])
        assert any(first_words in line for line in lines)
    assert {row["url"] for row in ROWS} <= set(LINK.findall(output))


def test_narrow_tables_drop_low_value_columns_first():
    narrow, wide = plain_lines(rendered(80))[2], plain_lines(rendered(160))[2]
    for kept in ("rank", "id", "title", "lab", "salary"):
        assert kept in narrow
    assert "location" not in narrow and "seniority" not in narrow
    assert "location" in wide and "seniority" in wide


@pytest.mark.parametrize("width", [80, 100])
def test_jobs_fits_the_terminal(runner, demo_db, monkeypatch, width):
    terminal(monkeypatch, width)
    result = runner.invoke(cli, ["jobs", "--db", str(demo_db), "--limit", "0"])
    assert result.exit_code == 0, result.output
    lines = plain_lines(result.output)
    assert max(len(line) for line in lines) <= width
    rows = json.loads(runner.invoke(cli, ["jobs", "--db", str(demo_db), "--limit", "0", "--json"]).output)
    text = "\n".join(lines)
    for row in rows:
        if row["salary"]:
            assert row["salary"] in text
        assert row["url"] not in text
    assert {r["url"] for r in rows if r["url"]} <= set(LINK.findall(result.output))


@pytest.mark.parametrize("width", [80, 100, 160])
def test_show_wraps_score_explanations_between_terms(runner, demo_db, monkeypatch, width):
    top = json.loads(runner.invoke(cli, ["jobs", "--db", str(demo_db), "--limit", "1", "--json"]).output)[0]
    shown = json.loads(runner.invoke(cli, ["show", top["id"], "--db", str(demo_db), "--json"]).output)
    terminal(monkeypatch, width)
    lines = plain_lines(runner.invoke(cli, ["show", top["id"], "--db", str(demo_db)]).output)
    scores = lines[lines.index("Scores") + 1: lines.index("", lines.index("Scores"))]
    assert max(len(line) for line in scores) <= width
    # Each profile's explanation, read back across its wrapped lines, is the whole list of entries.
    first = [i for i, line in enumerate(scores) if re.match(r"  \S", line)]
    assert len(first) == len(shown["matches"])
    for start, end, match in zip(first, [*first[1:], len(scores)], shown["matches"], strict=True):
        beside = scores[start][re.search(r" rank \d+ *", scores[start]).end():]  # type: ignore[union-attr]
        text = " ".join(part for part in (beside, *(line.strip() for line in scores[start + 1:end])) if part)
        assert text == ", ".join(entry_text(t) for t in match["terms"][:8])


def test_piped_tables_and_csv_stay_complete(runner, demo_db):
    rows = json.loads(runner.invoke(cli, ["jobs", "--db", str(demo_db), "--limit", "0", "--json"]).output)
    table = runner.invoke(cli, ["jobs", "--db", str(demo_db), "--limit", "0"]).output  # not a terminal
    csv_text = runner.invoke(cli, ["jobs", "--db", str(demo_db), "--limit", "0", "--csv"]).output
    for row in rows:
        assert any(row["url"] in line and row["title"] in line for line in table.splitlines())
        assert row["url"] in csv_text and row["id"] in csv_text


# --- 9: progress on stderr --------------------------------------------------------------------------


def scrape_args(tmp_path: Path) -> list[str]:
    return ["scrape", "anthropic", "openai", "--replay", str(DEMO_HARS / "anthropic.har"),
            "--replay", str(DEMO_HARS / "openai.har"), "--db", str(tmp_path / "p.db")]


def test_scrape_progress_only_on_a_terminal(runner, tmp_path, monkeypatch):
    quiet = runner.invoke(cli, scrape_args(tmp_path))
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == ""
    terminal(monkeypatch, 120)
    shown = runner.invoke(cli, scrape_args(tmp_path))
    assert shown.exit_code == 0, shown.output
    progress = ANSI.sub("", shown.stderr)
    assert "scraping" in progress and "2/2 labs" in progress
    assert re.search(r"anthropic: ok.*\d+ postings?, \d+ requests?", progress)
    assert re.search(r"openai: ok.*\d+ postings?, \d+ requests?", progress)
    silenced = runner.invoke(cli, [*scrape_args(tmp_path), "--quiet"])
    assert silenced.exit_code == 0 and silenced.stderr == ""


def test_import_match_and_eval_progress(runner, tmp_path, monkeypatch):
    jsonl = tmp_path / "postings.jsonl"
    titles = ["Research Scientist, Speech Recognition", "Speech Synthesis Researcher", "Backend Engineer"]
    jsonl.write_text("".join(json.dumps({"id": f"s{i}", "title": t, "description": f"{t} role", "url": ""}) + "\n"
                             for i, t in enumerate(titles)))
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"id": "s0", "grade": 3}\n{"id": "s1", "grade": 2}\n')
    db = ["--db", str(tmp_path / "e.db")]
    commands = {"importing": ["import", str(jsonl), "--lab", "dev", "--format", "jsonl", *db],
                "matching": ["match", *db], "bootstrap": ["eval", str(labels), "--samples", "20", *db]}
    for command in commands.values():  # not a terminal: silent
        result = runner.invoke(cli, command)
        assert result.exit_code == 0, result.output
        assert "importing" not in result.stderr and "step" not in result.stderr and "rows" not in result.stderr
    terminal(monkeypatch, 120)
    for word, command in commands.items():
        shown = runner.invoke(cli, command)
        assert shown.exit_code == 0, shown.output
        assert word in ANSI.sub("", shown.stderr)
        silenced = runner.invoke(cli, [*command, "--quiet"])
        assert word not in ANSI.sub("", silenced.stderr)


# --- 10: interrupted runs ---------------------------------------------------------------------------


def lab_rows(runner: CliRunner, path: Path) -> dict[str, dict]:
    result = runner.invoke(cli, ["labs", "--db", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return {row["lab"]: row for row in json.loads(result.output)}


def test_labs_shows_a_run_whose_process_is_gone_as_interrupted(runner, tmp_path):
    path = tmp_path / "runs.db"
    db = store.open_db(path)
    db["labs"].insert_all([{"name": n, "title": n, "category": "industry", "adapter": "greenhouse", "config": "{}"}
                           for n in ("anthropic", "openai")])
    db["scrape_runs"].insert_all([
        {"lab": "anthropic", "started_at": "2026-12-01T10:00:00+00:00", "status": "running", "pid": dead_pid()},
        {"lab": "openai", "started_at": "2026-12-01T10:00:00+00:00", "status": "running", "pid": 1},  # init: alive
    ])
    rows = lab_rows(runner, path)
    assert rows["anthropic"]["status"] == "interrupted"
    assert "stopped before this lab finished" in rows["anthropic"]["error"]
    assert rows["openai"]["status"] == "running"
    assert db["scrape_runs"].get(1)["status"] == "running"  # a read changes nothing


def test_ctrl_c_marks_the_scrapes_runs_interrupted(runner, tmp_path, monkeypatch):
    pressed: list[str] = []

    def interrupt(request: httpx.Request) -> httpx.Response:
        # Ctrl-C reaches the process once: later requests (the other lab's) just wait to be cancelled.
        if pressed:
            return httpx.Response(503)
        pressed.append(str(request.url))
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module, "recording_transport", lambda record, replay: httpx.MockTransport(interrupt))
    path = tmp_path / "ctrl-c.db"
    result = runner.invoke(cli, ["scrape", "anthropic", "openai", "--db", str(path)])
    assert result.exit_code == 130
    assert "interrupted" in result.stderr
    runs = list(store.open_db(path)["scrape_runs"].rows)
    assert runs and {r["status"] for r in runs} == {"interrupted"}  # in the database, not only in `labs`
    assert all("Ctrl-C" in r["error"] for r in runs)
    rows = lab_rows(runner, path)
    assert {rows[r["lab"]]["status"] for r in runs} == {"interrupted"}

