import copy
import json

import httpx
import pytest

from asr_jobs.models import Lab, ParseError, Politeness
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


def test_detect():
    assert google.detect(None, RESULTS + "?q=x")
    assert google.detect(page([], 0), "")
    assert not google.detect({"jobs": []}, "https://boards-api.greenhouse.io/x")


async def test_demo_recording_replays(labs):
    transport = ReplayTransport.from_files(HERE.parent / "asr_jobs" / "demo" / "google-research.har")
    async with Fetcher(transport) as fetcher:
        ctx = LabContext(lab(labs), fetcher)
        postings = await google.scrape(ctx)
    titles = sorted(p.title for p in postings)
    # Google's speech research roles; not the SWE role (no research in its title), not YouTube's, not DeepMind's.
    assert titles == ["Research Scientist, Speech Recognition", "Student Researcher, PhD, Speech and Audio, 2027"]
    assert not ctx.partial and ctx.stats.requests == 2  # robots.txt, then the feed


# --- the jobs feed ----------------------------------------------------------------------------------------------

FEED = "https://www.google.com/about/careers/applications/jobs/feed.xml"


ROBOTS = "https://www.google.com/robots.txt"


def feed_site(body: bytes, seen: list[httpx.Request], etag: str = '"f1"', robots: str = sample_google.ROBOTS):
    """robots.txt and the feed, each with an ETag: 304 when the request carries it."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/robots.txt":
            content, kind, tag = robots.encode(), "text/plain", '"r1"'
        else:
            content, kind, tag = body, "application/xml", etag
        if request.headers.get("if-none-match") == tag:
            return httpx.Response(304, headers={"etag": tag})
        return httpx.Response(200, content=content, headers={"content-type": kind, "etag": tag})

    return httpx.MockTransport(answer)


def test_feed_fields_employer_filter_and_research_filter(labs):
    postings = google.parse(sample_google.demo_feed(), labs["google-research"], FEED)
    by_title = {p.title: p for p in postings}
    assert sorted(by_title) == ["Research Scientist, Speech Recognition", "Student Researcher, PhD, Speech and Audio, 2027"]
    speech = by_title["Research Scientist, Speech Recognition"]
    assert speech.source_id == "118230450296881862" and speech.company == "Google"
    assert speech.url == f"{RESULTS}/118230450296881862-research-scientist-speech-recognition"
    assert speech.location == "Mountain View, CA, US; New York, NY, US"
    assert speech.posted_at == "2026-11-13T11:00:00.000Z" and speech.employment_type == "full-time"
    assert speech.description.startswith("Google Research's speech team builds the recognizers")
    assert "- Publish at Interspeech, ICASSP, ICLR and NeurIPS" in speech.description and "<" not in speech.description
    assert speech.extra == {"employer": "Google", "categories": ["RESEARCH_SCIENCE"]}
    assert by_title["Student Researcher, PhD, Speech and Audio, 2027"].employment_type == "intern"


def test_deepmind_roles_are_never_the_google_labs(labs):
    """A DeepMind role in the feed is the google-deepmind lab's (Greenhouse): google-research leaves it out."""
    body = sample_google.demo_feed()
    assert b"<employer>DeepMind</employer>" in body
    everything = lab(labs, filters={})
    titles = {p.title for p in google.parse(body, everything, FEED)}
    assert "Research Scientist, Speech and Audio Generation" not in titles  # DeepMind's
    assert "Audio Research Engineer, YouTube" not in titles and len(titles) == 3  # Google's three roles, all kept
    both = lab(labs, filters={}, params={"employers": ["Google", "DeepMind"]})
    assert "Research Scientist, Speech and Audio Generation" in {p.title for p in google.parse(body, both, FEED)}


async def test_scrape_reads_the_feed_once_and_an_unchanged_feed_costs_one_small_request(labs):
    from asr_jobs.db import store
    from asr_jobs.db.http_cache import HttpCache

    cache, seen = HttpCache(store.open_db(None)), []
    transport = feed_site(sample_google.demo_feed(), seen)
    results = []
    for _ in range(2):
        async with Fetcher(transport, cache=cache, retry=RetryPolicy(attempts=1)) as fetcher:
            ctx = LabContext(lab(labs), fetcher)
            results.append((sorted(p.title for p in await google.scrape(ctx)), ctx.stats))
    (first, first_stats), (second, second_stats) = results
    # Each run: robots.txt (the feed is allowed), then the feed; the second run asks both conditionally.
    assert [str(r.url) for r in seen] == [ROBOTS, FEED, ROBOTS, FEED]
    assert seen[1].headers["accept"].startswith("application/xml") and "if-none-match" not in seen[1].headers
    assert seen[3].headers["if-none-match"] == '"f1"' and seen[2].headers["if-none-match"] == '"r1"'
    assert first == second and len(first) == 2  # the stored body, parsed again
    # An unchanged feed: two small 304s, not a byte of body.
    assert (second_stats.requests, second_stats.not_modified, second_stats.bytes) == (2, 2, 0)
    assert first_stats.bytes == len(sample_google.demo_feed()) + len(sample_google.ROBOTS)


async def test_probe_counts_the_labs_employers_roles(labs):
    seen: list[httpx.Request] = []
    async with Fetcher(feed_site(sample_google.demo_feed(), seen), retry=RetryPolicy(attempts=1)) as fetcher:
        assert await google.probe(LabContext(lab(labs), fetcher)) == 3  # Google's roles, not YouTube's nor DeepMind's
    assert [str(r.url) for r in seen] == [ROBOTS, FEED]


async def test_a_feed_robots_txt_disallows_is_not_fetched(labs):
    seen: list[httpx.Request] = []
    robots = "User-agent: *\nDisallow: /about/careers/\n"
    async with Fetcher(feed_site(sample_google.demo_feed(), seen, robots=robots), retry=RetryPolicy(attempts=1)) as fetcher:
        ctx = LabContext(lab(labs), fetcher)
        assert await google.scrape(ctx) == []
    assert [str(r.url) for r in seen] == [ROBOTS] and ctx.partial  # nothing closed for it
    assert ctx.warnings == [f"google-research: skipped {FEED}: robots.txt of https://www.google.com disallows it "
                            "for our User-Agent"]


def test_reader_holds_one_job_at_a_time_whatever_the_feed_size(labs):
    """Each job is dropped from the tree once read: what the parser holds does not grow with the feed."""
    def held(jobs: int) -> tuple[int, int]:
        template = sample_google.JOBS["speech-scientist"]
        body = sample_google.feed([[str(10**17 + i), *template[1:]] for i in range(jobs)])
        reader = google.FeedReader(labs["google-research"], FEED)
        for start in range(0, len(body), 4096):  # small chunks: a job or two ends per chunk
            for _ in reader.feed(body[start:start + 4096]):
                pass
        for _ in reader.close():
            pass
        return reader.jobs, reader.held_most

    small, large = held(20), held(2000)
    assert small[0] == 20 and large[0] == 2000
    assert large[1] == small[1] <= 3


@pytest.mark.parametrize(
    "body, message",
    [
        (b"", "the jobs feed is empty"),
        (b"<jobs><job><jobid>1</jobid><title>T</title>", "the jobs feed is not well-formed XML"),
        (b'<?xml version="1.0"?><!DOCTYPE jobs [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
         b"<jobs><job><jobid>1</jobid><title>&b;</title><employer>Google</employer></job></jobs>",
         "the jobs feed is not well-formed XML"),
        (b"<jobs><job><title>Research Scientist</title><employer>Google</employer></job></jobs>",
         "job 1 of the feed has no <jobid>"),
    ],
)
def test_bad_feeds_name_lab_url_and_cause(labs, body, message):
    with pytest.raises(ParseError) as err:
        google.parse_feed(body, lab(labs, filters={}), FEED)
    assert message in str(err.value) and str(err.value).startswith("google-research:") and FEED in str(err.value)


def test_entity_declarations_are_refused(labs):
    """defusedxml: an entity declared in the feed (billion laughs, external entities) is an error, not expanded."""
    body = (b'<?xml version="1.0"?><!DOCTYPE jobs [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<jobs><job><jobid>1</jobid><title>&x;</title><employer>Google</employer></job></jobs>")
    with pytest.raises(ParseError, match="EntitiesForbidden|not well-formed"):
        google.parse_feed(body, lab(labs, filters={}), FEED)


def test_import_of_a_saved_feed_detects_it(labs):
    body = sample_google.demo_feed().decode()
    assert google.detect(body, "feed.xml") and google.is_feed(body)
    assert len(google.parse(body, labs["google-research"], "feed.xml")) == 2


def test_import_command_reads_a_saved_feed(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from asr_jobs.cli import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASR_JOBS_DB", raising=False)
    (tmp_path / "feed.xml").write_bytes(sample_google.demo_feed())
    result = CliRunner().invoke(cli, ["import", "feed.xml", "--lab", "google-research", "--db", "jobs.db"])
    assert result.exit_code == 0, result.output
    assert "feed.xml: google format, 2 postings (2 new" in result.output
    shown = CliRunner().invoke(cli, ["show", "google-research:118230450296881862", "--db", "jobs.db", "--json"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["title"] == "Research Scientist, Speech Recognition"
