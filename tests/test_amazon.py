import dataclasses
import json
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asr_jobs.models import ParseError, ScrapeError
from asr_jobs.samplesites import amazon as sample_amazon
from asr_jobs.samplesites.transport import routes_transport
from asr_jobs.scrapers.adapters import amazon
from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy
from asr_jobs.scrapers.har import ReplayTransport

from .conftest import fixture_bytes, real_sample

DEMO = Path(__file__).resolve().parent.parent / "asr_jobs" / "demo"
SEARCH = "https://www.amazon.jobs/en/search.json"


def fast(lab, **changes):
    """The lab without its request interval (tests need no politeness), with other fields changed."""
    return dataclasses.replace(lab, politeness=dataclasses.replace(lab.politeness, interval=0), **changes)


def job(n: int, title: str = "") -> dict:
    return {"id": f"uuid-{n}", "id_icims": str(n), "title": title or f"Applied Scientist {n}",
            "job_path": f"/en/jobs/{n}/applied-scientist", "posted_date": "November 1, 2026", "locations": [],
            "normalized_location": "Seattle, Washington, USA", "description": f"Job {n}."}


def search_transport(lab, results: dict[str, list[dict]], seen: list[httpx.Request], *,
                     hits: dict[str, int] | None = None) -> httpx.MockTransport:
    """The sample amazon.jobs search (asr_jobs.samplesites.amazon) answering each query from `results`."""
    return routes_transport(sample_amazon.search_routes(lab, "", results, hits), seen)


def urls(seen: list[httpx.Request]) -> list[str]:
    return [str(request.url) for request in seen]


def test_parse_fields(labs):
    scientist, intern, assistant = amazon.parse(fixture_bytes("amazon_search.json"), labs["amazon-science"], SEARCH)
    assert scientist.source_id == "3101234"
    assert scientist.title == "Applied Scientist, Alexa Speech Recognition"
    assert scientist.url == "https://www.amazon.jobs/en/jobs/3101234/applied-scientist-alexa-speech-recognition"
    assert scientist.location == "Seattle, Washington, USA; Cambridge, Massachusetts, USA"
    assert (scientist.team, scientist.company) == ("Research Science", "Amazon.com Services LLC")
    assert (scientist.workplace, scientist.employment_type, scientist.posted_at) == ("onsite", "full-time", "2026-10-29")
    assert scientist.description == (
        "The Alexa Speech team builds the ASR behind every Alexa device.\n"
        "Key job responsibilities\n- Train large end-to-end ASR models\n- Publish at Interspeech & ICASSP\n\n"
        "Basic qualifications\n- PhD, or Master's degree and 4+ years of CS, CE, ML or related field experience\n"
        "- Experience building speech recognition models\n\n"
        "Preferred qualifications\n- Experience with RNN-T or CTC\n- Publications at top speech venues\n"
        "Amazon is an equal opportunity employer."
    )
    assert scientist.extra == {"job_family": "Applied Science", "business_category": "amazon-science",
                               "apply_url": "https://account.amazon.jobs/jobs/3101234/apply",
                               "uuid": "4c8e2f0a-1b3d-4e5f-8a9b-0c1d2e3f4a5b"}
    # An unparsable `locations` string is skipped; "Nov 3, 2026" is read; the title says intern.
    assert intern.location == "Sunnyvale, California, USA" and intern.posted_at == "2026-11-03"
    assert intern.employment_type == "intern"
    # No id_icims, no job_path, no locations, unreadable date, team only as a label.
    assert assistant.source_id == "77aa88bb-99cc-4ddd-8eee-ff0011223344" and assistant.url == ""
    assert (assistant.location, assistant.team) == ("Charlotte, North Carolina, USA", "fulfillment")
    assert (assistant.posted_at, assistant.employment_type, assistant.workplace) == (None, "part-time", "")


@pytest.mark.parametrize("text, iso", [
    ("September 15, 2026", "2026-09-15"), ("July 1, 2026", "2026-07-01"), ("Sep 30, 2026", "2026-09-30"),
    ("Sept. 3, 2026", "2026-09-03"), ("3 days", None), ("", None), (None, None), ("Smarch 3, 2026", None),
    ("May 40, 2026", None), (20260915, None),
])
def test_posted_date(text, iso):
    assert amazon.posted_date(text) == iso


def test_search_url(labs):
    lab = labs["amazon-science"]
    assert amazon.search_url(lab, "speech recognition", 200) == (
        f"{SEARCH}?base_query=speech+recognition&result_limit=100&offset=200&sort=recent")
    mirror = dataclasses.replace(lab, params={"base_url": "http://127.0.0.1:7/"})
    assert amazon.search_url(mirror, "ASR & TTS", 0) == (
        "http://127.0.0.1:7/en/search.json?base_query=ASR+%26+TTS&result_limit=100&offset=0&sort=recent")


async def test_scrape_pages_by_offset_and_merges_queries_without_duplicates(labs):
    seen: list[httpx.Request] = []
    speech = [job(n) for n in range(1, 251)]
    results = {"speech": speech, "audio": [job(7), job(300, "Audio Scientist")]}
    lab = fast(labs["amazon-science"], queries=["speech", "audio"])
    async with Fetcher(search_transport(lab, results, seen)) as fetcher:
        ctx = LabContext(lab, fetcher)
        postings = await amazon.scrape(ctx)
    # Both queries, and the pages after the first, are requested concurrently: compare as a set.
    assert sorted(urls(seen)) == sorted([
        f"{SEARCH}?base_query=speech&result_limit=100&offset=0&sort=recent",
        f"{SEARCH}?base_query=speech&result_limit=100&offset=100&sort=recent",
        f"{SEARCH}?base_query=speech&result_limit=100&offset=200&sort=recent",
        f"{SEARCH}?base_query=audio&result_limit=100&offset=0&sort=recent",
    ])
    assert len(postings) == 251  # job 7 answered both queries and is kept once
    assert [p.source_id for p in postings[-2:]] == ["250", "300"]
    assert not ctx.partial and not ctx.warnings


async def test_a_short_page_before_the_announced_hits_makes_the_run_partial(labs):
    seen: list[httpx.Request] = []
    lab = fast(labs["amazon-science"], queries=["speech"])
    async with Fetcher(search_transport(lab, {"speech": [job(1), job(2)]}, seen, hits={"speech": 900})) as fetcher:
        ctx = LabContext(lab, fetcher)
        postings = await amazon.scrape(ctx)
    assert len(postings) == 2 and len(seen) == 1  # the short first page ends the reading, kept but not trusted
    assert ctx.partial and ctx.warnings == [
        f"query 'speech': {SEARCH}?base_query=speech&result_limit=100&offset=0&sort=recent holds 2 of 100 matches "
        "with 2 of 900 announced matches seen; nothing is closed this run"]


async def test_scrape_page_cap_warns_and_marks_partial(labs):
    seen: list[httpx.Request] = []
    lab = fast(labs["amazon-science"], queries=["speech"], params={"country": "USA", "max_pages": 2, "page_size": 3})
    async with Fetcher(search_transport(lab, {"speech": [job(n) for n in range(10)]}, seen)) as fetcher:
        ctx = LabContext(lab, fetcher)
        postings = await amazon.scrape(ctx)
    assert len(seen) == 2 and len(postings) == 6
    assert ctx.partial and ctx.warnings == ["query 'speech': stopped after 2 pages (6 of 10 matches); raise params.max_pages to see more; "
                                         "nothing is closed this run"]


async def test_scrape_http_error_names_lab_url_and_cause(labs):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, text="<html>Request blocked</html>")

    lab = fast(labs["amazon-science"], queries=["speech"])
    async with Fetcher(httpx.MockTransport(handler), retry=RetryPolicy(attempts=1)) as fetcher:
        with pytest.raises(ScrapeError) as err:
            await amazon.scrape(LabContext(lab, fetcher))
    assert str(err.value) == (f"amazon-science: HTTP 403: <html>Request blocked</html> "
                              f"({SEARCH}?base_query=speech&result_limit=100&offset=0&sort=recent)")


@pytest.mark.parametrize(
    "body, message",
    [
        (b"<!doctype html><html>Sorry</html>", "HTML where JSON was expected"),
        (b'{"error": "Invalid query", "hits": 0, "jobs": []}', "amazon.jobs answered an error: Invalid query"),
        (b'{"error": "boom"}', "amazon.jobs answered an error: boom"),
        (b'{"hits": 3}', "expected an amazon.jobs search result with 'jobs'"),
        (b'{"hits": "3", "jobs": []}', "'hits' should be a number"),
        (b'{"hits": 1, "jobs": [{"id_icims": "1"}]}', "jobs[0] has no 'title'"),
        (b'{"hits": 1, "jobs": [{"title": "Scientist", "id_icims": null, "id": {"x": 1}}]}', "jobs[0] has no 'id_icims' or 'id'"),
        (b'{"hits": 1, "jobs": ["x"]}', "jobs[0] is str"),
    ],
)
def test_bad_bodies_raise_parse_error_naming_lab_and_url(labs, body, message):
    url = f"{SEARCH}?base_query=speech&offset=0"
    with pytest.raises(ParseError) as err:
        amazon.parse(body, labs["amazon-science"], url)
    text = str(err.value)
    assert message in text and text.startswith("amazon-science:") and url in text


def test_detect():
    assert amazon.detect({}, SEARCH)
    assert amazon.detect(json.loads(fixture_bytes("amazon_search.json")), "")
    assert not amazon.detect({"jobs": [{"id": "x"}]}, "")


def test_real_capture_full(labs):
    path = real_sample("amazon-jobs-search-json-full__jashanjodhb-jobwatch.json")
    postings, hits = amazon.parse_page(path.read_bytes(), labs["amazon-science"], SEARCH)
    assert hits == 167 and len(postings) == 4
    pm = postings[0]
    assert (pm.source_id, pm.title) == ("10488893", "2026 PM Intern - Supply Chain, Operations")
    assert pm.url == "https://www.amazon.jobs/en/jobs/10488893/2026-pm-intern-supply-chain-operations"
    assert pm.location == "Melbourne, Victoria, AUS" and pm.workplace == "onsite"
    assert pm.posted_at == "2026-07-31" and pm.employment_type == "intern"
    assert pm.team == "Fulfillment & Operations Management" and pm.company == "Amazon Commercial Services Pty Ltd"
    assert "\n\nBasic qualifications\n- Currently in penultimate year" in pm.description
    assert "\n\nPreferred qualifications\n- Exposure to project or program management" in pm.description
    assert all("<br" not in p.description for p in postings)
    assert postings[1].location == "Kuala Lumpur, Wilayah Persekutuan Kuala Lumpur, MYS"


def test_real_capture_trimmed(labs):
    path = real_sample("amazon-jobs-search-json-trimmed__pedrocamargolince-opportunity-radar.json")
    postings, hits = amazon.parse_page(path.read_bytes(), labs["amazon-science"], SEARCH)
    assert hits == 374 and len(postings) == 4
    whs = postings[0]
    assert (whs.source_id, whs.posted_at) == ("10541373", "2026-09-15")
    assert whs.location == "San Fernando de Henares, Community of Madrid, ESP"
    assert whs.description.startswith("Job Summary\nAmazon Operations is the backbone")


def test_real_capture_envelope_with_crlf(labs):
    path = real_sample("amazon-jobs-search-json-envelope-trimmed__aaronearlerichardson-jobs.json")
    postings, hits = amazon.parse_page(path.read_bytes(), labs["amazon-science"], SEARCH)
    assert hits == 2 and [p.source_id for p in postings] == ["10509450", "10509449"]
    first = postings[0]
    # Jobs cut to 11 keys: no `locations`, so normalized_location is used.
    assert first.location == "Charlotte, North Carolina, USA" and first.posted_at == "2026-08-20"
    assert first.team == "Fulfillment & Operations Management" and first.company == ""


async def test_demo_recording_replays(labs):
    transport = ReplayTransport.from_files(DEMO / "amazon-science.har")
    async with Fetcher(transport) as fetcher:
        ctx = LabContext(fast(labs["amazon-science"]), fetcher)
        postings = await amazon.scrape(ctx)
    assert ctx.stats.requests == len(labs["amazon-science"].queries)
    assert [p.title for p in postings] == [
        "Applied Scientist Intern - Speech Recognition (2027)",
        "Applied Scientist, Alexa Speech Recognition",
        "Senior Research Scientist, Speech and Audio Foundation Models",
        "Software Development Engineer, Speech Platform",
    ]
    asr = postings[1]
    assert asr.url == "https://www.amazon.jobs/en/jobs/3120451/applied-scientist-alexa-speech-recognition"
    assert asr.location == "Seattle, Washington, USA; Cambridge, Massachusetts, USA" and asr.posted_at == "2026-11-12"
    kept = [p.title for p in postings if labs["amazon-science"].keep(p)]
    assert "Software Development Engineer, Speech Platform" not in kept and len(kept) == 3


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["normalizedLocation", "location", "type", "label", "title"]), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["job_path", "locations", "normalized_location", "location", "posted_date", "description", "basic_qualifications", "preferred_qualifications", "job_category", "team", "business_category", "job_schedule_type", "is_intern", "company_name", "url_next_step", "id", "job_family"]), value=JSON_VALUES)
def test_any_field_value_never_crashes(labs, field, value):
    job = {**{"id_icims": "123", "title": "Applied Scientist"}, field: value}
    try:
        posting = amazon.parse_job(job, labs["amazon-science"], "https://x.test/list")
    except ParseError:
        return  # a clear error is fine; a KeyError/TypeError is not
    assert posting is None or (isinstance(posting.title, str) and isinstance(posting.description, str))
