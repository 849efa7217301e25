"""Recruitee: the offers answer, published offers only, errors and detection, against a fixture in the API's shape."""

from __future__ import annotations

import json

import httpx
import pytest

from asr_jobs.models import ParseError, Politeness, ScrapeError
from asr_jobs.scrapers import detect
from asr_jobs.scrapers.adapters import recruitee
from asr_jobs.scrapers.registry import load_labs

from .conftest import FIXTURES, fixture_bytes, run_adapter

API = "https://sonoravoice.recruitee.com/api/offers/"
# No built-in lab is on Recruitee: a lab of one's own, as `labs add` writes it.
OWN_LAB = """[labs.sonora]
title = "Sonora Voice"
adapter = "recruitee"
params = { company = "sonoravoice" }
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    path = tmp_path_factory.mktemp("labs") / "labs.toml"
    path.write_text(OWN_LAB)
    return load_labs(path)["sonora"]


def offers() -> dict:
    return json.loads((FIXTURES / "recruitee_offers.json").read_text())


def run(lab, handler, probe: bool = False) -> tuple[list | int, list[httpx.Request]]:
    result, _, seen = run_adapter(recruitee, lab, handler, probe=probe)
    return result, seen


def test_parse_reads_every_field(lab):
    postings = recruitee.parse(fixture_bytes("recruitee_offers.json"), lab, API)
    assert [p.source_id for p in postings] == ["1874021", "1874022"]
    scientist, intern = postings
    assert scientist.title == "Research Scientist, Speech Recognition" and scientist.company == "Sonora Voice"
    assert (scientist.location, scientist.team, scientist.workplace) == ("Amsterdam, Netherlands", "Speech Research", "hybrid")
    assert scientist.employment_type == "full-time" and scientist.posted_at == "2026-11-18T09:12:44Z"
    assert scientist.url == "https://sonoravoice.recruitee.com/o/research-scientist-speech-recognition"
    assert scientist.description.startswith("Research streaming speech recognition")
    assert scientist.description.rstrip().endswith("experience with speech recognition.")  # requirements after
    assert (intern.location, intern.workplace, intern.employment_type) == ("Berlin, Germany", "remote", "intern")


def test_scrape_is_one_request_for_every_offer(lab):
    postings, seen = run(lab, lambda request: httpx.Response(200, json=offers()))
    assert [p.title for p in postings] == ["Research Scientist, Speech Recognition",
                                          "Speech Research Intern (Text-to-Speech)"]
    assert [str(r.url) for r in seen] == [API]


def test_unpublished_offers_are_left_out(lab):
    data = offers()
    data["offers"][1]["status"] = "closed"
    assert [p.source_id for p in recruitee.parse(json.dumps(data), lab, API)] == ["1874021"]


def test_an_offer_without_careers_url_gets_its_page_from_the_slug(lab):
    data = offers()
    del data["offers"][0]["careers_url"]
    [posting, _] = recruitee.parse(json.dumps(data), lab, API)
    assert posting.url == "https://sonoravoice.recruitee.com/o/research-scientist-speech-recognition"


def test_errors_name_the_lab_and_url(lab):
    with pytest.raises(ScrapeError) as failed:
        run(lab, lambda request: httpx.Response(500, text="down"))
    assert "sonora" in str(failed.value) and "recruitee.com" in str(failed.value)
    with pytest.raises(ParseError, match="'offers' list"):
        recruitee.parse(b'{"jobs": []}', lab, API)
    with pytest.raises(ParseError, match=r"offers\[0\] has no 'title'"):
        recruitee.parse(b'{"offers": [{"id": 7}]}', lab, API)


def test_a_lab_without_company_is_a_config_error(lab):
    bare = lab.__class__(name="bare", title="bare", category="startup", adapter="recruitee", politeness=Politeness())
    with pytest.raises(ParseError, match="params.company") as failed:
        recruitee.offers_url(bare)
    assert failed.value.kind == "config"


def test_probe_counts_the_published_offers_in_one_request(lab):
    count, seen = run(lab, lambda request: httpx.Response(200, json=offers()), probe=True)
    assert count == 2 and len(seen) == 1


def test_detect_and_no_detail_route(lab):
    assert recruitee.detect(offers(), "") and recruitee.detect({}, API)
    assert not recruitee.detect({"jobs": []}, "https://example.com")
    [posting, _] = recruitee.parse(fixture_bytes("recruitee_offers.json"), lab, API)
    assert recruitee.detail_route(lab, posting) is None


def test_labs_add_reads_the_company_from_its_careers_host_only():
    found = detect.from_url("https://sonoravoice.recruitee.com/")
    assert found is not None and (found.adapter, found.params) == ("recruitee", {"company": "sonoravoice"})
    assert detect.from_url("https://app.recruitee.com/#/dashboard") is None
    assert detect.from_url("https://www.recruitee.com/pricing") is None
