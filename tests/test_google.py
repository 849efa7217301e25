import copy
import json

import httpx
import pytest

from asr_jobs.models import Lab, ParseError, Politeness, ScrapeError
from asr_jobs.samplesites import google as sample_google
from asr_jobs.samplesites.transport import routes_transport
from asr_jobs.scrapers.adapters import google
from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy
from asr_jobs.scrapers.har import ReplayTransport

from .conftest import HERE, fixture_bytes, real_sample

RESULTS = "https://www.google.com/about/careers/applications/jobs/results"


def job(job_id: str, title: str = "Research Scientist", fields: int = 21) -> list:
    """A job tuple in Google's positional layout (id, title, ..., locations at 9, timestamps at 12-14)."""
    tuple_ = [job_id, title, None, [None, "<ul><li>Do research.</li></ul>"], [None, "<p>PhD.</p>"], "tenant", None,
              "Google", "en-US", [["Zurich, Switzerland", ["Zurich"], "Zurich", None, None, "CH"]],
              [None, f"<p>About {title}.</p>"], [2], [1793440800, 0], [1793527200, 0], [1793527201, 0], "", None,
              None, "", [None, ""], 3]
    return tuple_[:fields]


def page(jobs: list, total: int | None, size: int = 20) -> str:
    data = json.dumps([jobs, None, total, size])
    return (f"<html><body><script nonce=\"n\">AF_initDataCallback({{key: 'ds:1', hash: '7', data:{data}, "
            f"sideChannel: {{}}}});</script></body></html>")


class GoogleSite:
    """The sample Google Careers search (asr_jobs.samplesites.google) answering these jobs per query; records requests."""

    def __init__(self, searches: dict[str, list[list]], totals: dict[str, int] | None = None):
        self.searches, self.totals = searches, totals
        self.requests: list[httpx.Request] = []

    def transport(self, lab_: Lab) -> httpx.MockTransport:
        """The site at the lab's address."""
        return routes_transport(sample_google.search_routes(lab_, "", self.searches, self.totals), self.requests)


def lab(labs, **changes) -> Lab:
    base = copy.deepcopy(labs["google-research"])
    base.politeness = Politeness()  # no waits between requests in tests
    for key, value in changes.items():
        setattr(base, key, value)
    return base


async def run(lab_: Lab, site: GoogleSite | httpx.MockTransport) -> tuple[list, LabContext]:
    transport = site.transport(lab_) if isinstance(site, GoogleSite) else site
    async with Fetcher(transport, retry=RetryPolicy(attempts=1)) as fetcher:
        ctx = LabContext(lab_, fetcher)
        return await google.scrape(ctx), ctx


def test_parse_page_fields(labs):
    postings, total, size = google.parse_page(fixture_bytes("google_results.html"), labs["google-research"], RESULTS)
    assert (total, size) == (2, 20)
    speech, swe = postings
    assert speech.source_id == "114532907715584710"
    assert speech.title == "Research Scientist [Speech], Google Research"
    assert speech.url == f"{RESULTS}/114532907715584710-research-scientist-speech-google-research"
    assert speech.location == "Mountain View, CA, USA; New York, NY, USA"
    assert speech.posted_at == "2026-10-31T10:00:00+00:00" and speech.updated_at == "2026-11-14T10:00:00+00:00"
    assert speech.company == "Google" and speech.workplace == ""
    assert speech.extra == {"apply_url": "https://www.google.com/about/careers/applications/signin?jobId=CiUAL2Fckc9sPeEch"}
    assert speech.description.split("\n\n") == [
        "Google Research tackles challenges that define the technology of today and tomorrow. "
        "Our speech team works on recognition [ASR] for 100+ languages.",
        "Responsibilities\n- Research self-supervised and multilingual speech recognition models.\n"
        "- Publish at venues such as Interspeech & ICASSP.",
        "Qualifications\nMinimum qualifications:",
        "- PhD in Computer Science, Electrical Engineering, or a related field.",
        "Preferred qualifications:",
        '- Experience with sequence models for audio, e.g. RNN-T or "Conformer" encoders.',
        "The US base salary range for this full-time position is $141,000-$202,000 + bonus + equity + benefits.",
    ]
    assert swe.workplace == "remote" and swe.location == "Remote, USA"


def test_real_capture_trimmed_results_page(labs):
    body = real_sample("google-careers-results-html-trimmed__pedrocamargolince-opportunity-radar.html").read_bytes()
    postings, total, size = google.parse_page(body, labs["google-research"], RESULTS)
    assert (total, size) == (78, 20)
    tpm, swe = postings
    assert tpm.source_id == "80582381009806022"
    assert tpm.title == "Technical Program Manager Intern, BS/MS, Summer 2027"
    assert tpm.url == f"{RESULTS}/80582381009806022-technical-program-manager-intern-bs-ms-summer-2027"
    assert tpm.location.startswith("Mountain View, CA, USA; Ann Arbor, MI, USA; Atlanta, GA, USA")
    assert tpm.location.endswith("Washington D.C., DC, USA") and tpm.location.count(";") == 30
    assert tpm.posted_at == "2026-09-14T13:18:23+00:00"
    assert tpm.description.startswith("Google's projects, like our users, span the globe")
    assert "Responsibilities\n- Work with Google Engineering teams to design, develop" in tpm.description
    assert "Please complete your application before October 9, 2026." in tpm.description
    assert swe.title == "Software Engineering Intern, PhD, Summer 2027" and swe.company == "Google"
    assert all("<" not in p.description for p in postings)


@pytest.mark.parametrize(
    "body, message",
    [
        ("<html><head><title>Before you continue to Google</title></head><body>consent</body></html>",
         "no AF_initDataCallback with key 'ds:1' in the page: Google changed the page, or a consent or bot page "
         "came back (page title 'Before you continue to Google')"),
        ("<script>AF_initDataCallback({key: 'ds:1', hash: '2', data:[[[\"1\", \"x\"</script>",
         "the ds:1 data is not valid JSON"),
        ("<script>AF_initDataCallback({key: 'ds:1', hash: '2', sideChannel: {}});</script>", "has no 'data:' field"),
        (page([job("1", fields=9)], 1), "ds:1 jobs[0] has 9 fields; index 14 (published time) and earlier are needed"),
        (page([job("1", title=None)], 1), "ds:1 jobs[0][1] (title) should be text, got None"),
        (page([["1", "T", None, [None, "x"], [None, "y"], "t", None, "Google", "en", "Zurich"] + [None] * 11], 1),
         "ds:1 jobs[0][9] (locations) should be an array, got str"),
        (page([["1", "T", None, "<p>x</p>"] + [None] * 17], 1), "ds:1 jobs[0][3] should be [null, html]"),
        (page("nope", 1), "ds:1 data[0] (the jobs) should be an array, got str"),
    ],
)
def test_bad_pages_name_lab_url_and_index(labs, body, message):
    with pytest.raises(ParseError) as err:
        google.parse(body, labs["google-research"], RESULTS + "?q=speech")
    text = str(err.value)
    assert message in text and text.startswith("google-research:") and RESULTS + "?q=speech" in text


async def test_scrape_pages_until_total_and_merges_queries(labs):
    first = [job(str(1000 + i)) for i in range(20)]
    second = [job(str(1020 + i)) for i in range(20)]
    third = [job(str(1040 + i)) for i in range(5)]
    site = GoogleSite({"speech research": first + second + third,
                       "audio research": [job("1003"), job("2000", "Audio Research Engineer")]})
    postings, ctx = await run(lab(labs, queries=["speech research", "audio research"]), site)
    # Queries, and the pages after a query's first, are requested concurrently: compare them sorted.
    assert sorted(str(r.url) for r in site.requests) == [
        f"{RESULTS}?q=audio+research&sort_by=date&page=1", f"{RESULTS}?q=speech+research&sort_by=date&page=1",
        f"{RESULTS}?q=speech+research&sort_by=date&page=2", f"{RESULTS}?q=speech+research&sort_by=date&page=3"]
    assert all(r.method == "GET" for r in site.requests)
    assert len(postings) == 46 and len({p.source_id for p in postings}) == 46
    assert postings[-1].title == "Audio Research Engineer"
    assert ctx.partial is False and ctx.warnings == []


async def test_a_short_page_before_the_total_ends_the_query_as_partial(labs):
    site = GoogleSite({"speech": [job("1"), job("2")]}, totals={"speech": 300})
    postings, ctx = await run(lab(labs, queries=["speech"]), site)
    assert len(postings) == 2 and len(site.requests) == 1 and ctx.partial  # kept, but nothing is closed
    assert ctx.warnings == [f"query 'speech': {site.requests[0].url} holds 2 of 20 jobs with 2 of 300 announced jobs "
                            "seen; nothing is closed this run"]


async def test_page_cap_warns_and_marks_partial(labs):
    jobs = [job(f"{n}-{i}") for n in (1, 2) for i in range(20)]
    lab_ = lab(labs, queries=["speech"], params={"max_pages": 2})
    postings, ctx = await run(lab_, GoogleSite({"speech": jobs}, totals={"speech": 500}))
    assert len(postings) == 40 and ctx.partial
    assert ctx.warnings == ["query 'speech': stopped after 2 pages (40 of 500 jobs); raise params.max_pages to see more; "
                            "nothing is closed this run"]


async def test_base_url_and_location_params(labs):
    lab_ = lab(labs, queries=["speech"], params={"base_url": "http://mirror.test", "locations": ["Zurich, Switzerland"]})
    site = GoogleSite({"speech": [job("1")]})
    await run(lab_, site)
    assert str(site.requests[0].url) == ("http://mirror.test/about/careers/applications/jobs/results"
                                         "?q=speech&sort_by=date&page=1&location=Zurich%2C+Switzerland")


async def test_http_error_names_lab_and_url(labs):
    with pytest.raises(ScrapeError) as err:
        await run(lab(labs, queries=["speech"]), httpx.MockTransport(lambda request: httpx.Response(403, text="Forbidden")))
    assert str(err.value).startswith("google-research: HTTP 403")
    assert f"({RESULTS}?q=speech&sort_by=date&page=1)" in str(err.value)


def test_detect():
    assert google.detect(None, RESULTS + "?q=x")
    assert google.detect(page([], 0), "")
    assert not google.detect({"jobs": []}, "https://boards-api.greenhouse.io/x")


async def test_demo_recording_replays(labs):
    transport = ReplayTransport.from_files(HERE.parent / "asr_jobs" / "demo" / "google-research.har")
    async with Fetcher(transport) as fetcher:
        ctx = LabContext(lab(labs), fetcher)
        postings = await google.scrape(ctx)
    kept = [p.title for p in postings if labs["google-research"].keep(p)]
    assert "Research Scientist, Speech Recognition" in kept
    assert "Software Engineer, Speech Serving Infrastructure" in [p.title for p in postings]
    assert "Software Engineer, Speech Serving Infrastructure" not in kept  # no research in it: the lab filter drops it
    assert len(postings) == 4 and len(kept) == 3 and not ctx.partial
