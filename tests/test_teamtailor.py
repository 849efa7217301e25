"""Teamtailor: the career site's RSS feed (parse, paging by offset, errors), against a fixture in the feed's real shape."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from asr_jobs.models import ParseError, Politeness, ScrapeError
from asr_jobs.scrapers import detect
from asr_jobs.scrapers.adapters import teamtailor
from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy
from asr_jobs.scrapers.registry import load_labs

from .conftest import fixture_bytes, run_adapter

FEED = "https://sonority.teamtailor.com/jobs.rss"
# No built-in lab is on Teamtailor: a lab of one's own, as `labs add` writes it.
OWN_LAB = """[labs.sonority]
title = "Sonority Voice"
adapter = "teamtailor"
params = { company = "sonority" }
"""
ITEM = """<item><title>Speech Scientist {n}</title><description>&lt;p&gt;ASR research {n}.&lt;/p&gt;</description>
<pubDate>Mon, 02 Nov 2026 09:15:00 +0100</pubDate><link>https://sonority.teamtailor.com/jobs/{n}-speech-scientist</link>
<remoteStatus>none</remoteStatus><guid>guid-{n}</guid></item>"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    path = tmp_path_factory.mktemp("labs") / "labs.toml"
    path.write_text(OWN_LAB)
    return load_labs(path)["sonority"]


def feed(numbers) -> bytes:
    """A feed page holding one item per number, in the feed's shape."""
    items = "".join(ITEM.format(n=n) for n in numbers)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:tt="https://teamtailor.com/locations">'
            f"<channel><title>Sonority Voice AB</title>{items}</channel></rss>").encode()


def paged(total: int):
    """The site: `total` items, sliced by offset and per_page as the feed does."""

    def handler(request: httpx.Request) -> httpx.Response:
        offset, per_page = int(request.url.params["offset"]), int(request.url.params["per_page"])
        return httpx.Response(200, content=feed(range(offset, min(total, offset + per_page))),
                              headers={"content-type": "application/rss+xml; charset=utf-8"})

    return handler


def run(lab, handler) -> tuple[list, LabContext, list[httpx.Request]]:
    return run_adapter(teamtailor, lab, handler)


def test_parse_reads_every_field_of_an_item(lab):
    scientist, engineer = teamtailor.parse(fixture_bytes("teamtailor_jobs.rss"), lab, FEED)
    assert scientist.source_id == "3f1c2b7e-8d41-4c6a-9a0e-5b2d7c9e1f40"
    assert scientist.title == "Research Scientist, Speech Recognition"
    assert scientist.url == "https://sonority.teamtailor.com/jobs/5120447-research-scientist-speech-recognition"
    assert scientist.location == "Stockholm, Sweden; Göteborg, Sweden"
    assert (scientist.team, scientist.workplace, scientist.company) == ("Speech Research", "hybrid", "Sonority Voice AB")
    assert scientist.posted_at == "2026-11-02T09:15:00+01:00" and scientist.extra == {"role": "Research Scientist"}
    assert scientist.description.startswith("Train streaming ASR models") and "- PhD in speech processing" in scientist.description
    assert (engineer.location, engineer.workplace) == ("Remote, EU, Sweden", "remote")
    assert engineer.description == "Build the pipelines that turn & clean 100k hours of audio."


def test_scrape_reads_one_short_page(lab):
    postings, ctx, seen = run(lab, lambda request: httpx.Response(200, content=fixture_bytes("teamtailor_jobs.rss")))
    assert [str(r.url) for r in seen] == [f"{FEED}?offset=0&per_page=100"]
    assert len(postings) == 2 and not ctx.partial


def test_pages_by_offset_until_a_short_page(lab):
    postings, ctx, seen = run(lab, paged(230))
    assert [p.source_id for p in postings] == [f"guid-{n}" for n in range(230)]
    assert [r.url.params["offset"] for r in seen] == ["0", "100", "200"] and not ctx.partial


def test_a_full_last_page_is_confirmed_by_an_empty_one(lab):
    postings, ctx, seen = run(lab, paged(200))
    assert len(postings) == 200 and len(seen) == 3 and not ctx.partial


def test_a_site_that_ignores_the_offset_makes_the_run_partial(lab):
    postings, ctx, _ = run(lab, lambda request: httpx.Response(200, content=feed(range(100))))
    assert len({p.source_id for p in postings}) == 100 and ctx.partial  # nothing closed for not being seen
    assert any("repeats" in warning for warning in ctx.warnings)


def test_errors_name_the_lab_and_url(lab):
    with pytest.raises(ScrapeError) as failed:
        run(lab, lambda request: httpx.Response(404, text="<html>Not found</html>"))
    assert "sonority" in str(failed.value) and "teamtailor.com" in str(failed.value)
    with pytest.raises(ParseError, match="not well-formed"):
        teamtailor.parse(b"<rss><channel>", lab, FEED)
    with pytest.raises(ParseError, match="Teamtailor RSS feed"):
        teamtailor.parse(b"<html><body>careers</body></html>", lab, FEED)
    with pytest.raises(ParseError, match="no <title>"):
        teamtailor.parse(b"<rss><channel><item><guid>1</guid></item></channel></rss>", lab, FEED)


def test_entities_declared_in_the_feed_are_refused(lab):
    bomb = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">]><rss><channel><title>&a;</title></channel></rss>'
    with pytest.raises(ParseError, match="not well-formed"):
        teamtailor.parse(bomb, lab, FEED)


def test_a_lab_without_company_or_host_is_a_config_error(lab):
    bare = lab.__class__(name="bare", title="bare", category="startup", adapter="teamtailor", politeness=Politeness())
    with pytest.raises(ParseError, match="params.company") as failed:
        teamtailor.feed_url(bare)
    assert failed.value.kind == "config"
    own_host = lab.__class__(name="own", title="own", category="startup", adapter="teamtailor",
                             params={"host": "sonority.career.teamtailor.com"}, politeness=Politeness())
    assert teamtailor.feed_url(own_host, 100) == "https://sonority.career.teamtailor.com/jobs.rss?offset=100&per_page=100"


def test_probe_counts_the_first_page(lab):
    seen: list[httpx.Request] = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, content=fixture_bytes("teamtailor_jobs.rss"))

    async def go():
        async with Fetcher(httpx.MockTransport(handler), retry=RetryPolicy(attempts=1)) as fetcher:
            return await teamtailor.probe(LabContext(lab, fetcher))

    assert asyncio.run(go()) == 2 and len(seen) == 1


def test_detect_and_detail_route(lab):
    body = fixture_bytes("teamtailor_jobs.rss")
    assert teamtailor.detect(body, "") and teamtailor.detect(b"", FEED)
    assert not teamtailor.detect(b"<rss><channel></channel></rss>", "https://example.com/feed.rss")
    [posting, _] = teamtailor.parse(body, lab, FEED)
    assert teamtailor.detail_route(lab, posting) is None  # the feed carries the description


def test_labs_add_finds_a_teamtailor_site_from_its_urls_and_a_careers_page_linking_to_it():
    assert detect.from_url("https://sonority.teamtailor.com/jobs").params == {"company": "sonority"}
    assert detect.from_url("https://sonority.career.teamtailor.com/jobs").params == {"host": "sonority.career.teamtailor.com"}
    assert detect.from_url("https://www.teamtailor.com/en/") is None and detect.from_url("https://api.teamtailor.com/v1/jobs") is None
    page = ('<html><body><a href="https://www.teamtailor.com/">Powered by Teamtailor</a>'
            '<a href="https://sonority.teamtailor.com/jobs">Open roles</a></body></html>')
    found = detect.from_page(page, "https://sonority.example/careers")
    assert found is not None and (found.adapter, found.params) == ("teamtailor", {"company": "sonority"})
