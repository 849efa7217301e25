"""The JSON-lines adapter: one posting per line, a lab's own `url` scraped, clear errors naming the line."""

import asyncio

import httpx
import pytest

from asr_jobs.models import ParseError, ScrapeError
from asr_jobs.scrapers.adapters import jsonl
from asr_jobs.scrapers.fetch import Fetcher, LabContext
from asr_jobs.scrapers.registry import ad_hoc_lab

from .conftest import fixture_bytes

LAB = ad_hoc_lab("export", "jsonl")
URL = "https://data.example.org/postings.jsonl"


def test_each_line_is_a_posting_with_its_fields():
    postings = jsonl.parse(fixture_bytes("jsonl_postings.jsonl"), LAB, URL)
    first = postings[0]
    assert (first.lab, first.source_id, first.title, first.location) == (
        "export", "r-101", "Research Scientist, Speech Recognition", "Paris, France")
    assert first.posted_at == "2026-10-02" and first.extra == {"source": "export"}
    assert "conformer transducers" in first.description


def test_a_lines_own_lab_wins_and_unsafe_urls_are_dropped():
    third = jsonl.parse(fixture_bytes("jsonl_postings.jsonl"), LAB, URL)[2]
    assert third.lab == "other-lab" and third.source_id == "103" and third.url == ""


@pytest.mark.parametrize(("body", "reason"), [
    (b'{"id": 1, "title": "A"}\n{"id": 2,', "line 2: invalid JSON"),
    (b'{"id": 1}\n', "line 1: no 'title'"),
    (b'[1, 2]\n', "line 1: expected an object, got list"),
    (b'\xff\xfe{"id": 1}', "body is not UTF-8 text"),
])
def test_bad_lines_are_named_in_the_error(body, reason):
    with pytest.raises(ParseError, match=reason) as failed:
        jsonl.parse(body, LAB, URL)
    assert failed.value.lab == "export" and URL in str(failed.value)


def test_a_lab_without_params_url_is_a_clear_error_and_one_with_it_is_fetched():
    body = fixture_bytes("jsonl_postings.jsonl")
    requested: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        return httpx.Response(200, content=body, headers={"content-type": "application/x-ndjson"})

    async def scrape(lab):
        fetcher = Fetcher(httpx.MockTransport(answer))
        try:
            return await jsonl.scrape(LabContext(lab, fetcher))
        finally:
            await fetcher.aclose()

    with pytest.raises(ScrapeError, match="needs params.url") as failed:
        asyncio.run(scrape(LAB))
    assert failed.value.kind == "config"
    configured = ad_hoc_lab("export", "jsonl")
    configured.params["url"] = URL
    assert len(asyncio.run(scrape(configured))) == 3 and requested == [URL]
