"""Failure classes set by the fetcher, and a scrape with no network: no retries, one line saying so, in seconds."""

from __future__ import annotations

import json
import socket
import ssl
import time

import httpx
import pytest
from click.testing import CliRunner

import asr_jobs.cli as cli_module
from asr_jobs.db import store
from asr_jobs.ingest import scrape_labs
from asr_jobs.models import Lab, ParseError, Politeness, ScrapeError
from asr_jobs.samplesites.server import labs_toml
from asr_jobs.scrapers.fetch import Fetcher, LabContext, LabStats, RetryPolicy
from asr_jobs.scrapers.registry import load_labs

URL = "https://jobs.acme.example/api/list"
ENV = {"NO_COLOR": "1", "ASR_JOBS_LABS": None, "ASR_JOBS_DB": None, "ASR_JOBS_RETRY_SCALE": None,
       "ASR_JOBS_RETRY_ATTEMPTS": None}


def connect_error(cause: BaseException):
    """A handler failing to connect the way httpx does: a ConnectError raised from the socket's own error."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        try:
            raise cause
        except BaseException as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc

    return handler, seen


async def get(handler) -> ScrapeError:
    """The ScrapeError of one GET through a fetcher that would retry four times."""
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async with Fetcher(httpx.MockTransport(handler), retry=RetryPolicy(attempts=4), sleep=sleep) as fetcher:
        with pytest.raises(ScrapeError) as err:
            await fetcher.request("acme", "GET", URL, politeness=Politeness(), stats=LabStats())
    assert sleeps == []  # never waited for a retry
    return err.value


@pytest.mark.parametrize("cause, kind, words", [
    (socket.gaierror(-2, "Name or service not known"), "offline",
     "cannot resolve jobs.acme.example (DNS: Name or service not known)"),
    (ConnectionRefusedError(111, "Connection refused"), "offline", "connection to jobs.acme.example refused"),
    (OSError(101, "Network is unreachable"), "offline", "cannot reach jobs.acme.example (Network is unreachable)"),
    (ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), "tls",
     "TLS certificate of jobs.acme.example not accepted"),
    (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), "tls",
     "TLS handshake with jobs.acme.example failed"),
])
async def test_a_connection_that_cannot_be_made_is_classified_and_not_retried(cause, kind, words):
    handler, seen = connect_error(cause)
    error = await get(handler)
    assert error.kind == kind and len(seen) == 1
    assert str(error).startswith(f"acme: {words}") and str(error).endswith(f"({URL})")
    assert "ConnectError: " not in str(error)


async def test_a_certificate_failure_names_its_cause():
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
    cause.verify_message = "self-signed certificate in certificate chain"
    error = await get(connect_error(cause)[0])
    assert "(self-signed certificate in certificate chain)" in str(error)


@pytest.mark.parametrize("answer, kind", [
    (httpx.Response(429, headers={"Retry-After": "3600"}), "throttled"),
    (httpx.Response(403, text="Forbidden"), "http"),
    (httpx.Response(405, headers={"x-amzn-waf-action": "captcha"}, text="<html>captcha</html>"), "firewall"),
    (httpx.Response(202, headers={"cf-mitigated": "challenge"}, text="<html>Just a moment</html>"), "firewall"),
    (httpx.Response(200, headers={"content-type": "image/png"}, content=b"\x89PNG"), "format"),
])
async def test_http_answers_are_classified(answer, kind):
    error = await get(lambda request: answer)
    assert error.kind == kind, str(error)


async def test_a_timeout_after_retries_is_timeout():
    def handler(request):
        raise httpx.ReadTimeout("simulated", request=request)

    async with Fetcher(httpx.MockTransport(handler), retry=RetryPolicy(attempts=2, scale=0)) as fetcher:
        with pytest.raises(ScrapeError) as err:
            await fetcher.request("acme", "GET", URL, politeness=Politeness(), stats=LabStats())
    assert err.value.kind == "timeout" and "gave up after 2 attempt(s)" in str(err.value)


async def test_a_body_not_in_the_expected_shape_is_format_naming_the_key():
    async with Fetcher(httpx.MockTransport(lambda r: httpx.Response(200, json={"jobs_v2": []}))) as fetcher:
        ctx = LabContext(Lab("acme", "Acme", "startup", "greenhouse", params={"token": "acme"}), fetcher)
        from asr_jobs.scrapers.adapters import greenhouse

        with pytest.raises(ParseError) as err:
            await greenhouse.probe(ctx)
    assert err.value.kind == "format" and "'jobs'" in str(err.value)


async def test_every_lab_refused_fails_at_once_without_retries(tmp_path):
    handler, seen = connect_error(ConnectionRefusedError(111, "Connection refused"))
    labs = list(load_labs().values())
    db = store.open_db(tmp_path / "jobs.db")
    started = time.monotonic()
    outcomes = await scrape_labs(db, labs, transport=httpx.MockTransport(handler))
    assert time.monotonic() - started < 20
    assert {o.kind for o in outcomes} == {"offline"} and all(o.failed for o in outcomes)
    assert len(seen) <= len(labs) * 3  # a lab's first refused request ends it (queries in flight may be sent)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("fmt", ["--table", "--json"])
def test_scrape_with_no_network_ends_in_seconds_with_one_line(tmp_path, fmt):
    labs = load_labs()
    labs_file = tmp_path / "offline.toml"
    labs_file.write_text(labs_toml(dict.fromkeys(labs, f"http://127.0.0.1:{closed_port()}")), encoding="utf-8")
    started = time.monotonic()
    result = CliRunner().invoke(cli_module.cli, ["scrape", "--db", str(tmp_path / "jobs.db"), "--labs", str(labs_file),
                                                 fmt], env=ENV, catch_exceptions=False)
    seconds = time.monotonic() - started
    assert result.exit_code == 1 and seconds < 20
    assert result.stderr.splitlines() == [f"offline this machine seems offline: no lab could be reached (no network "
                                          f"or DNS): check your connection/proxy ({len(labs)} labs)"]
    if fmt == "--json":  # the data stays complete for scripts: every lab failed
        rows = json.loads(result.stdout)
        assert {row["status"] for row in rows} == {"failed"} and len(rows) == len(labs)
    else:
        assert result.stdout == ""


def test_scrape_with_some_labs_offline_prints_each_of_their_errors(tmp_path):
    labs_file = tmp_path / "some.toml"
    labs_file.write_text(labs_toml({"anthropic": f"http://127.0.0.1:{closed_port()}"}) +
                         '\n[labs.export]\nadapter = "jsonl"\ncategory = "startup"\n', encoding="utf-8")
    result = CliRunner().invoke(cli_module.cli, ["scrape", "--db", str(tmp_path / "jobs.db"), "--labs", str(labs_file),
                                                 "--json", "anthropic", "export"], env=ENV, catch_exceptions=False)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error ")]
    assert len(errors) == 2 and "seems offline" not in result.stderr
    assert any("anthropic: connection to 127.0.0.1:" in line and "refused" in line for line in errors)
