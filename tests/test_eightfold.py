import dataclasses
import json
from pathlib import Path

import httpx
import pytest

from asr_jobs.models import ParseError, Politeness, Posting, ScrapeError
from asr_jobs.samplesites import eightfold as sample_eightfold
from asr_jobs.samplesites.transport import routes_transport
from asr_jobs.scrapers.adapters import eightfold
from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy
from asr_jobs.scrapers.har import ReplayTransport, load_har

from .conftest import fixture_bytes, real_sample

MS = "https://apply.careers.microsoft.com"
SEARCH = MS + "/api/pcsx/search"
DEMO = Path(__file__).resolve().parent.parent / "asr_jobs" / "demo"


def fast(lab, **changes):
    """The lab without its politeness delays, so tests do not sleep."""
    return dataclasses.replace(lab, politeness=Politeness(4, 0.0), **changes)


def position(pid: int, name: str, department: str = "Research Sciences", posted: int = 1792656000) -> dict:
    return {"id": pid, "displayJobId": str(200000000 + pid % 100000), "name": name,
            "locations": ["United States, Washington, Redmond"], "standardizedLocations": ["Redmond, WA, US"],
            "postedTs": posted, "solrScore": None, "stars": 0, "department": department, "creationTs": posted - 86400,
            "isHot": 0, "workLocationOption": "onsite", "locationFlexibility": None, "atsJobId": str(pid),
            "positionUrl": f"/careers/job/{pid}"}


class SamplePcsx:
    """The sample Eightfold PCSX site (asr_jobs.samplesites.eightfold) serving these positions, and the requests it got."""

    def __init__(self, searches: dict[str, list[dict]], gone: tuple[int, ...] = ()):
        self.searches = searches
        self.details: dict[str, dict | None] = {str(p["id"]): None if p["id"] in gone else detail_of(p)
                                                for items in searches.values() for p in items}
        self.requests: list[httpx.Request] = []

    def transport(self, lab) -> httpx.MockTransport:
        """The site at the lab's address."""
        routes = sample_eightfold.search_routes(lab, "", self.searches) | sample_eightfold.detail_routes(lab, "", self.details)
        return routes_transport(routes, self.requests)

    def searched(self) -> list[tuple[str, str]]:
        return [(r.url.params["query"], r.url.params["start"]) for r in self.requests if r.url.path.endswith("/search")]

    def detailed(self) -> list[str]:
        return [r.url.params["position_id"] for r in self.requests if r.url.path.endswith("/position_details")]


def detail_of(found: dict) -> dict:
    """The position_details answer of a search result."""
    detail = dict(found, jobDescription=f"<p>About {found['name']}.</p>", solrScore=None,
                  publicUrl=f"{MS}/careers/job/{found['id']}", efcustomTextEmploymentType=["Full-Time"])
    return {"status": 200, "data": detail}


async def run(lab, fake: SamplePcsx, **ctx_args) -> tuple[list[Posting], LabContext]:
    async with Fetcher(fake.transport(lab)) as fetcher:
        ctx = LabContext(lab, fetcher, **ctx_args)
        return await eightfold.scrape(ctx), ctx


# --- parse: own fixtures


def test_parse_search_page_fields(labs):
    intern, scientist, engineer = eightfold.parse(fixture_bytes("eightfold_search.json"), labs["microsoft-research"], SEARCH)
    assert intern.source_id == "1970393557104412"
    assert intern.title == "Research Intern - Speech and Audio Foundation Models"
    assert intern.location == "United States, Washington, Redmond; United Kingdom, Cambridge, Cambridge"
    assert intern.team == "Research Sciences"
    assert intern.workplace == "onsite" and intern.employment_type == "intern"
    assert intern.posted_at == "2026-10-22T08:00:00+00:00"
    assert intern.url == "https://apply.careers.microsoft.com/careers/job/1970393557104412"
    assert intern.description == "" and intern.extra == {"display_job_id": "200061877"}
    assert scientist.title == "Principal Applied Scientist – Speech Recognition"
    assert scientist.location == "Canada, Québec, Montréal" and scientist.workplace == "hybrid"
    assert scientist.employment_type == "" and scientist.team == "Applied Sciences"
    assert engineer.location == "US" and engineer.workplace == "remote"  # empty `locations`: standardized ones


def test_parse_position_details(labs):
    url = MS + "/api/pcsx/position_details?position_id=1970393557104412&domain=microsoft.com&hl=en"
    (posting,) = eightfold.parse(fixture_bytes("eightfold_position_details.json"), labs["microsoft-research"], url)
    assert posting.source_id == "1970393557104412" and posting.employment_type == "intern"
    assert posting.url == "https://apply.careers.microsoft.com/careers/job/1970393557104412"
    assert posting.description.splitlines()[:4] == [
        "Overview",
        "Microsoft Research is looking for research interns to advance speech and audio foundation models: "
        "recognition, translation and generation in one model.",
        "",
        "Responsibilities",
    ]
    assert "- Research self-supervised speech representations and speech-text alignment." in posting.description
    assert "- Publish at Interspeech, ICASSP & NeurIPS." in posting.description
    assert "Research Interns in the U.S. are paid USD $6,710 - $13,270 per month." in posting.description
    assert "<" not in posting.description and "&amp;" not in posting.description


def test_parse_older_apply_v2_page(labs):
    body = {"domain": "jhu.edu", "count": 1, "positions": [{
        "id": 7401, "name": "Research Scientist - HLTCOE", "posting_name": "Research Scientist - HLTCOE",
        "location": "Baltimore, MD", "locations": ["Baltimore, MD"], "department": "HLTCOE", "t_create": 1792656000,
        "t_update": 1792742400, "display_job_id": "121004", "job_description": "<p>Speech translation research.</p>",
        "work_location_option": "hybrid", "canonicalPositionUrl": "https://jhu.eightfold.ai/careers/job/7401"}]}
    (posting,) = eightfold.parse(json.dumps(body), labs["jhu-clsp"], "https://jhu.eightfold.ai/api/apply/v2/jobs")
    assert posting.source_id == "7401" and posting.title == "Research Scientist - HLTCOE"
    assert posting.url == "https://jhu.eightfold.ai/careers/job/7401" and posting.workplace == "hybrid"
    assert posting.posted_at == "2026-10-22T08:00:00+00:00" and posting.updated_at == "2026-10-23T08:00:00+00:00"
    assert posting.description == "Speech translation research." and posting.team == "HLTCOE"


@pytest.mark.parametrize("body, error, message", [
    (b'{"message": "Not authorized for PCSX"}', ScrapeError,
     "Eightfold refused the request (status None): Not authorized for PCSX; this tenant may only offer"),
    (b'{"status": 500, "error": {"message": "Internal error", "body": ""}, "data": null}', ScrapeError,
     "Eightfold refused the request (status 500): Internal error"),
    (b"<!DOCTYPE html><html><title>Access denied</title></html>", ParseError, "HTML where JSON was expected"),
    (b'{"status": 200, "data": {"positions": {"id": 1}}}', ParseError, "'positions' should be list"),
    (b'{"status": 200, "data": {"positions": [{"id": 1}], "count": 1}}', ParseError, "positions[0] has no 'name' text"),
    (b'{"status": 200, "data": {"positions": [{"name": "A"}], "count": 1}}', ParseError, "positions[0] has no 'id'"),
    (b'{"status": 200, "data": {"filterDef": {}}}', ParseError, "expected PCSX search results"),
    (b'[1, 2]', ParseError, "expected a PCSX envelope object, got list"),
])
def test_bad_bodies_name_lab_url_and_cause(labs, body, error, message):
    url = SEARCH + "?domain=microsoft.com&query=speech&start=0&sort_by=timestamp"
    with pytest.raises(error) as err:
        eightfold.parse(body, labs["microsoft-research"], url)
    text = str(err.value)
    assert message in text and text.startswith("microsoft-research:") and url in text


def test_detect():
    assert eightfold.detect({}, SEARCH + "?domain=microsoft.com")
    assert eightfold.detect(json.loads(fixture_bytes("eightfold_search.json")), "")
    assert eightfold.detect(json.loads(fixture_bytes("eightfold_position_details.json")), "")
    assert not eightfold.detect({"jobs": []}, "https://api.ashbyhq.com/posting-api/job-board/openai")


# --- scrape through a fake site


async def test_scrape_pages_by_start_and_fetches_details(labs):
    items = [position(1970393557100000 + n, f"Research Intern - Speech {n}", posted=1792656000 - n) for n in range(23)]
    fake = SamplePcsx({"speech recognition": items})
    postings, ctx = await run(fast(labs["microsoft-research"], queries=["speech recognition"]), fake)
    assert [str(r.url) for r in fake.requests[:3]] == [
        f"{SEARCH}?domain=microsoft.com&query=speech+recognition&start={start}&sort_by=timestamp" for start in (0, 10, 20)]
    assert all(r.method == "GET" for r in fake.requests)
    assert str(fake.requests[3].url) == (f"{MS}/api/pcsx/position_details?position_id=1970393557100000"
                                         "&domain=microsoft.com&hl=en")
    assert fake.detailed() == [str(p["id"]) for p in items]
    assert len(postings) == 23 and postings[0].description == "About Research Intern - Speech 0."
    assert postings[0].employment_type == "intern" and postings[0].extra["listing_key"] == eightfold.listing_key(items[0])
    assert ctx.stats.requests == 26 and not ctx.partial and not ctx.warnings


async def test_a_count_ending_on_a_full_page_is_confirmed_by_the_empty_page_after_it(labs):
    fake = SamplePcsx({"speech": [position(n, f"Scientist {n}") for n in range(20)]})
    postings, ctx = await run(fast(labs["microsoft-research"], queries=["speech"]), fake)
    assert fake.searched() == [("speech", "0"), ("speech", "10"), ("speech", "20")]  # the third page: empty
    assert len(postings) == 20 and not ctx.partial


async def test_scrape_merges_queries_without_duplicates(labs):
    a, b, c = position(1, "Speech Scientist"), position(2, "Audio Researcher"), position(3, "Research Intern")
    fake = SamplePcsx({"speech recognition": [a, b], "speech research": [b, c], "audio research": [c, a],
                     "research scientist speech": []})
    postings, _ = await run(fast(labs["microsoft-research"]), fake)
    assert [p.source_id for p in postings] == ["1", "2", "3"]
    assert [q for q, _ in fake.searched()] == ["speech recognition", "speech research", "audio research",
                                               "research scientist speech"]
    assert fake.detailed() == ["1", "2", "3"]


async def test_scrape_skips_details_of_unchanged_positions(labs):
    a, b = position(1, "Speech Scientist"), position(2, "Audio Researcher")
    stored = Posting(lab="microsoft-research", source_id="1", title="Speech Scientist", url="u", description="Stored.",
                     extra={"listing_key": eightfold.listing_key(a)})
    fake = SamplePcsx({"speech": [a, b]})
    postings, _ = await run(fast(labs["microsoft-research"], queries=["speech"]), fake,
                            previous={"1": stored}, previous_keys={"1": eightfold.listing_key(a)})
    assert fake.detailed() == ["2"]
    assert postings[0] is stored and postings[1].description == "About Audio Researcher."


async def test_reposted_position_is_fetched_again(labs):
    a = position(1, "Speech Scientist", posted=1792656000)
    stored = Posting(lab="microsoft-research", source_id="1", title="Speech Scientist", url="u")
    old_key = eightfold.listing_key(dict(a, postedTs=1790000000))
    fake = SamplePcsx({"speech": [a]})
    await run(fast(labs["microsoft-research"], queries=["speech"]), fake, previous={"1": stored},
              previous_keys={"1": old_key})
    assert fake.detailed() == ["1"]


async def test_max_details_cap(labs):
    changed, new1, new2 = position(1, "Changed"), position(2, "New One"), position(3, "New Two")
    stored = Posting(lab="microsoft-research", source_id="1", title="Changed", url="u", description="Old.",
                     extra={"listing_key": "old"})
    fake = SamplePcsx({"speech": [changed, new1, new2]})
    postings, ctx = await run(fast(labs["microsoft-research"], queries=["speech"], max_details=1), fake,
                              previous={"1": stored}, previous_keys={"1": "old"})
    assert fake.detailed() == ["2"] and ctx.partial
    assert "3 postings need a detail request; fetched 1 (max_details)" in ctx.warnings[0]
    assert postings[0] is stored and postings[1].description == "About New One." and postings[2].description == ""


async def test_page_cap_warns_and_marks_partial(labs):
    items = [position(n, f"Scientist {n}") for n in range(35)]
    lab = fast(labs["jhu-clsp"], queries=["speech"], params=dict(labs["jhu-clsp"].params, max_pages=2))
    postings, ctx = await run(lab, SamplePcsx({"speech": items}))
    assert len(postings) == 20 and ctx.partial
    assert "query 'speech': stopped after 2 pages (20 of 35 positions); raise params.max_pages" in ctx.warnings[0]


async def test_gone_position_is_left_out(labs):
    a, b = position(1, "Speech Scientist"), position(2, "Audio Researcher")
    postings, ctx = await run(fast(labs["microsoft-research"], queries=["speech"]), SamplePcsx({"speech": [a, b]}, gone=(2,)))
    assert [p.source_id for p in postings] == ["1"]
    assert "'Audio Researcher' was listed but its details are gone" in ctx.warnings[0]


async def test_not_authorized_for_pcsx_is_a_clear_error(labs):
    transport = httpx.MockTransport(lambda r: httpx.Response(403, json={"message": "Not authorized for PCSX"}))
    async with Fetcher(transport) as fetcher:
        with pytest.raises(ScrapeError) as err:
            await eightfold.scrape(LabContext(fast(labs["jhu-clsp"], queries=["speech"]), fetcher))
    text = str(err.value)
    assert text.startswith("jhu-clsp: Eightfold refused the request (status 403): Not authorized for PCSX")
    assert "older /api/apply/v2/jobs interface" in text
    assert "https://hiring.jhu.edu/api/pcsx/search?domain=jhu.edu&query=speech&start=0&sort_by=timestamp" in text
    assert err.value.status == 403


async def test_base_url_override_changes_api_host_only(labs):
    fake = SamplePcsx({"speech": [position(5, "Speech Scientist")]})
    lab = fast(labs["jhu-clsp"], queries=["speech"], params=dict(labs["jhu-clsp"].params, base_url="http://127.0.0.1:8077/"))
    (posting,) = (await run(lab, fake))[0]
    assert [str(r.url) for r in fake.requests] == [
        "http://127.0.0.1:8077/api/pcsx/search?domain=jhu.edu&query=speech&start=0&sort_by=timestamp",
        "http://127.0.0.1:8077/api/pcsx/position_details?position_id=5&domain=jhu.edu&hl=en"]
    assert posting.url == f"{MS}/careers/job/5"  # the details' publicUrl
    lab_only = eightfold.parse(json.dumps({"status": 200, "data": {"positions": [position(5, "S")], "count": 1}}),
                               lab, "http://127.0.0.1:8077/api/pcsx/search")
    assert lab_only[0].url == "https://hiring.jhu.edu/careers/job/5"


# --- the registry entries


def test_registry_entries_point_at_the_live_sites(labs):
    msr, jhu = labs["microsoft-research"], labs["jhu-clsp"]
    assert eightfold.search_url(msr, "speech recognition", 10) == (
        f"{SEARCH}?domain=microsoft.com&query=speech+recognition&start=10&sort_by=timestamp")
    assert eightfold.detail_url(jhu, "42") == "https://hiring.jhu.edu/api/pcsx/position_details?position_id=42&domain=jhu.edu&hl=en"
    for lab in (msr, jhu):
        assert lab.adapter == "eightfold" and lab.queries
        assert lab.politeness == Politeness(1, 1.0)  # Eightfold allows about 100 requests a minute


def test_lab_filters(labs):
    def posting(lab, title, team="", description=""):
        return Posting(lab=lab, source_id="1", title=title, url="u", team=team, description=description)

    msr = labs["microsoft-research"]
    assert msr.keep(posting("microsoft-research", "Research Intern - Speech", "Research Sciences"))
    assert msr.keep(posting("microsoft-research", "Senior Applied Scientist - Speech", "Applied Sciences"))
    assert not msr.keep(posting("microsoft-research", "Software Engineer II - Teams Audio", "Software Engineering"))
    jhu = labs["jhu-clsp"]
    assert jhu.keep(posting("jhu-clsp", "Assistant Research Scientist",
                            description="Join the Center for Language and Speech Processing (CLSP)."))
    assert jhu.keep(posting("jhu-clsp", "Research Engineer - HLTCOE", description="Work on speech recognition."))
    assert not jhu.keep(posting("jhu-clsp", "Speech-Language Pathologist", "Otolaryngology",
                                "Provide speech-language therapy and swallowing evaluations."))


# --- real captures (skipped when ../shared is absent)


def test_real_search_page(labs):
    body = real_sample("microsoft-pcsx-search__pedrocamargolince-opportunity-radar.json").read_bytes()
    postings = eightfold.parse(body, labs["microsoft-research"], SEARCH)
    assert len(postings) == 4
    msr = postings[3]
    assert msr.source_id == "1970393557022480"
    assert msr.title == "Research Intern - Security Research Group, Microsoft Research Redmond"
    assert msr.team == "Research Sciences" and msr.location == "United States, Washington, Redmond"
    assert msr.posted_at == "2026-10-01T20:55:14+00:00" and msr.employment_type == "intern"
    assert msr.url == "https://apply.careers.microsoft.com/careers/job/1970393557022480"
    assert msr.extra == {"display_job_id": "200059346"}
    assert postings[0].title == "Software Engineer: Fullstack Product (Web + Services) Intern Opportunities for University Students,"


def test_real_search_page_with_filterdef(labs):
    body = real_sample("microsoft-pcsx-search-with-filterdef__jashanjodhb-jobwatch.json").read_bytes()
    postings = eightfold.parse(body, labs["microsoft-research"], SEARCH)
    assert [p.source_id for p in postings] == ["1970393556641091", "1970393556859421", "1970393556944773",
                                               "1970393556867858"]
    assert postings[0].title == "Research Sciences INTERN" and postings[0].location == "India, Multiple Locations, Multiple Locations"
    assert postings[1].location == "Canada, Québec, Quebec City"
    assert postings[3].location == "United States, Massachusetts, Cambridge; United States, New York, New York"
    assert postings[3].team == "Applied Sciences"


def test_real_position_details(labs):
    body = real_sample("microsoft-pcsx-position-details__rahul-k-r-jobwatch-bot.json").read_bytes()
    (posting,) = eightfold.parse(body, labs["microsoft-research"], MS + "/api/pcsx/position_details?position_id=1970393557006899")
    assert posting.source_id == "1970393557006899" and posting.title == "Software Engineer II - Operating Systems"
    assert posting.employment_type == "full-time" and posting.workplace == "onsite"
    assert posting.posted_at == "2026-09-25T21:54:28+00:00"
    assert posting.url == "https://apply.careers.microsoft.com/careers/job/1970393557006899"
    lines = posting.description.splitlines()
    assert lines[0] == "Overview" and "Responsibilities" in lines and "Required Qualifications" in lines
    assert "- System programming experience." in lines
    assert "The typical base pay range for this role across the U.S. is USD $102,100 - $202,200 per year." in posting.description


def test_real_older_apply_v2_page(labs):
    body = real_sample("eightfold-apply-v2-jobs-trimmed__konstantinosanagn-ergon-fcx.json").read_bytes()
    postings = eightfold.parse(body, labs["jhu-clsp"], "https://fcx.eightfold.ai/api/apply/v2/jobs?domain=fcx.com")
    assert [p.source_id for p in postings] == ["42478672", "42477103", "42475929"]
    first = postings[0]
    assert first.title == "Manager Engineering - Electrical" and first.location == "New Orleans, LA USA 70112"
    assert first.url == "https://talent.fmjobs.com/careers/job/42478672" and first.team == "Engineering Services"
    assert first.posted_at == "2026-06-17T01:48:12+00:00" and first.updated_at == "2026-06-17T15:54:57+00:00"
    assert first.extra == {"display_job_id": "144860"} and first.workplace == "onsite" and first.description == ""


# --- the bundled demo recordings


@pytest.mark.parametrize("lab_name, expected, unrequested", [
    # Microsoft's team filter reads the department of a search result: the Teams Audio engineering role
    # (department "Software Engineering") is dropped before its detail is requested.
    ("microsoft-research", {"1970393557104412": "Research Intern - Speech and Audio Foundation Models",
                            "1970393557098230": "Principal Applied Scientist – Speech Recognition",
                            "1970393557091187": "Senior Researcher - Spoken Language Understanding"}, 1),
    ("jhu-clsp", {"1133914568311": "Assistant Research Scientist - Center for Language and Speech Processing",
                  "1133914568297": "Research Engineer - Human Language Technology Center of Excellence",
                  "1133914568245": "Speech-Language Pathologist - Otolaryngology"}, 0),
])
async def test_demo_recording_replays(labs, lab_name, expected, unrequested):
    har = DEMO / f"{lab_name}.har"
    async with Fetcher(ReplayTransport.from_files(har)) as fetcher:
        ctx = LabContext(fast(labs[lab_name]), fetcher)
        postings = await eightfold.scrape(ctx)
    assert {p.source_id: p.title for p in postings} == expected
    assert ctx.stats.requests == len(load_har(har)) - unrequested and not ctx.warnings
    assert all(p.description and p.posted_at and p.url.startswith("https://") for p in postings)
    kept = [p.title for p in postings if labs[lab_name].keep(p)]
    # JHU's text filter needs the description: the unrelated sample role is dropped after its detail.
    assert len(kept) == len(postings) - 1 + unrequested


# --- session bootstrap (429/403) and the firewall

CAREERS = MS + "/careers?hl=en"
CAREERS_PAGE = ('<html><head><meta name="_csrf" content="tok-123"><title>Careers</title></head>'
                "<body><div id='root'></div></body></html>")


class Guarded:
    """PCSX behind a session check: the API answers `refusal` until a request carries the careers page's token."""

    def __init__(self, refusal: int, labs, *, token_page: str = CAREERS_PAGE, always: bool = False):
        hits = [position(1, "Principal Researcher, Speech")]
        self.site = SamplePcsx({"speech": hits})
        self.inner = self.site.transport(fast(labs["microsoft-research"], queries=["speech"]))
        self.refusal, self.token_page, self.always = refusal, token_page, always
        self.requests: list[httpx.Request] = []

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        if request.url.path == "/careers":
            return httpx.Response(200, text=self.token_page, headers={"content-type": "text/html"})
        if self.always or request.headers.get("x-csrf-token") != "tok-123":
            return httpx.Response(self.refusal, text="<html>Access denied</html>")
        return await self.inner.handle_async_request(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


async def test_a_429_bootstraps_a_session_once_and_asks_again_with_the_token(labs):
    guarded = Guarded(429, labs)
    lab = fast(labs["microsoft-research"], queries=["speech"])
    async with Fetcher(guarded.transport()) as fetcher:
        ctx = LabContext(lab, fetcher)
        postings = await eightfold.scrape(ctx)
    paths = [r.url.path for r in guarded.requests]
    assert paths == ["/api/pcsx/search", "/robots.txt", "/careers", "/api/pcsx/search", "/api/pcsx/position_details"]
    search, _, careers, again, detail = guarded.requests
    assert str(careers.url) == CAREERS and careers.headers["accept"].startswith("text/html")
    assert search.headers["referer"] == CAREERS and "x-csrf-token" not in search.headers
    assert again.headers["x-csrf-token"] == "tok-123" and again.headers["referer"] == CAREERS
    assert detail.headers["x-csrf-token"] == "tok-123"  # the session is kept for the rest of the run
    assert [p.title for p in postings] == ["Principal Researcher, Speech"] and not ctx.partial


async def test_a_403_that_persists_after_the_bootstrap_is_the_labs_error(labs):
    guarded = Guarded(403, labs, always=True)
    async with Fetcher(guarded.transport()) as fetcher:
        with pytest.raises(ScrapeError) as err:
            await eightfold.scrape(LabContext(fast(labs["microsoft-research"], queries=["speech"]), fetcher))
    assert err.value.status == 403 and "HTTP 403" in str(err.value)
    assert [r.url.path for r in guarded.requests].count("/careers") == 1  # bootstrapped once, not per request


async def test_a_careers_page_without_a_token_is_warned_about_and_the_request_asked_again(labs):
    guarded = Guarded(403, labs, token_page="<html><head></head></html>", always=True)
    async with Fetcher(guarded.transport()) as fetcher:
        ctx = LabContext(fast(labs["microsoft-research"], queries=["speech"]), fetcher)
        with pytest.raises(ScrapeError):
            await eightfold.scrape(ctx)
    assert ctx.warnings == [f'microsoft-research: no <meta name="_csrf"> on {CAREERS}: asking again without a token']
    assert [r.url.path for r in guarded.requests][-1] == "/api/pcsx/search"


def waf(request: httpx.Request) -> httpx.Response:
    """AWS WAF's captcha action: 405 with x-amzn-waf-action: captcha (and an interstitial page)."""
    return httpx.Response(405, headers={"x-amzn-waf-action": "captcha", "content-type": "text/html"},
                          text="<html><body>Human verification</body></html>")


async def test_the_firewall_is_reported_as_a_block_not_retried_and_closes_nothing(labs):
    from asr_jobs.db import store
    from asr_jobs.ingest import scrape_labs
    from asr_jobs.samplesites.transport import demo_transport

    db = store.open_db(None)
    lab = fast(labs["microsoft-research"])
    first = await scrape_labs(db, [lab], transport=demo_transport("microsoft-research"), http_cache=False)
    assert first[0].status == "ok" and first[0].saved.new > 0
    seen: list[httpx.Request] = []
    blocked = httpx.MockTransport(lambda request: seen.append(request) or waf(request))
    (outcome,) = await scrape_labs(db, [lab], transport=blocked, http_cache=False)
    assert outcome.failed and "blocked by the site's firewall (HTTP 405, x-amzn-waf-action: captcha)" in outcome.error
    assert len(seen) == len(lab.queries)  # one request per query, none retried: the next run tries again
    assert "closed" not in {row["status"] for row in db["postings"].rows}


async def test_firewall_error_kind(labs):
    async with Fetcher(httpx.MockTransport(waf)) as fetcher:
        with pytest.raises(ScrapeError) as err:
            await eightfold.probe(LabContext(fast(labs["microsoft-research"]), fetcher))
    assert err.value.kind == "firewall" and err.value.status == 405


async def test_probe_reads_one_search_page_and_returns_the_count(labs):
    hits = [position(i, f"Researcher {i}") for i in range(1, 13)]
    site = SamplePcsx({"speech recognition": hits})
    lab = fast(labs["microsoft-research"])
    async with Fetcher(site.transport(lab)) as fetcher:
        assert await eightfold.probe(LabContext(lab, fetcher)) == 12
    assert site.searched() == [("speech recognition", "0")] and site.detailed() == []


async def test_a_careers_page_robots_txt_disallows_is_not_asked_and_the_run_stays_whole(labs):
    guarded = Guarded(429, labs)
    robots_answer = httpx.Response(200, text="User-agent: *\nDisallow: /careers\n")
    handle = guarded.handle

    async def with_robots(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            guarded.requests.append(request)
            return robots_answer
        return await handle(request)

    lab = fast(labs["microsoft-research"], queries=["speech"])
    async with Fetcher(httpx.MockTransport(with_robots), retry=RetryPolicy(attempts=2, scale=0)) as fetcher:
        ctx = LabContext(lab, fetcher)
        with pytest.raises(ScrapeError) as err:  # no token: the API keeps answering 429
            await eightfold.scrape(ctx)
    assert "/careers" not in [r.url.path for r in guarded.requests] and err.value.status == 429
    assert ctx.warnings[0].startswith(f"microsoft-research: skipped {CAREERS}: robots.txt of {MS} disallows it")
    assert not ctx.partial
