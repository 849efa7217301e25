import copy
import json
from urllib.parse import parse_qsl

import httpx
import pytest

from asr_jobs.models import Lab, ParseError, Politeness, Posting, ScrapeError
from asr_jobs.scrapers.adapters import meta
from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy
from asr_jobs.scrapers.har import ReplayTransport

from .conftest import HERE, fixture_bytes, real_sample

BASE = "https://www.metacareers.com"
GRAPHQL = f"{BASE}/api/graphql/"
LSD = "AVqR3k9xLm0"
SPEECH_ID, INTERN_ID = "1187664320150442", "902154737719830"


def graphql_answer(jobs: list[dict], key: str = "job_search_with_featured_jobs_v2") -> bytes:
    return json.dumps({"data": {key: {"all_jobs": jobs, "featured_jobs": []}},
                       "extensions": {"is_final": True}}).encode()


def job_page(title: str, description: str) -> str:
    node = {"@context": "http://schema.org/", "@type": "JobPosting", "title": title, "description": description,
            "datePosted": "2026-11-10T08:00:00-08:00", "employmentType": "INTERN"}
    return f'<html><head><script type="application/ld+json">{json.dumps(node)}</script></head><body></body></html>'


class MetaSite:
    """A fake metacareers.com: jobs page with the lsd token, GraphQL search, job pages; records requests."""

    def __init__(self, search: dict[str, bytes] | None = None, pages: dict[str, str] | None = None,
                 jobs_page: str | None = None, search_status: int = 200, page_status: int = 200):
        self.search = search if search is not None else {"": fixture_bytes("meta_graphql.json")}
        self.pages = pages if pages is not None else {SPEECH_ID: fixture_bytes("meta_job.html").decode(),
                                                      INTERN_ID: job_page("x", "Intern text.")}
        self.jobs_page = jobs_page if jobs_page is not None else fixture_bytes("meta_jobs_page.html").decode()
        self.search_status, self.page_status = search_status, page_status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        html = {"content-type": "text/html; charset=utf-8"}
        if path == "/jobs":
            return httpx.Response(200, text=self.jobs_page, headers=html)
        if path in ("/api/graphql/", "/graphql"):
            query = json.loads(dict(parse_qsl(request.content.decode()))["variables"])["search_input"]["q"]
            body = self.search.get(query, self.search.get("", graphql_answer([])))
            # Meta answers JSON with a text/html content type.
            return httpx.Response(self.search_status, content=body, headers=html)
        job_id = path.strip("/").split("/")[-1]
        if path.startswith("/jobs/") and job_id in self.pages:
            return httpx.Response(self.page_status, text=self.pages[job_id], headers=html)
        return httpx.Response(404, text="<html>Not found</html>", headers=html)

    def forms(self) -> list[dict]:
        return [dict(parse_qsl(r.content.decode())) for r in self.requests if "graphql" in r.url.path]


def lab(labs, **changes) -> Lab:
    base = copy.deepcopy(labs["meta-fair"])
    base.politeness = Politeness()  # no waits between requests in tests
    for key, value in changes.items():
        setattr(base, key, value)
    return base


async def run(lab_: Lab, site: MetaSite, **ctx_kwargs) -> tuple[list[Posting], LabContext]:
    async with Fetcher(httpx.MockTransport(site), retry=RetryPolicy(attempts=1)) as fetcher:
        ctx = LabContext(lab_, fetcher, **ctx_kwargs)
        return await meta.scrape(ctx), ctx


def test_parse_search_fields(labs):
    postings = meta.parse(fixture_bytes("meta_graphql.json"), labs["meta-fair"], GRAPHQL)
    assert [p.source_id for p in postings] == [SPEECH_ID, INTERN_ID, "2240198756631077", "1498822077615290"]
    speech, intern = postings[:2]
    assert speech.title == "Research Scientist, Speech & Audio (FAIR)"
    assert speech.url == "https://www.metacareers.com/jobs/1187664320150442/"
    assert speech.location == "Menlo Park, CA; New York, NY; Paris, France"
    assert speech.team == "AI Research, Artificial Intelligence, Research"
    assert speech.company == "Meta" and speech.description == ""
    assert intern.workplace == "remote" and intern.team == "Internship - PhD, AI Research, Research"
    assert [meta.listing_match(labs["meta-fair"], p) for p in postings] == [True, True, False, False]


def test_parse_job_page_uses_the_json_ld(labs):
    url = f"{BASE}/jobs/{SPEECH_ID}/"
    (page,) = meta.parse(fixture_bytes("meta_job.html"), labs["meta-fair"], url)
    assert page.source_id == SPEECH_ID and page.title == "Research Scientist, Speech & Audio (FAIR)"
    assert page.posted_at == "2026-11-03T09:12:44-08:00" and page.employment_type == "full-time"
    assert (page.salary_min, page.salary_max, page.salary_currency, page.salary_period) == (173000, 242000, "USD", "year")
    assert "Responsibilities\n- Lead research on self-supervised speech representation learning" in page.description


def test_guard_prefix_and_older_result_key(labs):
    body = b"for (;;);" + graphql_answer([{"id": 5, "title": "Research Scientist", "locations": [], "teams": []}],
                                         key="job_search_with_featured_jobs")
    (posting,) = meta.parse(body, labs["meta-fair"], GRAPHQL)
    assert posting.source_id == "5" and posting.title == "Research Scientist"


def test_real_graphql_capture(labs):
    body = real_sample("meta-careers-graphql__pedrocamargolince-opportunity-radar.json").read_bytes()
    postings = meta.parse(body, labs["meta-fair"], "https://www.metacareers.com/graphql")
    assert len(postings) == 11  # the featured job is an ad, not a result
    robotics = next(p for p in postings if p.source_id == "1940312740718917")
    assert robotics.title == "Research Scientist Intern, Robotics - Meta Superintelligence Labs (PhD)"
    assert robotics.location == "Menlo Park, CA"
    assert robotics.team.startswith("AI Research, Internship - Engineering, Tech & Design, Internship - PhD, Research")
    kept = [p.title for p in postings if meta.listing_match(labs["meta-fair"], p)]
    assert kept == ["Research Scientist Intern, Robotics - Meta Superintelligence Labs (PhD)",
                    "Research Scientist Intern, Optical System Design (PhD)"]


@pytest.mark.parametrize(
    "body, message",
    [
        (b"<!DOCTYPE html><html><body>Sorry, something went wrong.</body></html>",
         "got HTML where the job search JSON was expected"),
        (b'{"errors": [{"message": "PersistedQueryNotFound", "severity": "CRITICAL"}]}',
         "GraphQL errors: PersistedQueryNotFound; doc_id may have rotated"),
        (b'for (;;);{"error": 1357004, "errorSummary": "Sorry, something went wrong"}',
         "Meta answered error 1357004 (Sorry, something went wrong); doc_id may have rotated"),
        (b'{"data": {"viewer": {}}}', "no job_search_with_featured_jobs_v2 or job_search_with_featured_jobs in data"),
        (b'{"data": {"job_search_with_featured_jobs_v2": {"all_jobs": null}}}', "all_jobs should be a list"),
        (b'{"data": {"job_search_with_featured_jobs_v2": {"all_jobs": [{"id": "1"}]}}}', "all_jobs[0] has no 'id' and 'title'"),
        (b"", "empty body"),
        (b'{"data": ', "invalid JSON"),
    ],
)
def test_bad_search_bodies_name_lab_url_and_cause(labs, body, message):
    with pytest.raises(ParseError) as err:
        meta.parse(body, labs["meta-fair"], GRAPHQL)
    text = str(err.value)
    assert message in text and text.startswith("meta-fair:") and GRAPHQL in text


async def test_scrape_token_search_filter_and_details(labs):
    site = MetaSite()
    postings, ctx = await run(lab(labs, queries=["speech", "audio"]), site)
    get_jobs, *rest = site.requests
    assert (get_jobs.method, str(get_jobs.url)) == ("GET", "https://www.metacareers.com/jobs")
    searches = [r for r in rest if r.url.path == "/api/graphql/"]
    assert [(r.method, str(r.url)) for r in searches] == [("POST", GRAPHQL)] * 2
    assert all(r.headers["x-fb-lsd"] == LSD for r in searches)
    assert all(r.headers["content-type"] == "application/x-www-form-urlencoded" for r in searches)
    first, second = site.forms()
    assert (first["lsd"], first["doc_id"]) == (LSD, "9114524511922157")
    assert json.loads(first["variables"]) == {"search_input": {
        "q": "speech", "divisions": [], "offices": [], "roles": [], "leadership_levels": [], "saved_jobs": [],
        "saved_searches": [], "sub_teams": [], "teams": [], "is_leadership": False, "is_remote_only": False,
        "sort_by_new": True, "results_per_page": None}}
    assert json.loads(second["variables"])["search_input"]["q"] == "audio"
    # Both queries find the same jobs: merged, filtered to research teams, then one page per kept job.
    pages = [str(r.url) for r in site.requests if r.url.path.startswith("/jobs/")]
    assert pages == [f"{BASE}/jobs/{SPEECH_ID}/", f"{BASE}/jobs/{INTERN_ID}/"]
    speech, intern = postings
    assert speech.title == "Research Scientist, Speech & Audio (FAIR)"
    assert speech.location == "Menlo Park, CA; New York, NY; Paris, France"  # the search lists every office
    assert speech.team == "AI Research, Artificial Intelligence, Research"
    assert speech.description.startswith("Meta's Fundamental AI Research (FAIR) team advances")
    assert speech.salary_max == 242000 and speech.employment_type == "full-time"
    assert intern.description == "Intern text." and intern.employment_type == "intern"
    assert not ctx.partial and ctx.warnings == []


async def test_unchanged_postings_get_no_page_request(labs):
    listed = meta.parse(fixture_bytes("meta_graphql.json"), labs["meta-fair"], GRAPHQL)
    stored = Posting(lab="meta-fair", source_id=SPEECH_ID, title=listed[0].title, url=listed[0].url,
                     description="stored description")
    site = MetaSite()
    postings, _ = await run(lab(labs, queries=["speech"]), site, previous={SPEECH_ID: stored},
                            previous_keys={SPEECH_ID: listed[0].extra["listing_key"]})
    assert [p.description for p in postings] == ["stored description", "Intern text."]
    assert [r.url.path for r in site.requests if r.url.path.startswith("/jobs/")] == [f"/jobs/{INTERN_ID}/"]


async def test_closed_job_page_is_reported_gone(labs):
    site = MetaSite(pages={INTERN_ID: job_page("x", "Intern text.")})
    postings, ctx = await run(lab(labs, queries=["speech"]), site)
    assert [p.source_id for p in postings] == [INTERN_ID]
    assert ctx.gone_ids == {SPEECH_ID: f"{BASE}/jobs/{SPEECH_ID}/"}


async def test_waf_on_a_job_page_is_named(labs):
    with pytest.raises(ScrapeError) as err:
        await run(lab(labs, queries=["speech"]), MetaSite(page_status=400))
    assert str(err.value).startswith("meta-fair: HTTP 400") and "Meta's WAF refused the request" in str(err.value)
    assert str(err.value).endswith((f"({BASE}/jobs/{SPEECH_ID}/)", f"({BASE}/jobs/{INTERN_ID}/)"))


async def test_waf_400_names_lab_url_and_doc_id_hint(labs):
    site = MetaSite(search={"": b'<html><body>Error 400</body></html>'}, search_status=400)
    with pytest.raises(ScrapeError) as err:
        await run(lab(labs, queries=["speech"]), site)
    text = str(err.value)
    assert text.startswith("meta-fair: HTTP 400") and "Meta's WAF refused the request; or doc_id may have rotated" in text
    assert text.endswith(f"({GRAPHQL})")


async def test_html_instead_of_json_names_doc_id(labs):
    site = MetaSite(search={"": b"<!DOCTYPE html><html><title>Meta</title></html>"})
    with pytest.raises(ParseError) as err:
        await run(lab(labs, queries=["speech"]), site)
    assert "got HTML where the job search JSON was expected" in str(err.value)
    assert "doc_id may have rotated" in str(err.value) and GRAPHQL in str(err.value)


async def test_missing_lsd_token(labs):
    with pytest.raises(ParseError) as err:
        await run(lab(labs, queries=["speech"]), MetaSite(jobs_page="<html><body>Log in</body></html>"))
    assert str(err.value).startswith("meta-fair: no lsd token in the jobs page")
    assert str(err.value).endswith("(https://www.metacareers.com/jobs)")


async def test_job_page_without_json_ld_is_an_error(labs):
    site = MetaSite(pages={SPEECH_ID: "<html><body>Log in to continue</body></html>", INTERN_ID: job_page("x", "y")})
    with pytest.raises(ParseError) as err:
        await run(lab(labs, queries=["speech"]), site)
    assert "no JobPosting JSON-LD in the job page" in str(err.value)
    assert f"{BASE}/jobs/{SPEECH_ID}/" in str(err.value)


async def test_params_base_url_path_and_doc_id(labs):
    params = {"doc_id": "29615178951461218", "base_url": "http://mirror.test", "graphql_path": "/graphql"}
    site = MetaSite(search={"": graphql_answer([])})
    postings, _ = await run(lab(labs, queries=["speech"], params=params), site)
    assert postings == []
    assert [str(r.url) for r in site.requests] == ["http://mirror.test/jobs", "http://mirror.test/graphql"]
    assert site.forms()[0]["doc_id"] == "29615178951461218"


async def test_demo_recording_replays(labs):
    transport = ReplayTransport.from_files(HERE.parent / "asr_jobs" / "demo" / "meta-fair.har")
    async with Fetcher(transport) as fetcher:
        ctx = LabContext(lab(labs), fetcher)
        postings = await meta.scrape(ctx)
    titles = [p.title for p in postings]
    assert "Research Scientist, Speech and Audio (FAIR)" in titles
    assert all(p.description for p in postings) and not ctx.partial and ctx.warnings == []
    assert len(postings) == 3
