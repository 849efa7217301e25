"""Every adapter's `probe`: the first of the requests its scrape makes (no details), and the postings the site reports."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from asr_jobs.models import ConfigError, Lab
from asr_jobs.scrapers import adapters
from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy
from asr_jobs.scrapers.har import RecordingTransport, ReplayTransport, load_har, normalized_url
from asr_jobs.scrapers.registry import adapter, adapter_names

from .conftest import fixture_bytes

DEMO = Path(__file__).resolve().parent.parent / "asr_jobs" / "demo"


async def probed(lab: Lab, transport: httpx.AsyncBaseTransport) -> tuple[int | None, int]:
    """(what the lab's probe returns, requests it made)."""
    async with Fetcher(transport, retry=RetryPolicy(attempts=1)) as fetcher:
        ctx = LabContext(lab, fetcher)
        count = await adapter(lab.adapter).probe(ctx)
    return count, ctx.stats.requests


def recorded(seen: list[httpx.Request], handler):
    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    return httpx.MockTransport(record)


async def test_every_demo_lab_probes_with_the_first_requests_of_its_recorded_scrape(labs):
    probed_adapters = set()
    for name in sorted(labs):
        if not (DEMO / f"{name}.har").exists():
            continue
        entries = load_har(DEMO / f"{name}.har")
        recorder = RecordingTransport(ReplayTransport(entries))
        count, requests = await probed(labs[name], recorder)
        assert isinstance(count, int) and count > 0, name
        asked = [normalized_url(e["request"]["url"]) for e in recorder.entries]
        # A probe asks the listing (and any token; Meta's bundles while it has no working doc_id), never a
        # posting's detail: what the scrape asked first.
        assert asked == [normalized_url(e["request"]["url"]) for e in entries][:requests] and requests <= 4, name
        probed_adapters.add(labs[name].adapter)
    assert {"greenhouse", "ashby", "workday", "eightfold", "amazon", "apple", "google", "meta",
            "mit"} <= probed_adapters


LEVER = Lab("acme", "Acme", "startup", "lever", params={"company": "acme"})
WORKABLE = Lab("acme-ml", "Acme ML", "startup", "workable", params={"account": "acme-ml"})
JSONL = Lab("export", "Export", "startup", "jsonl", params={"url": "https://export.example/postings.jsonl"})
JSONLD = Lab("acme-careers", "Acme", "startup", "jsonld",
             params={"pages": ["https://careers.acme.test/open-positions"], "link_pattern": r"/jobs/\d+"})


@pytest.mark.parametrize("lab, body, kind", [
    (LEVER, fixture_bytes("lever_postings.json"), "application/json"),
    (WORKABLE, fixture_bytes("workable_account.json"), "application/json"),
    (JSONL, fixture_bytes("jsonl_postings.jsonl"), "application/x-ndjson"),
    (JSONLD, fixture_bytes("jsonld_listing.html"), "text/html"),
])
async def test_the_other_adapters_probe_with_one_request(lab, body, kind):
    seen: list[httpx.Request] = []
    count, requests = await probed(lab, recorded(seen, lambda r: httpx.Response(200, content=body,
                                                                                headers={"content-type": kind})))
    # An HTML page is asked only after its host's robots.txt (jsonld); the APIs are one request.
    pages = 2 if lab.adapter == "jsonld" else 1
    assert requests == pages and len(seen) == pages
    expected = len(adapter(lab.adapter).parse(body, lab, str(seen[-1].url)))
    if lab.adapter == "jsonld":
        assert count is not None and count >= 1  # JobPostings on the page and the posting pages it links to
    else:
        assert count == expected and expected > 0


def test_every_adapter_has_an_async_probe_and_a_sync_one_is_named(tmp_path, monkeypatch):
    assert all(callable(adapter(name).probe) for name in adapter_names())
    monkeypatch.setattr(adapters, "__path__", [*adapters.__path__, str(tmp_path)])
    (tmp_path / "syncprobe.py").write_text(
        "async def scrape(ctx):\n    return []\n\ndef parse(body, lab, url):\n    return []\n\n"
        "def detect(data, url):\n    return False\n\ndef detail_route(lab, posting):\n    return None\n\n"
        "def probe(ctx):\n    return 0\n")
    try:
        with pytest.raises(ConfigError, match=r"probe\(\) must be async"):
            adapter("syncprobe")
    finally:
        adapter.cache_clear()

