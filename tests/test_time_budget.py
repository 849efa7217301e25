"""A server trickling bytes holds a lab for its time budget at most: a transfer that used its whole deadline
is not retried, and a lab past its budget ends as partial (nothing closed, a clear warning)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

import asr_jobs.cli as cli_module
from asr_jobs.db import store
from asr_jobs.ingest import scrape_labs
from asr_jobs.models import ConfigError, Politeness, Posting, ScrapeError
from asr_jobs.samplesites.common import routes_of
from asr_jobs.samplesites.server import Fault, SampleServer, labs_toml
from asr_jobs.samplesites.transport import sample_transport
from asr_jobs.scrapers.fetch import DEFAULT_TIME_BUDGET, Fetcher, LabStats, RetryPolicy, time_budget
from asr_jobs.scrapers.har import load_har
from asr_jobs.scrapers.registry import load_labs

URL = "https://jobs.acme.example/api/list"


async def trickle() -> AsyncIterator[bytes]:
    """A body that never ends, a byte every 20 ms: no read timeout ever fires."""
    while True:
        await asyncio.sleep(0.02)
        yield b" "


class Trickling(httpx.AsyncBaseTransport):
    """The inner transport's answers, except that requests `slow` picks trickle forever."""

    def __init__(self, inner: httpx.AsyncBaseTransport, slow: Callable[[httpx.Request], bool]):
        self.inner, self.slow = inner, slow
        self.trickled = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.slow(request):
            self.trickled += 1
            return httpx.Response(200, headers={"Content-Type": "application/json"}, content=trickle())
        return await self.inner.handle_async_request(request)


def lab_file(tmp_path, name: str, **settings: object) -> str:
    path = tmp_path / "labs.toml"
    path.write_text(f"[labs.{name}]\n" + "".join(f"{key} = {value!r}\n" for key, value in settings.items()))
    return str(path)


async def test_a_trickling_transfer_is_not_retried():
    """Before: four attempts of the whole deadline each (a 30 s timeout: 20 minutes for one request)."""
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, content=trickle())

    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    fetcher = Fetcher(httpx.MockTransport(handler), deadline=0.2, sleep=sleep, retry=RetryPolicy(attempts=4))
    started = time.monotonic()
    with pytest.raises(ScrapeError) as err:
        await fetcher.request("acme", "GET", URL, politeness=Politeness(), stats=LabStats())
    assert time.monotonic() - started < 1.5 and len(calls) == 1 and sleeps == []
    assert "timed out (no complete response within 0.2 s); not retried" in str(err.value)
    assert err.value.kind == "timeout"
    await fetcher.aclose()


async def test_no_retry_starts_that_the_budget_would_not_let_finish():
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503)

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(seconds)

    fetcher = Fetcher(httpx.MockTransport(handler), sleep=sleep, retry=RetryPolicy(attempts=4, base_delay=1.0))
    ends = asyncio.get_running_loop().time() + 0.3
    with pytest.raises(ScrapeError) as err:
        await fetcher.request("acme", "GET", URL, politeness=Politeness(), stats=LabStats(), ends=ends)
    assert len(calls) == 1
    assert "HTTP 503; the lab's time budget runs out before another try (after 1 attempt(s))" in str(err.value)
    await fetcher.aclose()


async def test_a_lab_whose_listing_trickles_ends_partial_at_its_budget(tmp_path, monkeypatch):
    """Greenhouse trickling its board: the run ends at the budget as partial, and closes nothing."""
    monkeypatch.setenv("ASR_JOBS_TIMEOUT", "0.5")  # a deadline of 5 s per exchange: the budget comes first
    lab = load_labs(lab_file(tmp_path, "anthropic", time_budget=0.6))["anthropic"]
    assert lab.time_budget == 0.6
    db = store.open_db(None)
    kept = Posting(lab="anthropic", source_id="1", title="Speech Scientist", url="https://a.example/1")
    with store.write_transaction(db):
        store.save_postings(db, [kept])
    transport = Trickling(sample_transport({lab.name: lab}, sizes={lab.name: 2}), lambda request: True)
    started = time.monotonic()
    (outcome,) = await scrape_labs(db, [lab], transport=transport, http_cache=False)
    assert time.monotonic() - started < 3
    assert outcome.status == "partial" and outcome.error is None and transport.trickled == 1
    assert ("anthropic: stopped at its time budget of 0.6 s (time_budget in labs.toml, or ASR_JOBS_TIME_BUDGET); "
            "the run is partial: nothing was closed") in outcome.summary_row()["message"]
    assert db["postings"].get(kept.id)["status"] == "uncertain" and outcome.saved.closed == 0
    assert db.execute("SELECT status FROM scrape_runs").fetchone()[0] == "partial"


async def test_details_past_the_budget_keep_what_the_listing_showed(tmp_path, monkeypatch):
    """Workday: the listing answers, every detail trickles; the listing's postings are saved, nothing closed."""
    monkeypatch.setenv("ASR_JOBS_TIMEOUT", "0.5")
    monkeypatch.setenv("ASR_JOBS_TIME_BUDGET", "0.8")
    lab = dataclasses.replace(load_labs()["nvidia"], politeness=Politeness(4, 0.0), queries=["speech recognition"])
    assert time_budget(lab) == 0.8
    db = store.open_db(None)
    inner = sample_transport({lab.name: lab}, sizes={lab.name: 3})
    transport = Trickling(inner, lambda request: request.method == "GET" and "/job/" in request.url.path)
    (outcome,) = await scrape_labs(db, [lab], transport=transport, http_cache=False)
    assert transport.trickled >= 1
    assert outcome.status == "partial", outcome.summary_row()
    assert "stopped at its time budget of 0.8 s" in outcome.summary_row()["message"]
    assert outcome.saved.seen == db["postings"].count > 0 and outcome.saved.closed == 0


def test_time_budget_settings(tmp_path):
    lab = load_labs()["speechmatics"]
    assert lab.time_budget is None
    assert time_budget(lab, env={}) == DEFAULT_TIME_BUDGET + lab.politeness.interval * lab.max_details
    assert time_budget(lab, env={"ASR_JOBS_TIME_BUDGET": "90"}) == 90
    own = load_labs(lab_file(tmp_path, "speechmatics", time_budget=45))["speechmatics"]
    assert time_budget(own, env={"ASR_JOBS_TIME_BUDGET": "90"}) == 45  # the lab's own setting wins
    for bad in ("'fast'", "-1", "0"):
        (tmp_path / "bad.toml").write_text(f"[labs.speechmatics]\ntime_budget = {bad}\n")
        with pytest.raises(ConfigError, match=r"bad.toml: lab 'speechmatics' time_budget must be a positive number"):
            load_labs(tmp_path / "bad.toml")
    with pytest.raises(ValueError, match="ASR_JOBS_TIME_BUDGET='soon' is not a number"):
        time_budget(lab, env={"ASR_JOBS_TIME_BUDGET": "soon"})


@pytest.mark.slow
def test_scrape_of_a_stalling_server_ends_partial_at_the_budget_through_the_cli(tmp_path):
    """`asr-jobs scrape` against the local sample server stalling every answer: before, 4 tries of a 5 s
    read timeout failed the lab after 20 s; with time_budget = 1 it ends partial after about 1 s."""
    entries = load_har(Path(cli_module.__file__).with_name("demo") / "anthropic.har")
    env = {"ASR_JOBS_RETRY_SCALE": "0", "ASR_JOBS_TIMEOUT": "5", "NO_COLOR": "1", "ASR_JOBS_LABS": None,
           "ASR_JOBS_DB": None, "ASR_JOBS_TIME_BUDGET": None}
    with SampleServer(routes_of(entries), max_stall=8) as server:
        labs = tmp_path / "labs.toml"
        labs.write_text(labs_toml({"anthropic": server.base_url}, settings={"anthropic": {"time_budget": 1}}))
        args = ["scrape", "anthropic", "--db", str(tmp_path / "jobs.db"), "--labs", str(labs), "--json"]
        first = CliRunner().invoke(cli_module.cli, args, env=env)
        assert first.exit_code == 0, first.output
        stored = json.loads(first.stdout)[0]["new"]
        assert stored > 0
        server.reset(Fault("stall"))
        started = time.monotonic()
        result = CliRunner().invoke(cli_module.cli, args, env=env)
        elapsed = time.monotonic() - started
        server.reset()
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["status"] == "partial" and row["closed"] == 0 and row["uncertain"] == stored
    assert "anthropic: stopped at its time budget of 1 s" in row["message"]
    assert elapsed < 5
