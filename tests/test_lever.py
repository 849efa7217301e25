import json

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asr_jobs.models import Lab, ParseError, ScrapeError
from asr_jobs.scrapers.adapters import lever
from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy

from .conftest import fixture_bytes, real_sample

API = "https://api.lever.co/v0/postings/acme?mode=json"


def acme(**params) -> Lab:
    return Lab(name="acme", title="Acme", category="startup", adapter="lever", params={"company": "acme", **params})


def posting(n: int) -> dict:
    return {"id": f"id-{n}", "text": f"Job {n}", "hostedUrl": f"https://jobs.lever.co/acme/id-{n}",
            "categories": {"commitment": "Full-time", "location": "Paris", "team": "Research"},
            "createdAt": 1791705600000, "descriptionPlain": f"Job number {n}.", "lists": []}


def paged_transport(pages: dict[int, list], seen: list[str]) -> httpx.MockTransport:
    """Answers ?skip=N from `pages` (keyed by skip); records every URL asked for."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        skip = int(request.url.params["skip"])
        return httpx.Response(200, json=pages.get(skip, []))

    return httpx.MockTransport(handler)


def test_parse_fields():
    first, intern, freelance = lever.parse(fixture_bytes("lever_postings.json"), acme(), API)
    assert first.source_id == "5f0c9a7e-2b1d-4c8e-9f3a-6d7e8b9c0a1f"
    assert first.title == "Research Scientist, Speech Recognition"
    assert first.url == "https://jobs.lever.co/acme/5f0c9a7e-2b1d-4c8e-9f3a-6d7e8b9c0a1f"
    assert first.location == "Paris; London"
    assert first.team == "Science / Speech"
    assert (first.workplace, first.employment_type) == ("hybrid", "full-time")
    assert first.posted_at == "2026-10-11T08:00:00+00:00"  # createdAt 1791705600000 ms
    assert (first.salary_min, first.salary_max, first.salary_currency, first.salary_period) == (90000, 140000, "EUR", "year")
    assert first.description == (
        "About Acme\nWe build voice models.\n\n"
        "The Role\nYou will research speech recognition.\n\n"
        "What you'll do\n- Train streaming ASR models (RNN-T, CTC)\n- Scale self-supervised pretraining\n\n"
        "About you\n- PhD in speech or ML\n- Publications at Interspeech & ICASSP\n\n"
        "We offer relocation to Paris.\nAcme is an equal opportunity employer.\n\n"
        "The base salary range is €90,000 to €140,000."
    )
    assert first.extra == {"apply_url": "https://jobs.lever.co/acme/5f0c9a7e-2b1d-4c8e-9f3a-6d7e8b9c0a1f/apply",
                           "country": "FR"}
    # Only `description` (no opening/body) and only the Plain variant of `additional`.
    assert intern.description == "Summer internship on speaker diarization.\n\nInterns are paid weekly."
    assert (intern.employment_type, intern.workplace, intern.location) == ("intern", "remote", "Remote - Europe")
    assert (intern.salary_min, intern.salary_max, intern.salary_period) == (28, 32, "hour")
    # No hostedUrl, one-time pay, "unspecified" workplace, createdAt not a number.
    assert freelance.url == "https://jobs.lever.co/acme/0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
    assert freelance.salary_min is None and freelance.salary_period is None
    assert (freelance.workplace, freelance.employment_type, freelance.posted_at) == ("", "contract", None)
    assert freelance.description == "" and freelance.team == ""


@pytest.mark.parametrize(
    "params, url",
    [
        ({}, "https://api.lever.co/v0/postings/acme?mode=json&skip=0&limit=100"),
        ({"region": "eu"}, "https://api.eu.lever.co/v0/postings/acme?mode=json&skip=0&limit=100"),
        ({"region": "EU", "base_url": "http://127.0.0.1:9/"}, "http://127.0.0.1:9/v0/postings/acme?mode=json&skip=0&limit=100"),
        ({"company": "Acme Labs"}, "https://api.lever.co/v0/postings/Acme%20Labs?mode=json&skip=0&limit=100"),
    ],
)
def test_page_url(params, url):
    assert lever.page_url(acme(**params), 0) == url


def test_unknown_region_is_a_clear_error():
    with pytest.raises(ScrapeError, match="acme: params.region must be 'eu' or absent, got 'mars'"):
        lever.page_url(acme(region="mars"), 0)


def test_eu_public_url_fallback():
    body = json.dumps([{"id": "x1", "text": "Speech Scientist"}])
    (p,) = lever.parse(body, acme(region="eu"), API)
    assert p.url == "https://jobs.eu.lever.co/acme/x1"


async def test_scrape_pages_until_short_page():
    seen: list[str] = []
    pages = {0: [posting(n) for n in range(100)], 100: [posting(n) for n in range(100, 200)],
             200: [posting(n) for n in range(200, 230)]}
    async with Fetcher(paged_transport(pages, seen)) as fetcher:
        ctx = LabContext(acme(), fetcher)
        postings = await lever.scrape(ctx)
    assert seen == [f"{API}&skip={skip}&limit=100" for skip in (0, 100, 200)]
    assert len(postings) == 230 and postings[229].title == "Job 229"
    assert not ctx.partial and not ctx.warnings


async def test_scrape_exact_multiple_needs_one_empty_page():
    seen: list[str] = []
    pages = {0: [posting(0), posting(1)], 2: [posting(2), posting(3)]}
    async with Fetcher(paged_transport(pages, seen)) as fetcher:
        ctx = LabContext(acme(page_size=2), fetcher)
        postings = await lever.scrape(ctx)
    assert [p.source_id for p in postings] == ["id-0", "id-1", "id-2", "id-3"] and not ctx.partial
    assert [u.split("?")[1] for u in seen] == ["mode=json&skip=0&limit=2", "mode=json&skip=2&limit=2",
                                                "mode=json&skip=4&limit=2"]


async def test_a_page_repeating_earlier_postings_keeps_them_once_and_makes_the_run_partial():
    seen: list[str] = []
    # A posting published mid-scrape pushes job 1 onto the next page as well (or the board ignored skip).
    pages = {0: [posting(0), posting(1)], 2: [posting(1), posting(2)]}
    async with Fetcher(paged_transport(pages, seen)) as fetcher:
        ctx = LabContext(acme(page_size=2), fetcher)
        postings = await lever.scrape(ctx)
    assert [p.source_id for p in postings] == ["id-0", "id-1", "id-2"] and len(seen) == 2
    assert ctx.partial and ctx.warnings == [f"board: {seen[1]} repeats 1 of its 2 postings from earlier pages (the site "
                                            "ignored the offset?); nothing is closed this run"]


async def test_scrape_page_cap_warns_and_marks_partial():
    seen: list[str] = []
    pages = {skip: [posting(skip), posting(skip + 1)] for skip in range(0, 20, 2)}
    async with Fetcher(paged_transport(pages, seen)) as fetcher:
        ctx = LabContext(acme(page_size=2, max_pages=3), fetcher)
        postings = await lever.scrape(ctx)
    assert len(seen) == 3 and len(postings) == 6
    assert ctx.partial and ctx.warnings == ["board: stopped after 3 pages (6 of an unknown number of postings); "
                                           "raise params.max_pages to see more; nothing is closed this run"]


async def test_scrape_unknown_company_names_lab_url_and_cause():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"ok": False, "error": "Document not found"})

    async with Fetcher(httpx.MockTransport(handler), retry=RetryPolicy(attempts=1)) as fetcher:
        with pytest.raises(ScrapeError) as err:
            await lever.scrape(LabContext(acme(), fetcher))
    assert str(err.value) == f"acme: HTTP 404: error='Document not found' ({API}&skip=0&limit=100)"


@pytest.mark.parametrize(
    "body, message",
    [
        (b"<html>Lever</html>", "HTML where JSON was expected"),
        (b'{"ok": false, "error": "Document not found"}', "Lever answered an error: Document not found"),
        (b'{"postings": []}', "expected a JSON array of Lever postings"),
        (b'[{"id": "1"}]', "postings[0] has no 'text'"),
        (b'[{"text": "Speech"}]', "postings[0] has no 'id'"),
        (b"[null]", "postings[0] is NoneType"),
        (b"[", "invalid JSON"),
    ],
)
def test_bad_bodies_raise_parse_error_naming_lab_and_url(body, message):
    with pytest.raises(ParseError) as err:
        lever.parse(body, acme(), API)
    text = str(err.value)
    assert message in text and text.startswith("acme:") and API in text


def test_detect():
    assert lever.detect([], "https://api.lever.co/v0/postings/x")
    assert lever.detect(json.loads(fixture_bytes("lever_postings.json")), "")
    assert not lever.detect({"jobs": []}, "")


def test_real_capture_palantir():
    path = real_sample("lever-postings-trimmed__manojkaipu-job-poller-palantir.json")
    singapore, london = lever.parse(path.read_bytes(), acme(company="palantir"), API)
    assert singapore.source_id == "6ed76ce8-4156-4b60-b120-403538bd66cd"
    assert singapore.title == "Administrative Business Partner"
    assert singapore.url == "https://jobs.lever.co/palantir/6ed76ce8-4156-4b60-b120-403538bd66cd"
    assert (singapore.location, singapore.team, singapore.workplace) == ("Singapore, Singapore", "Administrative", "hybrid")
    assert singapore.employment_type == "full-time" and singapore.posted_at == "2026-08-11T17:38:11+00:00"
    assert singapore.extra["country"] == "SG"
    assert singapore.description.startswith("A World-Changing Company\nPalantir builds the world’s leading soft")
    assert "What We Value\n- Ability to adjust quickly" in singapore.description
    assert "What We Require\n- At least three years" in singapore.description
    assert london.posted_at == "2024-03-25T21:50:16+00:00" and london.location == "London, United Kingdom"
    assert "Life at Palantir" in london.description
    assert all("&nbsp;" not in p.description and "<" not in p.description for p in (singapore, london))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["team", "department", "location", "allLocations", "commitment", "text", "content", "min", "max", "currency", "interval"]), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(["categories", "createdAt", "updatedAt", "hostedUrl", "applyUrl", "opening", "openingPlain", "descriptionBody", "description", "descriptionPlain", "lists", "additional", "additionalPlain", "salaryRange", "salaryDescription", "workplaceType", "country"]), value=JSON_VALUES)
def test_any_field_value_never_crashes(field, value):
    job = {**{"id": "x1", "text": "Speech Scientist"}, field: value}
    try:
        posting = lever.parse_posting(job, acme(), "https://x.test/list")
    except ParseError:
        return  # a clear error is fine; a KeyError/TypeError is not
    assert posting is None or (isinstance(posting.title, str) and isinstance(posting.description, str))
