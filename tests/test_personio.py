"""Personio: the XML feed parsed (fields, description sections, employment), scraped, and its errors, against a
fixture in the feed's real shape."""

from __future__ import annotations

import httpx
import pytest

from asr_jobs.models import ParseError, Politeness, ScrapeError
from asr_jobs.scrapers.adapters import personio
from asr_jobs.scrapers.registry import load_labs

from .conftest import fixture_bytes, run_adapter

FEED = "https://sonara.jobs.personio.de/xml"
# No built-in lab is on Personio: a lab of one's own, as `labs add` writes it.
OWN_LAB = """[labs.sonara]
title = "Sonara Voice"
adapter = "personio"
params = { company = "sonara" }
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    path = tmp_path_factory.mktemp("labs") / "labs.toml"
    path.write_text(OWN_LAB)
    return load_labs(path)["sonara"]


def run(lab, handler, probe: bool = False):
    result, _, seen = run_adapter(personio, lab, handler, probe=probe)
    return result, seen


def feed(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=fixture_bytes("personio_feed.xml"), headers={"content-type": "text/xml"})


def test_parse_reads_each_position(lab):
    postings = personio.parse(fixture_bytes("personio_feed.xml"), lab, FEED)
    assert [p.source_id for p in postings] == ["1482301", "1482377"]
    scientist, student = postings
    assert scientist.title == "Research Scientist, Speech Synthesis (m/f/d)"
    assert (scientist.location, scientist.team, scientist.company) == ("Berlin", "Speech Research", "Sonara Voice GmbH")
    assert scientist.url == "https://sonara.jobs.personio.de/job/1482301"
    assert scientist.posted_at == "2026-11-20T09:30:12+00:00"
    assert (scientist.employment_type, student.employment_type) == ("full-time", "part-time")
    assert scientist.extra["recruitingCategory"] == "Research" and student.location == "Munich"


def test_the_description_joins_the_sections_in_order_with_their_names(lab):
    [scientist, _] = personio.parse(fixture_bytes("personio_feed.xml"), lab, FEED)
    text = scientist.description
    assert text.startswith("Your mission\nResearch expressive text-to-speech")
    assert text.index("Your profile") > text.index("voice conversion") and "Interspeech or ICASSP" in text
    assert "<strong>" not in text and "<li>" not in text


def test_scrape_is_one_feed_request(lab):
    postings, seen = run(lab, feed)
    assert len(postings) == 2 and all(p.description for p in postings)
    assert [str(r.url) for r in seen] == [FEED] and "xml" in seen[0].headers["accept"]


def test_com_accounts_and_a_language_reach_their_feed(lab):
    com = lab.__class__(name="c", title="c", category="startup", adapter="personio", politeness=Politeness(),
                        params={"company": "Sonara-Voice", "domain": "com", "language": "en"})
    assert personio.feed_url(com) == "https://sonara-voice.jobs.personio.com/xml?language=en"
    [first, _] = personio.parse(fixture_bytes("personio_feed.xml"), com, personio.feed_url(com))
    assert first.url == "https://sonara-voice.jobs.personio.com/job/1482301"


def test_an_empty_feed_has_no_postings(lab):
    assert personio.parse(b'<?xml version="1.0" encoding="UTF-8"?>\n<workzag-jobs>\n</workzag-jobs>\n', lab, FEED) == []


def test_errors_name_the_lab_and_url(lab):
    with pytest.raises(ScrapeError) as failed:
        run(lab, lambda request: httpx.Response(500, text="down"))
    assert "sonara" in str(failed.value) and "jobs.personio.de" in str(failed.value)
    with pytest.raises(ParseError, match="workzag-jobs") as wrong:
        personio.parse(b"<html><body>Careers</body></html>", lab, FEED)  # an unknown account's landing page
    assert FEED in str(wrong.value)
    with pytest.raises(ParseError, match="no 'name'|no name"):
        personio.parse(b"<workzag-jobs><position><id>7</id></position></workzag-jobs>", lab, FEED)
    with pytest.raises(ParseError, match="not a Personio XML feed"):
        personio.parse(b"<workzag-jobs><position>", lab, FEED)


def test_entity_declarations_are_refused(lab):
    hostile = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
               b"<workzag-jobs><position><id>1</id><name>&xxe;</name></position></workzag-jobs>")
    with pytest.raises(ParseError, match="not a Personio XML feed"):
        personio.parse(hostile, lab, FEED)


def test_a_lab_without_company_is_a_config_error(lab):
    bare = lab.__class__(name="bare", title="bare", category="startup", adapter="personio", politeness=Politeness())
    with pytest.raises(ParseError, match="params.company") as failed:
        personio.feed_url(bare)
    assert failed.value.kind == "config"


def test_probe_counts_the_positions(lab):
    count, seen = run(lab, feed, probe=True)
    assert count == 2 and len(seen) == 1


def test_detect_and_detail_route(lab):
    assert personio.detect(fixture_bytes("personio_feed.xml"), "") and personio.detect(b"", FEED)
    assert not personio.detect(b'{"jobs": []}', "https://example.com")
    [posting, _] = personio.parse(fixture_bytes("personio_feed.xml"), lab, FEED)
    assert personio.detail_route(lab, posting) is None
