"""SmartRecruiters: listing pages, details, paging and errors, against fixtures in the API's real shape."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from asr_jobs.models import ParseError, Politeness, ScrapeError
from asr_jobs.scrapers.adapters import smartrecruiters
from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy
from asr_jobs.scrapers.registry import load_labs

from .conftest import FIXTURES, fixture_bytes, run_adapter

API = "https://api.smartrecruiters.com/v1/companies/AcousticaLabs/postings"
# No built-in lab is on SmartRecruiters: a lab of one's own, as `labs add` writes it.
OWN_LAB = """[labs.acoustica]
title = "Acoustica Labs"
adapter = "smartrecruiters"
params = { company = "AcousticaLabs" }
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    path = tmp_path_factory.mktemp("labs") / "labs.toml"
    path.write_text(OWN_LAB)
    return load_labs(path)["acoustica"]


def listing() -> dict:
    return json.loads((FIXTURES / "smartrecruiters_postings.json").read_text())


def detail(posting_id: str) -> dict:
    return {**json.loads((FIXTURES / "smartrecruiters_posting.json").read_text()), "id": posting_id}


def run(lab, handler, previous=None) -> tuple[list, LabContext, list[httpx.Request]]:
    return run_adapter(smartrecruiters, lab, handler, previous=previous)


def site(pages: list[dict], gone: frozenset[str] = frozenset()):
    """The listing in pages (by offset), each posting's detail, 404 for the `gone` ones."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/postings"):
            return httpx.Response(200, json=pages[int(request.url.params["offset"]) // smartrecruiters.PAGE_SIZE])
        posting_id = request.url.path.rsplit("/", 1)[-1]
        if posting_id in gone:
            return httpx.Response(404, json={"message": "Job posting not found"})
        return httpx.Response(200, json=detail(posting_id))

    return handler


def test_parse_listing_fields(lab):
    postings = smartrecruiters.parse(fixture_bytes("smartrecruiters_postings.json"), lab, API)
    assert [p.source_id for p in postings] == ["744000160011201", "744000160011202"]
    scientist, intern = postings
    assert scientist.title == "Research Scientist, Speech Recognition"
    assert scientist.location == "Cambridge, England, United Kingdom"
    assert (scientist.team, scientist.workplace, scientist.employment_type) == ("Speech Research", "hybrid", "full-time")
    assert scientist.company == "Acoustica Labs" and scientist.posted_at == "2026-11-18T09:12:44.079Z"
    assert scientist.url == "https://jobs.smartrecruiters.com/AcousticaLabs/744000160011201"
    assert (intern.location, intern.workplace, intern.employment_type) == ("Berlin, de", "remote", "intern")


def test_parse_detail_joins_the_job_ad_sections_job_first(lab):
    [posting] = smartrecruiters.parse(fixture_bytes("smartrecruiters_posting.json"), lab, f"{API}/744000160011201")
    assert posting.description.startswith("Research streaming speech recognition")
    assert "PhD in speech processing" in posting.description and "Interspeech" in posting.description
    assert posting.description.rstrip().endswith("builds speech technology for hearing aids.")
    assert posting.url.endswith("744000160011201-research-scientist-speech-recognition")


def test_scrape_reads_the_listing_then_each_detail(lab):
    postings, ctx, seen = run(lab, site([listing()]))
    assert [p.title for p in postings] == ["Research Scientist, Speech Recognition",
                                          "Speech Research Intern (Text-to-Speech)"]
    assert all("speech recognition" in p.description for p in postings)
    assert [str(r.url) for r in seen] == [f"{API}?limit=100&offset=0", f"{API}/744000160011201", f"{API}/744000160011202"]
    assert not ctx.partial


def test_pages_follow_total_found(lab):
    first = listing()
    items = [dict(first["content"][0], id=str(744000170000000 + n), jobAdId=f"ad-{n}") for n in range(150)]
    pages = [{**first, "totalFound": 150, "content": items[:100]},
             {**first, "offset": 100, "totalFound": 150, "content": items[100:]}]
    postings, ctx, seen = run(lab, site(pages))
    assert len(postings) == 150 and not ctx.partial
    assert sum(r.url.path.endswith("/postings") for r in seen) == 2


def test_an_empty_page_inside_the_total_makes_the_run_partial(lab):
    page = listing()
    postings, ctx, _ = run(lab, site([{**page, "totalFound": 5}, {**page, "content": []}]))
    assert len(postings) == 2 and ctx.partial  # nothing is closed for not being seen


def test_unchanged_postings_are_not_fetched_again(lab):
    first, _, _ = run(lab, site([listing()]))
    stored = {p.source_id: p for p in first}
    keys = {item["id"]: smartrecruiters.listing_key(item) for item in listing()["content"]}

    def handler(request):
        assert request.url.path.endswith("/postings"), f"detail fetched again: {request.url}"
        return httpx.Response(200, json=listing())

    async def go():
        async with Fetcher(httpx.MockTransport(handler), retry=RetryPolicy(attempts=1)) as fetcher:
            ctx = LabContext(lab, fetcher, previous=stored, previous_keys=keys)
            return await smartrecruiters.scrape(ctx)

    again = asyncio.run(go())
    assert [p.description for p in again] == [p.description for p in first]


def test_a_gone_detail_closes_that_posting(lab):
    postings, ctx, _ = run(lab, site([listing()], gone=frozenset({"744000160011202"})))
    assert [p.source_id for p in postings] == ["744000160011201"]
    assert "744000160011202" in ctx.gone_ids


def test_errors_name_the_lab_and_url(lab):
    with pytest.raises(ScrapeError) as failed:
        run(lab, lambda request: httpx.Response(500, text="down"))
    assert "acoustica" in str(failed.value) and "smartrecruiters.com" in str(failed.value)
    with pytest.raises(ParseError, match="content"):
        smartrecruiters.parse(b'{"offset": 0}', lab, API)
    with pytest.raises(ParseError, match="jobAd.sections"):
        smartrecruiters.detail_posting({"id": "1", "name": "x"}, lab, API)


def test_a_lab_without_company_is_a_config_error(lab):
    bare = lab.__class__(name="bare", title="bare", category="startup", adapter="smartrecruiters",
                         politeness=Politeness())
    with pytest.raises(ParseError, match="params.company") as failed:
        smartrecruiters.postings_url(bare)
    assert failed.value.kind == "config"


def test_probe_reports_the_total_from_one_page(lab):
    seen: list[httpx.Request] = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={**listing(), "totalFound": 37})

    async def go():
        async with Fetcher(httpx.MockTransport(handler), retry=RetryPolicy(attempts=1)) as fetcher:
            return await smartrecruiters.probe(LabContext(lab, fetcher))

    assert asyncio.run(go()) == 37 and len(seen) == 1


def test_detect_and_detail_route(lab):
    assert smartrecruiters.detect(listing(), "") and smartrecruiters.detect({}, API)
    assert not smartrecruiters.detect({"jobs": []}, "https://example.com")
    [posting] = smartrecruiters.parse(fixture_bytes("smartrecruiters_posting.json"), lab, API)
    assert smartrecruiters.detail_route(lab, posting) == f"{API}/744000160011201"
