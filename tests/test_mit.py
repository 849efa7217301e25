import copy

import httpx
import pytest

from asr_jobs.models import Lab, ParseError, Politeness, Posting, ScrapeError
from asr_jobs.scrapers.adapters import mit
from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy
from asr_jobs.scrapers.har import ReplayTransport

from .conftest import HERE, fixture_bytes

CAREERS = "https://www.csail.mit.edu/about/careers"
SLS = "https://www.csail.mit.edu/jobs/research-scientist-spoken-language-systems"
FUTURETECH = "https://futuretech.mit.edu/opportunities/postdoctoral-associate-ai-economics"
PEOPLECLICK = ("https://careers.peopleclick.com/careerscp/client_mit/external/jobDetails.do"
               "?functionName=getJobDetail&jobPostId=24871&localeCode=en-us")
ADMIN_PAGE = ("<html><head><title>Administrative Assistant II - MIT</title></head><body><div id=\"content\">"
              "<h2>Administrative Assistant II</h2><p>Support the CSAIL headquarters team.</p></div></body></html>")


def lab(labs, **params) -> Lab:
    base = copy.deepcopy(labs["mit-csail"])
    base.politeness = Politeness()  # no waits between requests in tests
    base.params = {**base.params, "pages": [CAREERS], **params}
    return base


class Site:
    """Fake web pages by URL (HTML); records requests; anything else is a 404."""

    def __init__(self, pages: dict[str, str]):
        self.pages = pages
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = self.pages.get(str(request.url))
        if body is None:
            return httpx.Response(404, text="<html>Page not found</html>")
        return httpx.Response(200, text=body, headers={"content-type": "text/html; charset=utf-8"})


def default_site() -> Site:
    return Site({CAREERS: fixture_bytes("mit_careers.html").decode(), SLS: fixture_bytes("mit_posting.html").decode(),
                 FUTURETECH: fixture_bytes("mit_posting_jsonld.html").decode(), PEOPLECLICK: ADMIN_PAGE})


async def run(lab_: Lab, site: Site, **ctx_kwargs) -> tuple[list[Posting], LabContext]:
    async with Fetcher(httpx.MockTransport(site), retry=RetryPolicy(attempts=1)) as fetcher:
        ctx = LabContext(lab_, fetcher, **ctx_kwargs)
        return await mit.scrape(ctx), ctx


def test_posting_links_same_site_follow_hosts_and_pattern(labs):
    links = mit.posting_links(fixture_bytes("mit_careers.html").decode(), CAREERS, labs["mit-csail"], [CAREERS])
    assert links == {
        SLS: "Research Scientist, Spoken Language Systems Group",  # the image link came first, its text later
        FUTURETECH: "Postdoctoral Associate, FutureTech",  # #apply dropped
        PEOPLECLICK: "Administrative Assistant II (MIT HR)",
    }  # not: nav, /research/positions, the news story, LinkedIn, mailto, the careers page itself


def test_source_ids():
    assert mit.source_id(PEOPLECLICK) == "24871"
    assert mit.source_id(SLS + "/") == "www.csail.mit.edu/jobs/research-scientist-spoken-language-systems"


def test_parse_plain_posting_page(labs):
    (posting,) = mit.parse(fixture_bytes("mit_posting.html"), labs["mit-csail"], SLS)
    assert posting.source_id == "www.csail.mit.edu/jobs/research-scientist-spoken-language-systems"
    assert posting.title == "Research Scientist, Spoken Language Systems Group"
    assert posting.url == SLS and posting.location == "Cambridge, MA" and posting.company == "MIT CSAIL"
    assert posting.posted_at == "2026-11-04T12:00:00-05:00"
    assert posting.description.splitlines() == [
        "The Spoken Language Systems group at MIT CSAIL seeks a Research Scientist to lead work on self-supervised "
        "speech models & audio-visual learning.",
        "",
        "Responsibilities",
        "",
        "- Develop speech recognition for low-resource languages",
        "- Mentor graduate students",
        "",
        "Apply with a CV and three references by January 15, 2027.",
    ]  # no navigation, breadcrumb or footer


def test_parse_posting_page_with_json_ld(labs):
    (posting,) = mit.parse(fixture_bytes("mit_posting_jsonld.html"), labs["mit-csail"], FUTURETECH)
    assert posting.source_id == "futuretech.mit.edu/opportunities/postdoctoral-associate-ai-economics"
    assert posting.title == "Postdoctoral Associate, AI and Economics"
    assert posting.description == ("FutureTech studies the economic foundations of progress in AI.\n\n"
                                   "- Model compute trends\n- Publish policy-relevant research")
    assert posting.posted_at == "2026-10-20" and posting.employment_type == "full-time"
    assert posting.company == "MIT FutureTech" and posting.location == "Cambridge, MA, US" and posting.url == FUTURETECH


@pytest.mark.parametrize(
    "page, title",
    [
        ('<html><head><meta property="og:title" content="Postdoc in Robotics"></head><body><main><p>Text.</p></main>'
         "</body></html>", "Postdoc in Robotics"),
        ("<html><head><title>Research Engineer | MIT CSAIL</title></head><body><article><p>Text.</p></article>"
         "</body></html>", "Research Engineer"),
    ],
)
def test_title_fallbacks(labs, page, title):
    assert mit.parse(page, labs["mit-csail"], SLS)[0].title == title


@pytest.mark.parametrize(
    "page, message",
    [
        ("<html><body><main><p>Some text.</p></main></body></html>", "the posting page has no title"),
        ("<html><head><title>Job</title></head><body><main></main></body></html>", "the posting page has no text"),
    ],
)
def test_bad_posting_pages_name_lab_and_url(labs, page, message):
    with pytest.raises(ParseError) as err:
        mit.parse(page, labs["mit-csail"], SLS)
    text = str(err.value)
    assert message in text and text.startswith("mit-csail: ") and text.endswith(f"({SLS})")


async def test_scrape_reads_listing_then_each_posting_page(labs):
    site = default_site()
    postings, ctx = await run(lab(labs), site)
    # Each host's robots.txt first (a 404 here: no rules); PeopleClick's page is a JavaScript shell: never asked.
    urls = [str(r.url) for r in site.requests]
    assert urls[:2] == ["https://www.csail.mit.edu/robots.txt", CAREERS]
    assert sorted(urls[2:]) == sorted([SLS, "https://futuretech.mit.edu/robots.txt", FUTURETECH])
    assert all(r.method == "GET" for r in site.requests)
    admin, sls, futuretech = postings
    assert sls.title == "Research Scientist, Spoken Language Systems Group"
    assert sls.description.startswith("The Spoken Language Systems group at MIT CSAIL")
    assert futuretech.title == "Postdoctoral Associate, AI and Economics"
    # A PeopleClick link is a posting as the lab's page lists it.
    assert admin.source_id == "24871" and admin.title == "Administrative Assistant II (MIT HR)" and admin.url == PEOPLECLICK
    assert admin.description == "Administrative Assistant II (MIT HR)"
    assert ctx.warnings == [] and not ctx.partial


async def test_unchanged_links_are_not_fetched_again(labs):
    sls_id = "www.csail.mit.edu/jobs/research-scientist-spoken-language-systems"
    stored = Posting(lab="mit-csail", source_id=sls_id, title="Research Scientist", url=SLS, description="stored text")
    site = default_site()
    postings, _ = await run(lab(labs), site, previous={sls_id: stored},
                            previous_keys={sls_id: f"Research Scientist, Spoken Language Systems Group|{SLS}"})
    assert SLS not in [str(r.url) for r in site.requests]
    assert postings[1].description == "stored text"


async def test_dead_posting_link_is_reported_gone(labs):
    site = default_site()
    del site.pages[FUTURETECH]
    postings, ctx = await run(lab(labs), site)
    assert [p.source_id for p in postings] == ["24871",
                                               "www.csail.mit.edu/jobs/research-scientist-spoken-language-systems"]
    assert ctx.gone_ids == {"futuretech.mit.edu/opportunities/postdoctoral-associate-ai-economics": FUTURETECH}
    assert ctx.warnings == [] and not ctx.partial


async def test_unreadable_posting_page_is_left_out_and_run_partial(labs):
    site = default_site()
    site.pages[SLS] = "<html><body><div ng-app=\"careers\"></div></body></html>"  # a script-only shell
    postings, ctx = await run(lab(labs), site)
    assert [p.source_id for p in postings] == ["24871",
                                               "futuretech.mit.edu/opportunities/postdoctoral-associate-ai-economics"]
    # The link text stands in for the missing title, but there is no text to read.
    assert ctx.partial and ctx.warnings == [f"mit-csail: the posting page has no text in main, article or #content "
                                            f"({SLS})"]


async def test_page_without_posting_links_warns(labs):
    site = Site({CAREERS: "<html><body><main><p>No openings right now.</p></main></body></html>"})
    postings, ctx = await run(lab(labs), site)
    assert postings == []
    assert ctx.warnings == [f"{CAREERS}: no links matching link_pattern (no openings, or the page changed)"]


async def test_base_url_fetches_from_the_mirror_but_keeps_public_urls(labs):
    mirror = {url.replace("https://www.csail.mit.edu", "http://mirror.test"): body
              for url, body in default_site().pages.items() if url.startswith("https://www.csail.mit.edu")}
    site = Site(mirror)
    postings, _ = await run(lab(labs, base_url="http://mirror.test", follow_hosts=[]), site)
    assert [str(r.url) for r in site.requests] == ["http://mirror.test/robots.txt", "http://mirror.test/about/careers",
                                                   "http://mirror.test/jobs/research-scientist-spoken-language-systems",
                                                   "http://mirror.test/opportunities/postdoctoral-associate-ai-economics"]
    assert [p.url for p in postings] == [SLS]  # the futuretech page is not on the mirror: gone


async def test_bad_link_pattern_is_a_parse_error(labs):
    with pytest.raises(ParseError) as err:
        await run(lab(labs, link_pattern="(jobs"), default_site())
    assert "params.link_pattern '(jobs' is not a regular expression" in str(err.value)
    assert str(err.value).startswith("mit-csail:") and CAREERS in str(err.value)


async def test_demo_recording_replays(labs):
    transport = ReplayTransport.from_files(HERE.parent / "asr_jobs" / "demo" / "mit-csail.har")
    async with Fetcher(transport) as fetcher:
        demo_lab = copy.deepcopy(labs["mit-csail"])
        demo_lab.politeness = Politeness()
        ctx = LabContext(demo_lab, fetcher)
        postings = await mit.scrape(ctx)
    titles = [p.title for p in postings]
    assert "Postdoctoral Associate, Speech and Multimodal Learning" in titles
    assert len(postings) == 4 and all(p.description for p in postings)
    assert not ctx.partial and ctx.warnings == []


async def test_probe_counts_the_posting_links_of_the_listing_pages_only(labs):
    site = default_site()
    async with Fetcher(httpx.MockTransport(site), retry=RetryPolicy(attempts=1)) as fetcher:
        assert await mit.probe(LabContext(lab(labs), fetcher)) == 3
    assert [str(r.url) for r in site.requests] == ["https://www.csail.mit.edu/robots.txt", CAREERS]


async def test_a_listing_page_that_moved_is_warned_about_and_the_others_are_read(labs):
    site = default_site()
    moved = "https://www.csail.mit.edu/about/old-jobs-page"
    postings, ctx = await run(lab(labs, pages=[moved, CAREERS]), site)
    assert len(postings) == 3 and ctx.partial  # partial: what the moved page listed is not closed
    assert ctx.warnings == [f"mit-csail: listing page answered HTTP 404, check params.pages: {moved}"]


async def test_every_listing_page_gone_is_a_configuration_error(labs):
    with pytest.raises(ScrapeError) as err:
        await run(lab(labs, pages=["https://www.csail.mit.edu/nope"]), default_site())
    assert err.value.kind == "config" and "every listing page answered 404/410: change params.pages" in str(err.value)
