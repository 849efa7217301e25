import copy
import json

import httpx
import pytest

from asr_jobs.db import store
from asr_jobs.ingest import scrape_labs
from asr_jobs.models import Lab, ParseError, Politeness, Posting, ScrapeError
from asr_jobs.samplesites import apple as sample_apple
from asr_jobs.samplesites.transport import routes_transport
from asr_jobs.scrapers.adapters import apple
from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy
from asr_jobs.scrapers.har import ReplayTransport

from .conftest import HERE, fixture_bytes, real_sample

BASE = "https://jobs.apple.com"
SEARCH = f"{BASE}/api/v1/search"
TOKEN = "tok-7f3a"


def search_fixture() -> dict:
    return json.loads(fixture_bytes("apple_search.json"))


def detail_fixture() -> dict:
    return json.loads(fixture_bytes("apple_detail.json"))


def row(position: int, title: str = "Engineer", location: str = "Cupertino") -> dict:
    code = "0836" if location == "Cupertino" else f"{sum(map(ord, location)):04d}"  # a row id per location, as Apple's
    return {"id": f"{position}-{code}", "positionId": str(position), "postingTitle": title,
            "transformedPostingTitle": title.lower(), "postDateInGMT": "2026-11-01T10:00:00.000Z",
            "locations": [{"name": location, "countryName": "United States of America"}],
            "team": {"teamName": "Machine Learning and AI"}}


EMPTY = {"res": {"searchResults": [], "totalRecords": 0}}
MLAI = {"teams": [{"team": "teamsAndSubTeams-MLAI"}]}


class AppleSite:
    """The sample jobs.apple.com (asr_jobs.samplesites.apple) with these search pages and details; records requests.

    `zeros` answers the first that many page-1 searches of every query with totalRecords 0, as Apple does to
    about one search in five; `token_status` answers the CSRF handshake with that error status.
    """

    def __init__(self, pages: dict[tuple[str, int], dict], details: dict[str, dict | None] | None = None,
                 token: str | None = TOKEN, zeros: int = 0, token_status: int | None = None):
        self.pages, self.details, self.token = pages, details or {}, token
        self.zeros, self.token_status = zeros, token_status
        self.requests: list[httpx.Request] = []

    def transport(self, lab_: Lab) -> httpx.MockTransport:
        """The site at the lab's address."""
        routes = (sample_apple.token_routes(lab_, "", self.token) | sample_apple.search_routes(lab_, "", self.pages)
                  | sample_apple.detail_routes(lab_, "", self.details))
        answer = routes_transport(routes, self.requests).handler
        asked: dict[str, int] = {}

        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/CSRFToken") and self.token_status:
                self.requests.append(request)
                return httpx.Response(self.token_status, json={"error": "Not Found"})
            if request.url.path.endswith("/search") and json.loads(request.content)["page"] == 1:
                query = json.loads(request.content)["query"]
                asked[query] = asked.get(query, 0) + 1
                if asked[query] <= self.zeros:
                    self.requests.append(request)
                    return httpx.Response(200, json=EMPTY)
            return answer(request)

        return httpx.MockTransport(handler)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


def lab(labs, **changes) -> Lab:
    base = copy.deepcopy(labs["apple-ml"])
    base.politeness = Politeness()  # no waits between requests in tests
    for key, value in changes.items():
        setattr(base, key, value)
    return base


async def run(lab_: Lab, site: AppleSite, **ctx_kwargs) -> tuple[list[Posting], LabContext]:
    async with Fetcher(site.transport(lab_), retry=RetryPolicy(attempts=1)) as fetcher:
        ctx = LabContext(lab_, fetcher, **ctx_kwargs)
        postings = await apple.scrape(ctx)
    # Every search carries the token of the handshake when the site gave one, and Apple's search page as Referer.
    searches = [r for r in site.requests if r.url.path == "/api/v1/search"]
    assert all(r.headers.get("x-apple-csrf-token") == (TOKEN if site.token and not site.token_status else None)
               for r in searches)
    assert all(r.headers["referer"] == "https://jobs.apple.com/en-us/search" for r in site.requests)
    assert all(r.headers["origin"] == "https://jobs.apple.com" for r in site.requests)
    return postings, ctx


def test_parse_search_fields_and_merges_locations(labs):
    speech, audio = apple.parse(fixture_bytes("apple_search.json"), labs["apple-ml"], SEARCH)
    assert speech.source_id == "200712345"
    assert speech.title == "Machine Learning Research Scientist, Speech Recognition"
    assert speech.url == ("https://jobs.apple.com/en-us/details/200712345/"
                          "machine-learning-research-scientist-speech-recognition")
    assert speech.location == "Cupertino, United States of America; Seattle, United States of America"
    assert speech.team == "Machine Learning and AI"
    assert speech.posted_at == "2026-11-18T17:05:44+00:00"
    assert speech.description == "Siri's speech team builds the on-device recognizers used by more than a billion people."
    assert speech.company == "Apple" and speech.workplace == ""
    assert speech.extra["ids"] == ["200712345-0836", "200712345-3760"]
    assert speech.extra["listing_key"].startswith("Machine Learning Research Scientist, Speech Recognition|2026-11-18")
    assert audio.workplace == "remote" and audio.location == "Zurich, Switzerland" and audio.extra["type"] == "PIPE"


def test_parse_detail_builds_sections_and_pay_footer(labs):
    (posting,) = apple.parse(fixture_bytes("apple_detail.json"), labs["apple-ml"], "u")
    assert posting.source_id == "200712345"
    assert posting.description.split("\n\n") == [
        "Siri's speech team builds the on-device recognizers used by more than a billion people.",
        "Description\nYou will research end-to-end speech recognition: streaming transducers, self-supervised "
        "pretraining & personalization that runs on device.",
        "Responsibilities\n- Design and train conformer-based ASR models for dozens of languages.\n"
        "- Publish at Interspeech and ICASSP.",
        "Minimum Qualifications\n- PhD in speech processing, machine learning or a related field.\n"
        "- Experience with PyTorch or JAX.",
        "Preferred Qualifications\n- Publications on RNN-T or CTC models.",
        "At Apple, base pay is one part of our total compensation package. "
        "The base pay range for this role is between $171,600 and $302,200.",
    ]
    assert posting.team == "Machine Learning and AI"


@pytest.mark.parametrize(
    "body, message",
    [
        (b"<html>Service Unavailable</html>", "HTML where JSON was expected"),
        (b'{"error": "jobsite.general.serviceError"}', "Apple answered an error: 'jobsite.general.serviceError'"),
        (b'{"res": {"searchResults": {}}}', "'searchResults' should be list"),
        (b'{"res": {"searchResults": [], "totalRecords": "many"}}', "totalRecords should be a number"),
        (b'{"res": {"searchResults": [{"postingTitle": "x"}], "totalRecords": 1}}',
         "res.searchResults[0] has no 'positionId'"),
        (b'{"res": {"searchResults": [{"positionId": "1"}], "totalRecords": 1}}',
         "res.searchResults[0] has no 'postingTitle'"),
        (b'{"res": {"positionId": "1"}}', "res has none of jobSummary"),
    ],
)
def test_bad_bodies_name_lab_url_and_cause(labs, body, message):
    with pytest.raises(ParseError) as err:
        apple.parse(body, labs["apple-ml"], SEARCH)
    text = str(err.value)
    assert message in text and text.startswith("apple-ml:") and SEARCH in text


def test_real_search_capture_merges_the_posting_listed_twice(labs):
    body = real_sample("apple-role-search__rahul-k-r-jobwatch-bot.json").read_bytes()
    rows, total = apple.parse_search(body, labs["apple-ml"], SEARCH)
    assert total == 1300 and len(rows) == 4
    postings = apple.parse(body, labs["apple-ml"], SEARCH)
    assert [p.source_id for p in postings] == ["200651071", "200685421", "200685976"]
    nlp, _, designer = postings
    assert nlp.title == "Senior Machine Learning Engineer, NLP, Input Experience"
    assert nlp.posted_at == "2026-09-27T01:01:18+00:00" and nlp.team == "Software and Services"
    assert nlp.url.endswith("/en-us/details/200651071/senior-machine-learning-engineer-nlp-input-experience")
    assert designer.location == "Culver City, United States of America; New York City, United States of America"
    assert designer.extra["ids"] == ["200685976-0670", "200685976-2459"]


def test_real_detail_capture(labs):
    body = real_sample("apple-role-detail-trimmed__rahul-k-r-jobwatch-bot.json").read_bytes()
    (posting,) = apple.parse(body, labs["apple-ml"], "u")
    assert posting.source_id == "200685898"
    assert posting.title == "SDET Manager, Mail & Messages Automated Testing Frameworks"
    assert posting.posted_at == "2026-09-25T22:32:12+00:00"
    assert "Responsibilities\n- Lead and grow a diverse group of engineers" in posting.description
    assert "Preferred Qualifications\n- Extensive experience with XCTest, XCUITest, and Swift." in posting.description


async def test_scrape_handshake_pagination_merge_and_details(labs):
    first_page = [row(300000 + i, f"Role {i}") for i in range(20)]
    second_page = [row(300020, "Role 20"), row(300021, "Role 21"), row(300000, "Role 0", "Austin")]
    pages = {
        ("speech recognition", 1): {"res": {"searchResults": first_page, "totalRecords": 23}},
        ("speech recognition", 2): {"res": {"searchResults": second_page, "totalRecords": 23}},
        ("siri speech", 1): {"res": {"searchResults": [row(300021, "Role 21"), row(300099, "Role 99")],
                                     "totalRecords": 2}},
    }
    details = {pid: {"res": {"positionId": pid, "postingTitle": "x", "jobSummary": f"Full text of {pid}."}}
               for pid in [str(300000 + i) for i in range(22)] + ["300099"]}
    site = AppleSite(pages, details)
    postings, ctx = await run(lab(labs, queries=["speech recognition", "siri speech"]), site)

    token_request, *rest = site.requests
    assert (token_request.method, str(token_request.url)) == ("GET", "https://jobs.apple.com/api/v1/CSRFToken")
    assert token_request.headers["browserlocale"] == "en-us" and token_request.headers["locale"] == "EN_US"
    searches = [r for r in rest if r.url.path == "/api/v1/search"]
    # Queries, and the pages after a query's first, are requested concurrently: compare them sorted.
    bodies = [json.loads(r.content) for r in searches]
    assert sorted(bodies, key=lambda b: (b["query"], b["page"])) == [
        {"query": q, "filters": MLAI, "page": n, "locale": "en-us", "sort": "newest",
         "format": {"longDate": "MMMM D, YYYY", "mediumDate": "MMM D, YYYY"}}
        for q, n in [("siri speech", 1), ("speech recognition", 1), ("speech recognition", 2)]
    ]
    assert all(r.method == "POST" and r.headers["x-apple-csrf-token"] == TOKEN for r in searches)
    assert "jssid=sample" in searches[0].headers["cookie"]  # the handshake's cookies go along

    assert len(postings) == 23 and len({p.source_id for p in postings}) == 23
    role0 = postings[0]
    assert role0.location == "Cupertino, United States of America; Austin, United States of America"
    assert role0.description == "Full text of 300000."
    detail_urls = [str(r.url) for r in site.requests if "/jobDetails/" in r.url.path]
    assert len(detail_urls) == 23
    assert "https://jobs.apple.com/api/v1/jobDetails/300000?locale=en-us" in detail_urls
    assert ctx.partial is False and ctx.warnings == []


async def test_details_only_for_new_or_changed_postings(labs):
    page = {"res": {"searchResults": [row(1, "Speech Scientist"), row(2, "Audio Engineer")], "totalRecords": 2}}
    details = {"1": {"res": {"jobSummary": "new text 1"}}, "2": {"res": {"jobSummary": "new text 2"}}}
    listed = apple.postings_from_rows(page["res"]["searchResults"], labs["apple-ml"])
    stored = Posting(lab="apple-ml", source_id="1", title="Speech Scientist", url="u", description="stored text")
    site = AppleSite({("speech", 1): page}, details)
    postings, ctx = await run(lab(labs, queries=["speech"]), site, previous={"1": stored},
                              previous_keys={"1": listed[0].extra["listing_key"], "2": "an older key"})
    assert [p.description for p in postings] == ["stored text", "new text 2"]
    assert [r.url.path for r in site.requests if "/jobDetails/" in r.url.path] == ["/api/v1/jobDetails/2"]


async def test_detail_cap_marks_run_partial(labs):
    page = {"res": {"searchResults": [row(i) for i in range(1, 4)], "totalRecords": 3}}
    details = {str(i): {"res": {"jobSummary": f"d{i}"}} for i in range(1, 4)}
    site = AppleSite({("speech", 1): page}, details)
    postings, ctx = await run(lab(labs, queries=["speech"], max_details=2), site)
    assert [p.description for p in postings] == ["d1", "d2", ""]
    assert ctx.partial is True and "fetched 2 (max_details)" in ctx.warnings[0]


async def test_closed_detail_is_reported_gone(labs):
    page = {"res": {"searchResults": [row(7, "Speech Scientist"), row(8, "Audio Scientist")], "totalRecords": 2}}
    details = {"7": None, "8": {"res": {"jobSummary": "still open"}}}
    postings, ctx = await run(lab(labs, queries=["speech"]), AppleSite({("speech", 1): page}, details))
    assert [p.title for p in postings] == ["Audio Scientist"]
    assert ctx.gone_ids == {"7": "https://jobs.apple.com/api/v1/jobDetails/7?locale=en-us"}


async def test_empty_page_inside_total_stops_as_partial(labs):
    pages = {("speech", 1): {"res": {"searchResults": [row(i) for i in range(20)], "totalRecords": 45}},
             ("speech", 2): {"res": {"searchResults": [], "totalRecords": 45}}}
    details = {str(i): {"res": {"jobSummary": "d"}} for i in range(20)}
    postings, ctx = await run(lab(labs, queries=["speech"]), AppleSite(pages, details))
    assert len(postings) == 20 and ctx.partial is True
    assert ctx.warnings == ["query 'speech': https://jobs.apple.com/api/v1/search (page 2) came back empty with 20 of "
                            "45 announced rows seen; nothing is closed this run"]


async def test_page_cap_warns(labs):
    pages = {("speech", n): {"res": {"searchResults": [row(n * 100 + i) for i in range(20)], "totalRecords": 900}}
             for n in (1, 2)}
    details = {str(n * 100 + i): {"res": {"jobSummary": "d"}} for n in (1, 2) for i in range(20)}
    lab_ = lab(labs, queries=["speech"], params={**labs["apple-ml"].params, "max_pages": 2})
    postings, ctx = await run(lab_, AppleSite(pages, details))
    assert len(postings) == 40 and ctx.partial and "stopped after 2 pages" in ctx.warnings[0]


@pytest.mark.parametrize("site", [AppleSite({}, token=None), AppleSite({}, token_status=404)], ids=["no header", "404"])
async def test_the_csrf_token_is_best_effort(labs, site):
    site.pages = {("speech", 1): {"res": {"searchResults": [row(1, "Speech Scientist")], "totalRecords": 1}}}
    site.details = {"1": {"res": {"jobSummary": "d"}}}
    postings, ctx = await run(lab(labs, queries=["speech"]), site)
    assert [p.title for p in postings] == ["Speech Scientist"] and not ctx.partial
    assert "x-apple-csrf-token" not in site.requests[1].headers
    assert ctx.warnings[0].startswith("no ") and ctx.warnings[0].endswith("searching without one")
    assert "https://jobs.apple.com/api/v1/CSRFToken" in ctx.warnings[0]


async def test_a_page_1_total_of_0_is_asked_again(labs):
    page = {"res": {"searchResults": [row(1, "Speech Scientist")], "totalRecords": 1}}
    site = AppleSite({("speech", 1): page}, {"1": {"res": {"jobSummary": "d"}}}, zeros=3)
    postings, ctx = await run(lab(labs, queries=["speech"]), site)
    assert [p.title for p in postings] == ["Speech Scientist"] and not ctx.partial and ctx.warnings == []
    assert site.paths().count("POST /api/v1/search") == 4


async def test_a_page_1_total_of_0_that_persists_is_a_partial_run_not_no_jobs(labs):
    page = {"res": {"searchResults": [row(1, "Speech Scientist")], "totalRecords": 1}}
    site = AppleSite({("speech", 1): page, ("audio", 1): page}, {"1": {"res": {"jobSummary": "d"}}}, zeros=5)
    postings, ctx = await run(lab(labs, queries=["speech", "audio"]), site)
    assert postings == [] and ctx.partial is True
    assert site.paths().count("POST /api/v1/search") == 10  # 1 + 4 retries per query
    assert ctx.warnings[0] == ("query 'speech': page 1 said totalRecords 0 on 5 tries (Apple answers that to about "
                               "one search in five): not read as no jobs; nothing closed this run")


async def test_stored_postings_stay_open_when_page_1_keeps_saying_0(labs):
    page = {"res": {"searchResults": [row(1, "Speech Scientist")], "totalRecords": 1}}
    db = store.open_db(None)
    chosen = lab(labs, queries=["speech"], filters={})
    await scrape_labs(db, [chosen], transport=AppleSite({("speech", 1): page}, {"1": {"res": {"jobSummary": "d"}}})
                      .transport(chosen), http_cache=False)
    (outcome,) = await scrape_labs(db, [chosen], transport=AppleSite({("speech", 1): page}, zeros=5).transport(chosen),
                                   http_cache=False)
    assert outcome.status == "partial" and outcome.saved is not None and outcome.saved.closed == 0
    # Kept as not seen this run (uncertain), never closed.
    assert [r[0] for r in db.execute("SELECT status FROM postings WHERE lab = 'apple-ml'")] == ["uncertain"]


async def test_probe_is_the_handshake_and_one_page(labs):
    page = {"res": {"searchResults": [row(i) for i in range(20)], "totalRecords": 57}}
    site = AppleSite({("speech", 1): page}, zeros=1)
    async with Fetcher(site.transport(lab(labs)), retry=RetryPolicy(attempts=1)) as fetcher:
        assert await apple.probe(LabContext(lab(labs, queries=["speech", "audio"]), fetcher)) == 57
    assert site.paths() == ["GET /api/v1/CSRFToken", "POST /api/v1/search", "POST /api/v1/search"]


async def test_probe_of_a_total_that_stays_0_names_the_key(labs):
    site = AppleSite({("speech", 1): EMPTY})
    async with Fetcher(site.transport(lab(labs)), retry=RetryPolicy(attempts=1)) as fetcher:
        with pytest.raises(ParseError) as err:
            await apple.probe(LabContext(lab(labs, queries=["speech"]), fetcher))
    assert "res.totalRecords is 0 on 5 tries for query 'speech'" in str(err.value) and err.value.kind == "format"


async def test_team_filter_and_base_url_params(labs):
    params = {"locale": "en-us", "teams": ["teamsAndSubTeams-MLAI", "teamsAndSubTeams-MLAI/subTeam-NLP"],
              "base_url": "http://mirror.test/"}
    lab_ = lab(labs, queries=["speech"], params=params)
    site = AppleSite({("speech", 1): {"res": {"searchResults": [], "totalRecords": 0}}})
    postings, _ = await run(lab_, site)
    assert postings == []
    assert [str(r.url) for r in site.requests] == ["http://mirror.test/api/v1/CSRFToken",
                                                   *["http://mirror.test/api/v1/search"] * 5]
    assert json.loads(site.requests[1].content)["filters"] == {
        "teams": [{"team": "teamsAndSubTeams-MLAI"}, {"team": "teamsAndSubTeams-MLAI", "subTeam": "subTeam-NLP"}]}


def test_detect(labs):
    assert apple.detect(search_fixture(), "")
    assert apple.detect(detail_fixture(), "")
    assert apple.detect({}, "https://jobs.apple.com/api/v1/search")
    assert not apple.detect({"jobs": []}, "https://boards-api.greenhouse.io/x")


async def test_demo_recording_replays(labs):
    transport = ReplayTransport.from_files(HERE.parent / "asr_jobs" / "demo" / "apple-ml.har")
    async with Fetcher(transport) as fetcher:
        ctx = LabContext(lab(labs), fetcher)
        postings = await apple.scrape(ctx)
    titles = [p.title for p in postings]
    assert "Machine Learning Research Scientist, Speech Recognition" in titles
    speech = postings[titles.index("Machine Learning Research Scientist, Speech Recognition")]
    assert "Responsibilities\n- " in speech.description and speech.team == "Machine Learning and AI"
    assert len(postings) == 3 and ctx.partial is False and ctx.warnings == []
    assert "Software Engineer, Siri Platform Infrastructure" not in titles  # outside the ML/AI team filter


async def test_no_answer_to_the_handshake_stops_the_lab(labs):
    """Best effort is for a handshake Apple answers without a token, not for a site that does not answer."""
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with Fetcher(httpx.MockTransport(refuse), retry=RetryPolicy(attempts=1)) as fetcher:
        with pytest.raises(ScrapeError) as err:
            await apple.scrape(LabContext(lab(labs, queries=["speech"]), fetcher))
    assert str(err.value).endswith("(https://jobs.apple.com/api/v1/CSRFToken)") and err.value.kind == "offline"


def test_a_labs_own_referer_wins(labs):
    own = lab(labs, headers={"referer": "https://jobs.apple.com/en-gb/search"})
    assert "Referer" not in apple.request_headers(own) and apple.request_headers(own)["Origin"] == "https://jobs.apple.com"
