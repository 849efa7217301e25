"""Text from outside cannot act on a terminal nor a spreadsheet; `serve` answers only what it should.

Escape sequences from a server's error body, formulas in scraped titles, invalid UTF-8, credentials in
URLs, redirects to another port, writes and DNS rebinding against `serve`: each through the shipped
CLI, the fetcher or the datasette app.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import ssl

import httpx
import pytest
import sqlite_utils
from click.testing import CliRunner
from datasette.app import Datasette

import asr_jobs.cli as cli_module
from asr_jobs.cli import cli
from asr_jobs.db import browse
from asr_jobs.db.datasette_plugin import OneLineFormatter
from asr_jobs.models import Lab, ScrapeError
from asr_jobs.safetext import csv_cell, printable
from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy
from asr_jobs.scrapers.html_text import safe_url

from .conftest import FIXTURES
from .datasette_fixture import build_jobs_db, pid

BOARD_URL = "https://boards-api.greenhouse.io/v1/boards/anthropic/jobs"
# Screen clear, cursor home, a window-title write (OSC, BEL- and ST-terminated), a terminal reset, an
# 8-bit CSI, a right-to-left override, a zero-width space, a Unicode tag character.
HOSTILE = ("Access denied\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b]2;again\x1b\\\x1bc\x9b31m"
           "\u202etxt.exe\u200bhidden\U000e0041 $ sudo rm -rf /\r\n")
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
                    "\U000e0000-\U000e007f]")


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASR_JOBS_DB", raising=False)
    monkeypatch.setenv("ASR_JOBS_RETRY_SCALE", "0")
    return CliRunner()


def scrape_through(monkeypatch, handler) -> None:
    """Make `asr-jobs scrape` fetch through a MockTransport running `handler` (everything else as shipped)."""
    transport = httpx.MockTransport(handler)
    monkeypatch.setattr(cli_module, "recording_transport", lambda record, replay: transport)


def assert_printable(text: str) -> None:
    found = UNSAFE.findall(text)
    assert not found, f"unsafe characters reached the output: {found!r} in {text!r}"


# --- terminal escapes ---------------------------------------------------------------------------------


def test_printable_removes_whole_escape_sequences_and_invisible_characters():
    assert printable(HOSTILE) == "Access deniedtxt.exehidden $ sudo rm -rf /\n"
    assert printable("a\tb\nc\rd", lines=False) == "a b c d"
    assert printable("Équipe 語音 🎙️ naïve – “quoted”\n\t- item") == "Équipe 語音 🎙️ naïve – “quoted”\n\t- item"
    # An ESC before rich's markup escape loses only itself: the backslash keeps "[bold]" literal.
    assert printable("\x1b\\[bold]x") == "\\[bold]x"


def test_lone_surrogates_in_a_file_are_dropped_from_text_and_refused_in_an_id(runner, tmp_path):
    """A JSON escape such as \\ud800 decodes to a character no encoding writes: it once stopped the whole import
    with "'utf-8' codec can't encode", naming neither the file nor the line."""
    lines = [{"id": "a", "title": "Speech\ud800 Scientist", "description": "ASR\udfff research", "location": "R\ud800",
              "company": "E\udc00", "url": "https://e.x/\ud800"}, {"id": "b", "title": "ok"}]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = runner.invoke(cli, ["import", str(tmp_path / "p.jsonl"), "--lab", "remote", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 0, result.output
    shown = json.loads(runner.invoke(cli, ["show", "remote:a", "--db", str(tmp_path / "x.db"), "--json"]).stdout)
    assert (shown["title"], shown["description"], shown["location"], shown["company"], shown["url"]) == \
        ("Speech Scientist", "ASR research", "R", "E", "")
    (tmp_path / "q.jsonl").write_text(json.dumps({"id": "c\ud800", "title": "x"}) + "\n" + json.dumps(lines[1]) + "\n")
    refused = runner.invoke(cli, ["import", str(tmp_path / "q.jsonl"), "--lab", "remote", "--db", str(tmp_path / "x.db")])
    assert refused.exit_code == 1
    assert "remote: line 1: the id 'c\\ud800' holds a lone surrogate" in refused.output
    assert "q.jsonl" in refused.output and "Traceback" not in refused.output


def test_error_body_with_escapes_never_reaches_the_terminal_the_database_or_labs(runner, monkeypatch):
    scrape_through(monkeypatch, lambda request: httpx.Response(
        403, content=HOSTILE.encode(), headers={"content-type": "text/plain"}))
    for fmt in ("--table", "--json", "--csv"):
        result = runner.invoke(cli, ["scrape", "anthropic", "--db", "x.db", fmt])
        assert result.exit_code == 1, result.output
        assert_printable(result.stdout)
        assert_printable(result.stderr)
        assert "HTTP 403: Access deniedtxt.exehidden $ sudo rm -rf /" in result.stderr
    errors = [row[0] for row in sqlite_utils.Database("x.db").execute("SELECT error FROM scrape_runs")]
    assert len(errors) == 3 and all("Access denied" in e for e in errors)
    assert_printable("".join(errors))
    for fmt in ("--table", "--json", "--csv"):
        listed = runner.invoke(cli, ["labs", "--db", "x.db", fmt])
        assert listed.exit_code == 0, listed.output
        assert "Access" in listed.stdout  # the table folds long messages
        assert_printable(listed.stdout)


def test_json_error_message_with_escapes_is_printable(runner, monkeypatch):
    scrape_through(monkeypatch, lambda request: httpx.Response(401, json={"message": HOSTILE}))
    result = runner.invoke(cli, ["scrape", "anthropic", "--db", "x.db", "--json"])
    assert result.exit_code == 1
    (row,) = json.loads(result.stdout)
    assert row["message"].startswith("anthropic: HTTP 401: message=") and "Access denied" in row["message"]
    assert_printable(row["message"])
    assert_printable(result.stderr)


def test_scraped_text_with_escapes_and_bidi_is_stored_and_shown_clean(runner, monkeypatch):
    board = json.loads((FIXTURES / "greenhouse_board.json").read_bytes())
    board["jobs"][0]["title"] = "Speech\x1b]0;pwned\x07 Scientist \u202eredro\u202c"
    scrape_through(monkeypatch, lambda request: httpx.Response(200, json=board))
    assert runner.invoke(cli, ["scrape", "anthropic", "--db", "x.db"]).exit_code == 0
    titles = [r[0] for r in sqlite_utils.Database("x.db").execute("SELECT title FROM postings")]
    assert "Speech Scientist redro" in titles
    assert_printable("".join(titles))


def test_text_stored_before_cleaning_is_printed_clean_by_show_and_jobs(runner, tmp_path):
    path = build_jobs_db(tmp_path / "jobs.db")
    db = sqlite_utils.Database(path)
    db["postings"].update(pid("anthropic", "101"), {"title": "Scientist \u202eevil\u202c\x1b]0;t\x07",
                                                     "description": "Join us\x1b[2J\u200b\nnow"})
    db.close()
    for args in (["show", pid("anthropic", "101")], ["show", pid("anthropic", "101"), "--json"], ["jobs"],
                 ["jobs", "--json"], ["jobs", "--csv"]):
        result = runner.invoke(cli, [*args, "--db", str(path)])
        assert result.exit_code == 0, result.output
        assert "Scientist" in result.stdout
        assert_printable(result.stdout)


def test_a_hostile_sort_in_serve_logs_one_printable_line_and_no_traceback(tmp_path, capsys, caplog):
    ds = browse.build_datasette(build_jobs_db(tmp_path / "jobs.db"))
    with caplog.at_level(logging.INFO, logger="asr_jobs.serve"):
        response = run(ds.client.get("/jobs/postings?_sort=%1B%5D0%3Bpwn%07%1B%5B2J%E2%80%AEtitle"))
    assert response.status_code >= 400
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "", "datasette printed a traceback"
    (record,) = caplog.records
    line = OneLineFormatter().format(record)
    assert line.startswith("error: GET /jobs/postings -> HTTP 500: DatasetteError: Cannot sort table by")
    assert "\n" not in line
    assert_printable(line)


def test_serve_log_lines_never_carry_a_traceback_or_escapes():
    try:
        raise RuntimeError("boom \x1b[2J\u202e")
    except RuntimeError:
        record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application\x1b]0;x\x07",
                                   None, exc_info=__import__("sys").exc_info())
    assert OneLineFormatter().format(record) == "error: Exception in ASGI application (RuntimeError: boom )"


# --- CSV formulas -------------------------------------------------------------------------------------

FORMULAS = {"101": '=HYPERLINK("https://evil.example","Apply")', "201": "+cmd|' /C calc'!A0",
            "301": "@SUM(1+1)*cmd|' /C calc'!A0", "103": "-2+3+cmd|' /C calc'!A0", "202": "\t=1+1"}


def formula_db(tmp_path):
    path = build_jobs_db(tmp_path / "jobs.db")
    db = sqlite_utils.Database(path)
    for sid, title in FORMULAS.items():
        lab = next(r[0] for r in db.execute("SELECT lab FROM postings WHERE source_id = ?", [sid]))
        db["postings"].update(pid(lab, sid), {"title": title})
    db["postings"].update(pid("anthropic", "102"), {"title": "-5"})
    db.close()
    return path


def test_csv_cells_never_start_a_formula_but_numbers_stay_numbers():
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("@A1") == "'@A1" and csv_cell("\r=1") == "'\r=1"
    assert csv_cell("-5") == "-5" and csv_cell("+1.5e3") == "+1.5e3" and csv_cell("Engineer") == "Engineer"


def test_jobs_csv_neutralizes_formulas(runner, tmp_path):
    path = formula_db(tmp_path)
    result = runner.invoke(cli, ["jobs", "--db", str(path), "--csv", "--status", "all", "--limit", "0"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    titles = {row["title"] for row in rows}
    assert {"'" + title for title in FORMULAS.values()} <= titles
    assert "-5" in titles  # a number-like title is no formula
    assert all(not row["title"].startswith(("=", "+", "@", "\t")) for row in rows)
    assert all(re.fullmatch(r"0\.\d+", row["score"]) for row in rows)


def test_datasette_csv_neutralizes_formulas_and_is_not_streamed(tmp_path):
    ds = browse.build_datasette(formula_db(tmp_path))
    response = run(ds.client.get("/jobs/postings.csv?_size=max"))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    titles = {row["title"] for row in rows}
    assert {"'" + title for title in FORMULAS.values()} <= titles and "-5" in titles
    assert {row["salary_max"] for row in rows} >= {"400000.0", "60.0"}  # numbers untouched
    query = run(ds.client.get("/jobs/ranked_for_profile.csv?profile=asr-research"))
    ranked_titles = {row["title"] for row in csv.DictReader(io.StringIO(query.text))}
    assert "'" + FORMULAS["101"] in ranked_titles and FORMULAS["101"] not in ranked_titles
    assert run(ds.client.get("/jobs/postings.csv?_stream=1")).status_code == 400
    # The hooks act on the instances `serve` builds only: a plain Datasette in the same process stays plain.
    plain = Datasette([str(tmp_path / "jobs.db")])
    plain_csv = run(plain.client.get("/jobs/postings.csv?_size=max")).text
    assert FORMULAS["101"] in {row["title"] for row in csv.DictReader(io.StringIO(plain_csv))}


# --- serve: read-only, Host header --------------------------------------------------------------------


def test_a_post_to_a_canned_query_is_a_clean_read_only_refusal(tmp_path):
    ds = browse.build_datasette(build_jobs_db(tmp_path / "jobs.db"))
    response = run(ds.client.post("/jobs/ranked_for_profile", data={"profile": "streaming"}))
    assert response.status_code == 405 and "read-only" in response.text
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


def served_app(runner, tmp_path, monkeypatch, *args):
    """The ASGI app and options `asr-jobs serve` hands to uvicorn (which is not started)."""
    import uvicorn

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(app=app, **kwargs))
    path = build_jobs_db(tmp_path / "jobs.db")
    result = runner.invoke(cli, ["serve", "--db", str(path), "--port", "0", *args])
    assert result.exit_code == 0, result.output
    return seen


def get_with_host(app, host: str) -> int:
    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c:
            return (await c.get("/jobs/postings.json", headers={"host": host})).status_code

    return run(go())


def test_serve_answers_only_local_host_names(runner, tmp_path, monkeypatch):
    seen = served_app(runner, tmp_path, monkeypatch)
    port = seen["port"]
    assert seen["host"] == "127.0.0.1" and seen["log_config"]["formatters"]["line"]["()"].endswith("OneLineFormatter")
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "localhost"):
        assert get_with_host(seen["app"], host) == 200, host
    for host in (f"evil.example:{port}", f"127.0.0.1.evil.example:{port}", "", f"localhost:{port + 1}"):
        assert get_with_host(seen["app"], host) == 400, host


def test_serve_with_host_answers_any_name(runner, tmp_path, monkeypatch):
    seen = served_app(runner, tmp_path, monkeypatch, "--host", "127.0.0.1")
    assert get_with_host(seen["app"], f"jobs.lan:{seen['port']}") == 200


# --- fetching -----------------------------------------------------------------------------------------


def lab_context(handler) -> LabContext:
    lab = Lab(name="acme", title="Acme", category="industry", adapter="greenhouse")
    return LabContext(lab, Fetcher(httpx.MockTransport(handler), retry=RetryPolicy(attempts=1)))


def test_a_tls_failure_names_its_cause():
    def handler(request):
        try:
            raise ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                                                  "self-signed certificate (_ssl.c:1006)")
        except ssl.SSLError as exc:
            raise httpx.ConnectError("", request=request) from exc

    with pytest.raises(ScrapeError) as err:
        run(lab_context(handler).get_json("https://jobs.acme.example/api"))
    assert "TLS certificate of jobs.acme.example not accepted" in str(err.value) and err.value.kind == "tls"
    assert "certificate verify failed: self-signed certificate" in str(err.value)


def test_one_invalid_utf8_byte_costs_a_warning_not_the_lab(runner, monkeypatch):
    board = json.loads((FIXTURES / "greenhouse_board.json").read_bytes())
    board["jobs"][0]["title"] = "Speech XX Scientist"
    body = json.dumps(board).encode().replace(b"XX", b"\xff")
    scrape_through(monkeypatch, lambda request: httpx.Response(
        200, content=body, headers={"content-type": "application/json; charset=utf-8"}))
    result = runner.invoke(cli, ["scrape", "anthropic", "--db", "x.db", "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert (row["status"], row["seen"]) == ("ok", 2)
    assert "invalid utf-8 at byte" in row["message"] and BOARD_URL in row["message"]
    titles = [r[0] for r in sqlite_utils.Database("x.db").execute("SELECT title FROM postings")]
    assert "Speech \ufffd Scientist" in titles


def test_text_pages_with_invalid_bytes_warn_too():
    ctx = lab_context(lambda request: httpx.Response(200, content=b"<p>caf\xe9</p>",
                                                     headers={"content-type": "text/html; charset=utf-8"}))
    assert run(ctx.get_text("https://jobs.acme.example/")) == "<p>caf\ufffd</p>"
    assert len(ctx.warnings) == 1 and "invalid utf-8 at byte 6" in ctx.warnings[0]


def test_urls_with_credentials_are_refused():
    for bad in ("https://user:pass@jobs.example/1", "https://user@jobs.example/1", "https://@jobs.example/1",
                "https://jobs.example@evil.example/1", "https://jobs.example/\u202e1"):
        assert safe_url(bad) == "", bad
    assert safe_url("https://jobs.example/apply?email=a@b.example") == "https://jobs.example/apply?email=a@b.example"


@pytest.mark.parametrize("start, target, followed", [
    ("https://jobs.acme.example/api", "https://jobs.acme.example:8443/api", False),
    ("https://jobs.acme.example:8443/api", "https://jobs.acme.example/api", False),
    ("https://jobs.acme.example/api", "http://jobs.acme.example/api", False),
    ("http://jobs.acme.example/api", "https://jobs.acme.example/api", True),
    ("https://jobs.acme.example/api", "https://careers.acme.example:443/api", True),
])
def test_redirects_keep_scheme_and_port(start, target, followed):
    requested = []

    def handler(request):
        requested.append(str(request.url))
        if len(requested) == 1:
            return httpx.Response(302, headers={"location": target})
        return httpx.Response(200, json={"jobs": []})

    ctx = lab_context(handler)
    if followed:
        assert run(ctx.get_json(start)) == {"jobs": []} and len(requested) == 2
        return
    with pytest.raises(ScrapeError, match="redirected to another port or scheme: "):
        run(ctx.get_json(start))
    assert requested == [start]


def run(coroutine):
    import asyncio

    return asyncio.run(coroutine)
