"""robots.txt: web pages are fetched only where the host's robots.txt lets our User-Agent (RFC 9309 rules)."""

import httpx
import pytest

from asr_jobs.models import Lab, Politeness, ScrapeError
from asr_jobs.scrapers.adapters import jsonld, mit
from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy

HOST = "https://careers.acme.test"
LISTING = f"{HOST}/open-positions"
PAGE = ('<html><head><script type="application/ld+json">{"@type": "JobPosting", "title": "Speech Scientist", '
        '"identifier": "J1", "description": "<p>ASR research.</p>", "datePosted": "2026-11-01"}</script></head>'
        "<body></body></html>")


def acme(name: str = "acme", **params) -> Lab:
    return Lab(name=name, title="Acme", category="industry", adapter="jsonld", params={"pages": [LISTING], **params},
               politeness=Politeness())


def site(robots: str | int, seen: list[str], pages: dict[str, str] | None = None) -> httpx.MockTransport:
    """robots.txt (text, or an error status) and HTML pages; anything else 404."""
    pages = {LISTING: PAGE, **(pages or {})}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/robots.txt":
            if isinstance(robots, int):
                return httpx.Response(robots, text="error")
            return httpx.Response(200, text=robots, headers={"content-type": "text/plain"})
        body = pages.get(str(request.url))
        if body is None:
            return httpx.Response(404, text="not found")
        return httpx.Response(200, text=body, headers={"content-type": "text/html"})

    return httpx.MockTransport(handler)


async def scrape(lab: Lab, transport: httpx.MockTransport) -> tuple[list, LabContext]:
    async with Fetcher(transport, retry=RetryPolicy(attempts=1)) as fetcher:
        ctx = LabContext(lab, fetcher)
        return await jsonld.scrape(ctx), ctx


@pytest.mark.parametrize("robots", [
    "User-agent: *\nDisallow: /private/\n",
    "User-agent: BadBot\nDisallow: /\n",  # rules for another crawler only
    "User-agent: *\nDisallow: /\n\nUser-agent: asr-jobs\nAllow: /open-positions\n",  # our own group wins
    404,  # no robots.txt: everything allowed
    403,  # 4xx: "unavailable", as if there were none
])
async def test_allowed_pages_are_fetched(robots):
    seen: list[str] = []
    postings, ctx = await scrape(acme(), site(robots, seen))
    assert seen == [f"{HOST}/robots.txt", LISTING]
    assert [p.title for p in postings] == ["Speech Scientist"] and not ctx.partial and ctx.warnings == []


@pytest.mark.parametrize("robots, reason", [
    ("User-agent: *\nDisallow: /open-positions\n", f"robots.txt of {HOST} disallows it for our User-Agent"),
    ("User-agent: asr-jobs\nDisallow: /\n", f"robots.txt of {HOST} disallows it for our User-Agent"),
])
async def test_disallowed_pages_are_skipped_with_a_warning_and_the_run_is_partial(robots, reason):
    seen: list[str] = []
    postings, ctx = await scrape(acme(), site(robots, seen))
    assert seen == [f"{HOST}/robots.txt"]  # the page itself is never requested
    assert postings == [] and ctx.partial  # partial: nothing stored is closed for not being seen
    assert ctx.warnings == [f"acme: skipped {LISTING}: {reason}"]


@pytest.mark.parametrize("status, kind", [(503, "http"), (500, "http"), (429, "throttled")])
async def test_an_unreachable_robots_txt_disallows_the_host_and_fails_the_lab(status, kind):
    """RFC 9309 2.3.1.4: 5xx (and 429 here), still so after the retries, means complete disallow."""
    seen: list[str] = []
    async with Fetcher(site(status, seen), retry=RetryPolicy(attempts=2, scale=0)) as fetcher:
        with pytest.raises(ScrapeError) as err:
            await jsonld.scrape(LabContext(acme(), fetcher))
    assert seen == [f"{HOST}/robots.txt"] * 2  # retried once, then no page of the host is asked
    assert err.value.kind == kind and err.value.status == status
    assert f"robots.txt unreachable (HTTP {status}" in str(err.value) and "disallows everything" in str(err.value)


async def test_a_transient_robots_txt_error_is_retried():
    answers = iter([503])
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/robots.txt":
            return httpx.Response(next(answers, 404))
        return httpx.Response(200, text=PAGE, headers={"content-type": "text/html"})

    async with Fetcher(httpx.MockTransport(handler), retry=RetryPolicy(attempts=2, scale=0)) as fetcher:
        ctx = LabContext(acme(), fetcher)
        postings = await jsonld.scrape(ctx)
    assert seen == [f"{HOST}/robots.txt", f"{HOST}/robots.txt", LISTING] and len(postings) == 1 and not ctx.partial


async def test_robots_txt_is_read_once_per_host_per_run_for_every_lab():
    seen: list[str] = []
    other = "https://jobs.other.test/list"
    transport = site("User-agent: *\nDisallow: /private/\n", seen, {other: PAGE, f"{HOST}/second": PAGE})
    async with Fetcher(transport, retry=RetryPolicy(attempts=1)) as fetcher:
        for lab in (acme(pages=[LISTING, f"{HOST}/second"]), acme("acme-2", pages=[LISTING, other])):
            await jsonld.scrape(LabContext(lab, fetcher))
    assert seen.count(f"{HOST}/robots.txt") == 1 and seen.count("https://jobs.other.test/robots.txt") == 1
    assert seen.count(LISTING) == 2  # the pages themselves, once per lab


async def test_a_host_that_cannot_be_reached_is_the_labs_error_not_a_silent_skip():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ScrapeError, match="cannot connect") as failed:
        await scrape(acme(), httpx.MockTransport(refuse))
    assert failed.value.kind == "offline"


async def test_mit_posting_page_disallowed_is_not_fetched(labs):
    careers = "https://www.csail.mit.edu/about/careers"
    posting = "https://www.csail.mit.edu/jobs/research-scientist-speech"
    lab = labs["mit-csail"]
    lab = Lab(**{**lab.__dict__, "politeness": Politeness(), "params": {"pages": [careers]}})
    seen: list[str] = []
    listing = f'<html><body><main><a href="{posting}">Research Scientist, Speech</a></main></body></html>'
    transport = site("User-agent: *\nDisallow: /jobs/\n", seen, {careers: listing, posting: PAGE})
    async with Fetcher(transport, retry=RetryPolicy(attempts=1)) as fetcher:
        ctx = LabContext(lab, fetcher)
        postings = await mit.scrape(ctx)
    assert seen == ["https://www.csail.mit.edu/robots.txt", careers] and postings == []
    assert ctx.partial and ctx.warnings == [
        f"mit-csail: skipped {posting}: robots.txt of https://www.csail.mit.edu disallows it for our User-Agent"]
