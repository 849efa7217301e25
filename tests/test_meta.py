import copy
import json
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from asr_jobs.db import lab_state, store
from asr_jobs.ingest import scrape_labs
from asr_jobs.models import Lab, ParseError, Politeness, Posting, ScrapeError
from asr_jobs.samplesites import meta as sample
from asr_jobs.scrapers.adapters import meta
from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy
from asr_jobs.scrapers.har import ReplayTransport

from .conftest import HERE, fixture_bytes, real_sample

BASE = "https://www.metacareers.com"
GRAPHQL = f"{BASE}/api/graphql/"
LSD = "AVqR3k9xLm0"
SPEECH_ID, INTERN_ID = "1187664320150442", "902154737719830"
CURRENT, CONFIGURED, OLD = sample.DOC_ID, "27129360303422352", "9114524511922157"
STATE_KEY = "doc_id:CareersJobSearchResultsV2DataQuery"
THROTTLED = b'{"errors":[{"message":"Rate limit exceeded","code":1675004}],"data":null}'
STALE = b'{"errors":[{"message":"PersistedQueryNotFound","severity":"CRITICAL"}]}'


def graphql_answer(jobs: list[dict], key: str = "job_search_with_featured_jobs_v2") -> bytes:
    return json.dumps({"data": {key: {"all_jobs": jobs, "featured_jobs": []}},
                       "extensions": {"is_final": True}}).encode()


def job_page(title: str, description: str) -> str:
    node = {"@context": "http://schema.org/", "@type": "JobPosting", "title": title, "description": description,
            "datePosted": "2026-11-10T08:00:00-08:00", "employmentType": "INTERN"}
    return f'<html><head><script type="application/ld+json">{json.dumps(node)}</script></head><body></body></html>'


def bundle(doc_id: str) -> str:
    return ('__d("CareersJobSearchResultsV2DataQuery_candidate_portalRelayOperation",[],(function(t,n,r,o,a,i){'
            f'a.exports="{doc_id}"}}),null);')


class MetaSite:
    """A fake metacareers.com: the search page (lsd token, two JS bundles), the GraphQL search answering the
    doc_ids it knows, job pages on the newer path and on the older permalink; records requests."""

    def __init__(self, search: dict[str, bytes] | None = None, pages: dict[str, str] | None = None,
                 older: dict[str, str] | None = None, page: str | None = None, bundle_id: str | None = CURRENT,
                 known: tuple[str, ...] = (CURRENT,), search_status: int = 200, page_status: int = 200):
        self.search = search if search is not None else {"": fixture_bytes("meta_graphql.json")}
        self.pages = pages if pages is not None else {SPEECH_ID: fixture_bytes("meta_job.html").decode(),
                                                      INTERN_ID: job_page("x", "Intern text.")}
        self.older = older or {}
        self.page = page if page is not None else sample.search_page().replace(sample.LSD, LSD)
        self.bundles = {urlsplit(sample.COMMON_BUNDLE).path: "__d(\"Other\",[],(function(){}),null);",
                        urlsplit(sample.CAREERS_BUNDLE).path: bundle(bundle_id) if bundle_id else "/* no module */"}
        self.known, self.search_status, self.page_status = set(known), search_status, page_status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        html = {"content-type": "text/html; charset=utf-8"}
        if path == "/jobsearch/":
            return httpx.Response(200, text=self.page, headers=html)
        if path in self.bundles:
            return httpx.Response(200, text=self.bundles[path], headers={"content-type": "application/x-javascript"})
        if path in ("/api/graphql/", "/graphql"):
            form = dict(parse_qsl(request.content.decode()))
            if form["doc_id"] not in self.known:
                return httpx.Response(200, content=STALE, headers=html)
            query = json.loads(form["variables"])["search_input"]["q"]
            body = self.search.get(query, self.search.get("", graphql_answer([])))
            # Meta answers JSON with a text/html content type.
            return httpx.Response(self.search_status, content=body, headers=html)
        job_id = path.strip("/").split("/")[-1]
        if path.startswith("/profile/job_details/") and job_id in self.pages:
            return httpx.Response(self.page_status, text=self.pages[job_id], headers=html)
        if path.startswith("/jobs/") and job_id in self.older:
            return httpx.Response(self.page_status, text=self.older[job_id], headers=html)
        return httpx.Response(404, text="<html>Not found</html>", headers=html)

    def forms(self) -> list[dict]:
        return [dict(parse_qsl(r.content.decode())) for r in self.requests if "graphql" in r.url.path]

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]


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
    assert speech.url == "https://www.metacareers.com/profile/job_details/1187664320150442/"
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
        (b'{"data": {"viewer": {}}}',
         "no job_search_with_featured_jobs_v2, job_search_with_featured_jobs or job_search in data (keys: viewer)"),
        (b'{"data": {"job_search": 3}}', "job_search should be a list or an object, got int"),
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


async def test_scrape_page_bundles_search_filter_and_details(labs):
    site = MetaSite()
    postings, ctx = await run(lab(labs, queries=["speech", "audio"]), site)
    page, common, careers, *rest = site.requests
    # The search page as a browser opens it: navigation headers, no Origin or Referer, our User-Agent.
    assert (page.method, str(page.url)) == ("GET", f"{BASE}/jobsearch/")
    assert page.headers["sec-fetch-mode"] == "navigate" and page.headers["accept"].startswith("text/html")
    assert "origin" not in page.headers and "referer" not in page.headers
    assert page.headers["user-agent"].startswith("asr-jobs/")
    assert [str(r.url) for r in (common, careers)] == [sample.COMMON_BUNDLE, sample.CAREERS_BUNDLE]
    searches = [r for r in rest if r.url.path == "/api/graphql/"]
    assert [(r.method, str(r.url)) for r in searches] == [("POST", GRAPHQL)] * 2
    # The search with the lab's headers from labs.toml under the call's own.
    for request in searches:
        assert request.headers["x-fb-lsd"] == LSD and request.headers["origin"] == BASE
        assert request.headers["referer"] == f"{BASE}/jobsearch/" and request.headers["sec-fetch-mode"] == "cors"
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        assert request.headers["user-agent"].startswith("asr-jobs/")
    first, second = site.forms()
    assert first | {"variables": ""} == {"lsd": LSD, "__a": "1", "fb_api_caller_class": "RelayModern",
                                        "fb_api_req_friendly_name": "CareersJobSearchResultsV2DataQuery",
                                        "server_timestamps": "true", "variables": "", "doc_id": CURRENT}
    assert json.loads(first["variables"]) == {"search_input": {
        "q": "speech", "divisions": [], "offices": [], "roles": [], "leadership_levels": [], "saved_jobs": [],
        "saved_searches": [], "sub_teams": [], "teams": [], "is_leadership": False, "is_remote_only": False,
        "sort_by_new": True, "results_per_page": None}, "viewasUserID": None, "isLoggedIn": False}
    assert json.loads(second["variables"])["search_input"]["q"] == "audio"
    # Both queries find the same jobs: merged, filtered to research teams, then one page per kept job.
    pages = [str(r.url) for r in site.requests if "job_details" in r.url.path]
    assert pages == [f"{BASE}/profile/job_details/{SPEECH_ID}/", f"{BASE}/profile/job_details/{INTERN_ID}/"]
    speech, intern = postings
    assert speech.title == "Research Scientist, Speech & Audio (FAIR)"
    assert speech.location == "Menlo Park, CA; New York, NY; Paris, France"  # the search lists every office
    assert speech.team == "AI Research, Artificial Intelligence, Research"
    assert speech.description.startswith("Meta's Fundamental AI Research (FAIR) team advances")
    assert speech.salary_max == 242000 and speech.employment_type == "full-time"
    assert intern.description == "Intern text." and intern.employment_type == "intern"
    assert not ctx.partial and ctx.warnings == []
    assert ctx.state == {STATE_KEY: CURRENT}  # kept for the next run


async def test_a_kept_doc_id_is_used_without_reading_the_bundles(labs):
    site = MetaSite(known=(OLD,))
    _, ctx = await run(lab(labs, queries=["speech"]), site, state={STATE_KEY: OLD})
    assert not [p for p in site.paths() if p.endswith(".js")]
    assert [f["doc_id"] for f in site.forms()] == [OLD] and ctx.state == {STATE_KEY: OLD}


async def test_a_kept_doc_id_that_fails_is_replaced_by_the_one_in_the_bundles(labs):
    site = MetaSite()
    postings, ctx = await run(lab(labs, queries=["speech"]), site, state={STATE_KEY: OLD})
    assert [f["doc_id"] for f in site.forms()] == [OLD, CURRENT]
    assert [p for p in site.paths() if p.endswith(".js")] == [urlsplit(sample.COMMON_BUNDLE).path,
                                                              urlsplit(sample.CAREERS_BUNDLE).path]
    assert ctx.state == {STATE_KEY: CURRENT} and len(postings) == 2


async def test_the_configured_doc_id_is_the_fallback(labs):
    site = MetaSite(bundle_id=None, known=(OLD,))
    params = {**labs["meta-fair"].params, "doc_id": OLD}
    postings, ctx = await run(lab(labs, queries=["speech"], params=params), site)
    assert [f["doc_id"] for f in site.forms()] == [OLD] and len(postings) == 2
    assert ctx.state == {STATE_KEY: OLD}
    assert ctx.warnings == ["no CareersJobSearchResultsV2DataQuery id in the 2 JS bundle(s) of the search page: "
                            "using the configured doc_id"]


async def test_no_doc_id_the_search_knows_is_a_config_error_naming_the_setting(labs):
    site = MetaSite(bundle_id=CONFIGURED, known=())
    params = {**labs["meta-fair"].params, "doc_id": OLD}
    with pytest.raises(ScrapeError) as err:
        await run(lab(labs, queries=["speech"], params=params), site, state={STATE_KEY: "1" * 16})
    assert err.value.kind == "config"
    text = str(err.value)
    assert text.startswith(f"meta-fair: the job search knows none of the doc_ids tried ({'1' * 16}, {CONFIGURED}, {OLD})")
    assert "PersistedQueryNotFound" in text and "set params.doc_id of [labs.meta-fair]" in text
    assert text.endswith(f"({GRAPHQL})")


async def test_a_throttled_search_is_throttled_not_a_rotated_id(labs):
    site = MetaSite(search={"": THROTTLED}, known=(OLD,))
    with pytest.raises(ScrapeError) as err:
        await run(lab(labs, queries=["speech"]), site, state={STATE_KEY: OLD})
    assert err.value.kind == "throttled"
    assert str(err.value) == (f"meta-fair: Meta throttled the job search (error 1675004: Rate limit exceeded); the lab "
                              f"is tried again on the next run, its postings kept ({GRAPHQL})")
    # No other id tried, no bundles read: throttling says nothing about the id.
    assert [f["doc_id"] for f in site.forms()] == [OLD] and not [p for p in site.paths() if p.endswith(".js")]


def test_throttling_by_message_in_the_older_error_shape(labs):
    with pytest.raises(ScrapeError) as err:
        meta.parse(b'for (;;);{"error": 1675004, "errorSummary": "Too many requests"}', labs["meta-fair"], GRAPHQL)
    assert err.value.kind == "throttled"


def test_flat_job_search_answer(labs):
    body = json.dumps({"data": {"job_search": [
        {"id": "77", "title": "Research Scientist, Speech", "locations": ["Paris, France"], "teams": ["AI Research"]}]}})
    (posting,) = meta.parse(body, labs["meta-fair"], GRAPHQL)
    assert (posting.source_id, posting.title, posting.team) == ("77", "Research Scientist, Speech", "AI Research")
    assert meta.detect(json.loads(body))


async def test_the_older_permalink_answers_when_the_newer_page_is_not_found(labs):
    site = MetaSite(pages={SPEECH_ID: fixture_bytes("meta_job.html").decode()},
                    older={INTERN_ID: job_page("x", "Intern text.")})
    postings, ctx = await run(lab(labs, queries=["speech"]), site)
    assert [p.description for p in postings][1] == "Intern text."
    assert [p for p in site.paths() if p.endswith(f"{INTERN_ID}/")] == [f"/profile/job_details/{INTERN_ID}/",
                                                                          f"/jobs/{INTERN_ID}/"]
    assert ctx.gone_ids == {} and ctx.warnings == []


async def test_a_listed_job_whose_pages_are_not_found_is_never_gone(labs):
    site = MetaSite(pages={INTERN_ID: job_page("x", "Intern text.")})
    stored = Posting(lab="meta-fair", source_id=SPEECH_ID, title="Research Scientist", url="u", description="stored")
    postings, ctx = await run(lab(labs, queries=["speech"]), site, previous={SPEECH_ID: stored})
    assert [p.source_id for p in postings] == [SPEECH_ID, INTERN_ID]
    assert postings[0].description == "stored"  # what was known of it, kept
    assert ctx.gone_ids == {}
    assert ctx.warnings == [f"job {SPEECH_ID} is in the search but its page is not: "
                            f"{BASE}/profile/job_details/{SPEECH_ID}/ (HTTP 404), {BASE}/jobs/{SPEECH_ID}/ (HTTP 404); "
                            "kept with what was known of it"]


async def test_unchanged_postings_get_no_page_request(labs):
    listed = meta.parse(fixture_bytes("meta_graphql.json"), labs["meta-fair"], GRAPHQL)
    stored = Posting(lab="meta-fair", source_id=SPEECH_ID, title=listed[0].title, url=listed[0].url,
                     description="stored description")
    site = MetaSite()
    postings, _ = await run(lab(labs, queries=["speech"]), site, previous={SPEECH_ID: stored},
                            previous_keys={SPEECH_ID: listed[0].extra["listing_key"]})
    assert [p.description for p in postings] == ["stored description", "Intern text."]
    assert [p for p in site.paths() if "job_details" in p] == [f"/profile/job_details/{INTERN_ID}/"]


async def test_waf_on_a_job_page_is_named(labs):
    with pytest.raises(ScrapeError) as err:
        await run(lab(labs, queries=["speech"]), MetaSite(page_status=400))
    assert str(err.value).startswith("meta-fair: HTTP 400") and "Meta's WAF refused the request" in str(err.value)
    assert err.value.kind == "firewall"
    assert str(err.value).endswith((f"({BASE}/profile/job_details/{SPEECH_ID}/)",
                                    f"({BASE}/profile/job_details/{INTERN_ID}/)"))


async def test_waf_400_on_the_search_names_lab_url_and_headers(labs):
    site = MetaSite(search={"": b'<html><body>Error 400</body></html>'}, search_status=400)
    with pytest.raises(ScrapeError) as err:
        await run(lab(labs, queries=["speech"]), site)
    text = str(err.value)
    assert text.startswith("meta-fair: HTTP 400") and "Meta's WAF refused the request" in text
    assert "the lab's headers in labs.toml" in text and text.endswith(f"({GRAPHQL})") and err.value.kind == "firewall"


async def test_html_instead_of_json_names_doc_id(labs):
    site = MetaSite(search={"": b"<!DOCTYPE html><html><title>Meta</title></html>"})
    with pytest.raises(ParseError) as err:
        await run(lab(labs, queries=["speech"]), site)
    assert "got HTML where the job search JSON was expected" in str(err.value)
    assert "doc_id may have rotated" in str(err.value) and GRAPHQL in str(err.value)


async def test_missing_lsd_token(labs):
    with pytest.raises(ParseError) as err:
        await run(lab(labs, queries=["speech"]), MetaSite(page="<html><body>Log in</body></html>"))
    assert str(err.value).startswith("meta-fair: no lsd token in the search page")
    assert str(err.value).endswith("(https://www.metacareers.com/jobsearch/)")


async def test_job_page_without_json_ld_is_an_error(labs):
    site = MetaSite(pages={SPEECH_ID: "<html><body>Log in to continue</body></html>", INTERN_ID: job_page("x", "y")})
    with pytest.raises(ParseError) as err:
        await run(lab(labs, queries=["speech"]), site)
    assert "no JobPosting JSON-LD in the job page" in str(err.value)
    assert f"{BASE}/profile/job_details/{SPEECH_ID}/" in str(err.value)


async def test_params_base_url_path_and_doc_id(labs):
    params = {"doc_id": "29615178951461218", "base_url": "http://mirror.test", "graphql_path": "/graphql"}
    site = MetaSite(search={"": graphql_answer([])}, bundle_id=None, known=("29615178951461218",))
    postings, _ = await run(lab(labs, queries=["speech"], params=params), site)
    assert postings == []
    # The bundles are asked of the mirror too.
    assert [str(r.url) for r in site.requests] == [
        "http://mirror.test/jobsearch/", "http://mirror.test" + urlsplit(sample.COMMON_BUNDLE).path,
        "http://mirror.test" + urlsplit(sample.CAREERS_BUNDLE).path, "http://mirror.test/graphql"]
    assert site.forms()[0]["doc_id"] == "29615178951461218"


def test_bundle_urls_in_both_forms_and_the_module_id():
    page = ('<script src="https://static.xx.fbcdn.net/rsrc.php/v4/yA/r/a.js"></script>'
            '{"src":"https:\\/\\/static.xx.fbcdn.net\\/rsrc.php\\/v4\\/yB\\/l\\/en_US\\/b.js"}'
            '<script src="https://static.xx.fbcdn.net/rsrc.php/v4/yA/r/a.js"></script>')
    assert meta.bundle_urls(page) == ["https://static.xx.fbcdn.net/rsrc.php/v4/yA/r/a.js",
                                      "https://static.xx.fbcdn.net/rsrc.php/v4/yB/l/en_US/b.js"]
    assert meta.find_doc_id(bundle(CURRENT), "CareersJobSearchResultsV2DataQuery") == CURRENT
    assert meta.find_doc_id(bundle(CURRENT), "CareersJobSearchResultsDataQuery") is None


async def test_probe_is_the_page_and_one_search(labs):
    site = MetaSite(known=(OLD,))
    async with Fetcher(httpx.MockTransport(site), retry=RetryPolicy(attempts=1)) as fetcher:
        count = await meta.probe(LabContext(lab(labs), fetcher, state={STATE_KEY: OLD}))
    assert count == 4 and site.paths() == ["/jobsearch/", "/api/graphql/"]


async def test_the_doc_id_is_kept_in_the_database_between_runs(labs):
    db = store.open_db(None)
    site = MetaSite()
    chosen = lab(labs, queries=["speech"])
    first, = await scrape_labs(db, [chosen], transport=httpx.MockTransport(site), http_cache=False)
    assert first.status == "ok" and lab_state.load(db, "meta-fair") == {STATE_KEY: CURRENT}
    bundles_read = len([p for p in site.paths() if p.endswith(".js")])
    second, = await scrape_labs(db, [chosen], transport=httpx.MockTransport(site), http_cache=False)
    assert second.status == "ok" and bundles_read == 2
    assert len([p for p in site.paths() if p.endswith(".js")]) == 2  # none read the second time


async def test_demo_recording_replays(labs):
    transport = ReplayTransport.from_files(HERE.parent / "asr_jobs" / "demo" / "meta-fair.har")
    async with Fetcher(transport) as fetcher:
        ctx = LabContext(lab(labs), fetcher)
        postings = await meta.scrape(ctx)
    titles = [p.title for p in postings]
    assert "Research Scientist, Speech and Audio (FAIR)" in titles
    assert all(p.description for p in postings) and not ctx.partial and ctx.warnings == []
    assert len(postings) == 3 and ctx.state == {STATE_KEY: sample.DOC_ID}
