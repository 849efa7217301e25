"""Ingestion: a scrape run end to end through transports (labs isolated, HAR recorded and replayed, retries),
and an import through the CLI going through the same steps (the lab's filters drop what a scrape would)."""

import dataclasses
import json

import httpx
import pytest
from click.testing import CliRunner

from asr_jobs.cli import cli
from asr_jobs.db import store
from asr_jobs.ingest import import_file, scrape_labs
from asr_jobs.models import Politeness, ScrapeError
from asr_jobs.samplesites.transport import sample_transport
from asr_jobs.scrapers.fetch import Fetcher, LabStats, RetryPolicy
from asr_jobs.scrapers.har import RecordingTransport, ReplayTransport, normalized_url

from .conftest import fixture_bytes

BOARD = "https://boards-api.greenhouse.io/v1/boards/{}/jobs?content=true"


def boards(labs, failing: set[str] = frozenset()) -> httpx.MockTransport:
    """The sample Greenhouse boards of the labs, two postings each; the failing labs' boards are not found (404)."""
    served = {lab.name: lab for lab in labs if lab.name not in failing}
    return sample_transport(served, sizes=dict.fromkeys(served, 2))


async def test_one_lab_failing_does_not_stop_the_others(labs):
    db = store.open_db(None)
    chosen = [labs["anthropic"], labs["ai2"]]
    outcomes = await scrape_labs(db, chosen, transport=boards(chosen, {"ai2"}))
    by_lab = {o.lab: o for o in outcomes}
    assert by_lab["anthropic"].status == "ok" and by_lab["anthropic"].saved.new == 2
    assert by_lab["ai2"].status == "failed"
    assert "ai2: HTTP 404" in by_lab["ai2"].error and BOARD.format("thealleninstitute") in by_lab["ai2"].error
    runs = {r["lab"]: r for r in db["scrape_runs"].rows}
    assert runs["ai2"]["status"] == "failed" and runs["anthropic"]["new"] == 2


async def test_failure_after_success_closes_nothing(labs):
    db = store.open_db(None)
    await scrape_labs(db, [labs["anthropic"]], transport=boards([labs["anthropic"]]))
    outcomes = await scrape_labs(db, [labs["anthropic"]], transport=boards([labs["anthropic"]], {"anthropic"}))
    assert outcomes[0].failed
    assert {r["status"] for r in db["postings"].rows} == {"uncertain"}


async def test_record_then_replay_stores_the_same(tmp_path, labs):
    har = tmp_path / "run.har"
    recorder = RecordingTransport(boards([labs["anthropic"]]))
    first = store.open_db(None)
    await scrape_labs(first, [labs["anthropic"]], transport=recorder)
    recorder.save(har)
    doc = json.loads(har.read_text())
    assert doc["log"]["version"] == "1.2"
    (entry,) = doc["log"]["entries"]
    assert entry["request"]["url"] == BOARD.format("anthropic") and entry["response"]["status"] == 200
    second = store.open_db(None)
    await scrape_labs(second, [labs["anthropic"]], transport=ReplayTransport.from_files(har))
    rows = lambda db: sorted((r["id"], r["content_hash"]) for r in db["postings"].rows)  # noqa: E731
    assert rows(first) == rows(second)


async def test_replay_miss_is_a_clear_error_for_that_lab(tmp_path, labs):
    har = tmp_path / "empty.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": []}}))
    db = store.open_db(None)
    (outcome,) = await scrape_labs(db, [labs["anthropic"]], transport=ReplayTransport.from_files(har))
    assert outcome.failed and "not in the replayed recording" in outcome.error


def test_replay_matches_query_in_any_order_and_post_body():
    entries = load_har_entries([("GET", "https://h.example/a?x=1&y=2", None, b"one"),
                                ("POST", "https://h.example/b", '{"q": "asr", "n": 1}', b"two")])
    transport = ReplayTransport(entries)

    async def go():
        async with httpx.AsyncClient(transport=transport) as client:
            a = await client.get("https://h.example/a?y=2&x=1")
            b = await client.post("https://h.example/b", json={"n": 1, "q": "asr"})
            with pytest.raises(httpx.TransportError):
                await client.post("https://h.example/b", json={"n": 2, "q": "asr"})
            return a.content, b.content

    import asyncio

    assert asyncio.run(go()) == (b"one", b"two")


def load_har_entries(specs):
    from datetime import UTC, datetime

    from asr_jobs.scrapers.har import har_entry

    entries = []
    for method, url, body, content in specs:
        request = httpx.Request(method, url, content=body.encode() if body else None)
        entries.append(har_entry(request, httpx.Response(200, content=content, request=request), datetime.now(UTC), 1))
    return entries


def test_normalized_url_ignores_query_order():
    assert normalized_url("https://H.example/p?b=2&a=1") == normalized_url("https://h.example/p?a=1&b=2")


async def test_retries_5xx_and_honours_retry_after():
    calls, sleeps = [], []

    def handler(request):
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(503)
        if len(calls) == 2:
            return httpx.Response(429, headers={"retry-after": "7"})
        return httpx.Response(200, json={"ok": True})

    async def fake_sleep(seconds):
        sleeps.append(seconds)

    fetcher = Fetcher(httpx.MockTransport(handler), sleep=fake_sleep, retry=RetryPolicy(attempts=4, base_delay=1))
    stats = LabStats()
    response = await fetcher.request("acme", "GET", "https://h.example/x", politeness=Politeness(), stats=stats)
    assert response.json() == {"ok": True}
    assert len(calls) == 3 and stats.requests == 3 and stats.retries == 2
    assert 0.5 <= sleeps[0] <= 1.5 and sleeps[1] == 7
    assert stats.rate_limited


async def test_gives_up_with_lab_url_and_cause():
    async def no_sleep(_):
        return None

    fetcher = Fetcher(httpx.MockTransport(lambda r: httpx.Response(502, text="Bad gateway")), sleep=no_sleep,
                      retry=RetryPolicy(attempts=3))
    with pytest.raises(ScrapeError) as err:
        await fetcher.request("acme", "GET", "https://h.example/x", politeness=Politeness(), stats=LabStats())
    assert str(err.value) == "acme: HTTP 502: Bad gateway, gave up after 3 attempt(s) (https://h.example/x)"


async def test_replay_skips_politeness_intervals_but_a_server_gets_them():
    replay = Fetcher(ReplayTransport([]))
    live = Fetcher(httpx.MockTransport(lambda r: httpx.Response(200)))
    slow = Politeness(concurrency=1, interval=5.0)
    assert replay.gate("h.example", slow).politeness == Politeness(1, 0.0)
    assert live.gate("h.example", slow).politeness == slow
    await replay.aclose()
    await live.aclose()


GOOGLE_ROWS = [
    {"id": "r1", "title": "Recruiter", "description": "Hire engineers for our offices.",
     "url": "https://www.google.com/about/careers/applications/jobs/results/r1"},
    {"id": "s1", "title": "Research Scientist, Speech", "description": "Streaming ASR for Google Research.",
     "url": "https://www.google.com/about/careers/applications/jobs/results/s1"},
]


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASR_JOBS_DB", raising=False)
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(row) + "\n" for row in GOOGLE_ROWS))
    return CliRunner()


def test_import_does_not_store_what_the_labs_filters_drop(runner):
    """google-research keeps only text matching "research": a scrape drops the recruiter, so must an import."""
    result = runner.invoke(cli, ["import", "p.jsonl", "--lab", "google-research", "--db", "tmp.db"])
    assert result.exit_code == 0, result.output
    assert "jsonl format, 1 postings (1 new" in result.output
    assert "1 dropped by the lab's filters" in result.output
    dropped = runner.invoke(cli, ["show", "google-research:r1", "--db", "tmp.db", "--json"])
    assert dropped.exit_code != 0 and "r1" in dropped.output
    kept = runner.invoke(cli, ["show", "google-research:s1", "--db", "tmp.db", "--json"])
    assert kept.exit_code == 0, kept.output
    assert json.loads(kept.stdout)["title"] == "Research Scientist, Speech"


def test_import_for_a_lab_not_configured_keeps_everything(runner):
    result = runner.invoke(cli, ["import", "p.jsonl", "--lab", "elsewhere", "--db", "tmp.db"])
    assert result.exit_code == 0, result.output
    assert "jsonl format, 2 postings (2 new" in result.output and "dropped" not in result.output
    shown = runner.invoke(cli, ["show", "elsewhere:r1", "--db", "tmp.db", "--json"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["title"] == "Recruiter"


async def test_scrape_and_import_store_the_same_for_a_filtered_lab(tmp_path, labs):
    """The same board scraped and imported for a lab with a filter: the same postings, with the same content."""
    filtered_lab = dataclasses.replace(labs["anthropic"], filters={"title": ["^Research"]})
    scraped = store.open_db(None)
    board = fixture_bytes("greenhouse_board.json")
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=board,
                                                                   headers={"content-type": "application/json"}))
    await scrape_labs(scraped, [filtered_lab], transport=transport)
    (tmp_path / "board.json").write_bytes(board)
    imported = store.open_db(None)
    result = import_file(imported, tmp_path / "board.json", filtered_lab)
    rows = lambda db: sorted((r["id"], r["title"], r["content_hash"]) for r in db["postings"].rows)  # noqa: E731
    assert [title for _, title, _ in rows(imported)] == ["Research Scientist, Speech"]
    assert rows(scraped) == rows(imported) and result.saved.dropped == 1
