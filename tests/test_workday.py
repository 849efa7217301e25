import dataclasses
import json
from datetime import date
from pathlib import Path

import httpx
import pytest

from asr_jobs.models import ParseError, Politeness, Posting, ScrapeError
from asr_jobs.samplesites import workday as sample_workday
from asr_jobs.samplesites.transport import routes_transport
from asr_jobs.scrapers.adapters import workday
from asr_jobs.scrapers.fetch import Fetcher, LabContext
from asr_jobs.scrapers.har import ReplayTransport, load_har

from .conftest import fixture_bytes, real_sample

NVIDIA_API = "https://nvidia.wd5.myworkdayjobs.com/wday/cxs/nvidia/NVIDIAExternalCareerSite"
DEMO = Path(__file__).resolve().parent.parent / "asr_jobs" / "demo"


def text_lines(description: str) -> list[str]:
    """Lines without list markers: html_to_text loses the "- " of <li><p>…</p></li>, Workday's list markup."""
    return [line.removeprefix("- ") for line in description.splitlines()]


def fast(lab, **changes):
    """The lab without its politeness delays, so tests do not sleep."""
    return dataclasses.replace(lab, politeness=Politeness(4, 0.0), **changes)


def item(req: str, title: str, *, suffix: str = "", posted: str = "Posted 5 Days Ago", where: str = "US-CA-Santa-Clara"):
    slug = title.replace(" ", "-").replace(",", "")
    return {"title": title, "externalPath": f"/job/{where}/{slug}_{req}{suffix}", "locationsText": where.replace("-", ", "),
            "postedOn": posted, "bulletFields": [req]}


def detail_for(entry: dict) -> dict:
    req = entry["bulletFields"][0]
    return {"jobPostingInfo": {
        "id": f"id-{req}", "title": entry["title"], "jobDescription": f"<p>About {entry['title']}.</p>",
        "location": entry["locationsText"], "postedOn": entry["postedOn"], "startDate": "2026-11-15",
        "timeType": "Full time", "jobReqId": req, "jobPostingId": entry["externalPath"].rsplit("/", 1)[-1],
        "jobPostingSiteId": "NVIDIAExternalCareerSite", "canApply": True, "posted": True,
        "externalUrl": "https://nvidia.wd5.myworkdayjobs.com/NVIDIAExternalCareerSite" + entry["externalPath"]},
        "hiringOrganization": {"name": "2100 NVIDIA USA", "url": ""}, "similarJobs": [], "userAuthenticated": False}


class SampleWorkday:
    """The sample Workday site (asr_jobs.samplesites.workday) serving these list items, and the requests it got."""

    def __init__(self, searches: dict[str, list[dict]], gone: tuple[str, ...] = ()):
        self.searches = searches
        self.details: dict[str, dict | None] = {e["externalPath"]: None if e["externalPath"] in gone else detail_for(e)
                                                for items in searches.values() for e in items}
        self.requests: list[httpx.Request] = []

    def transport(self, lab) -> httpx.MockTransport:
        """The site at the lab's API address."""
        routes = sample_workday.search_routes(lab, "", self.searches) | sample_workday.detail_routes(lab, "", self.details)
        return routes_transport(routes, self.requests)

    def posts(self) -> list[dict]:
        return [json.loads(r.content) for r in self.requests if r.method == "POST"]

    def detail_paths(self) -> list[str]:
        return [r.url.path.split("/NVIDIAExternalCareerSite", 1)[1] for r in self.requests if r.method == "GET"]


async def run(lab, fake: SampleWorkday, **ctx_args) -> tuple[list[Posting], LabContext]:
    async with Fetcher(fake.transport(lab)) as fetcher:
        ctx = LabContext(lab, fetcher, **ctx_args)
        return await workday.scrape(ctx), ctx


# --- parse: own fixtures


def test_parse_list_page_fields(labs):
    first, intern, remote = workday.parse(fixture_bytes("workday_jobs_page.json"), labs["nvidia"], NVIDIA_API + "/jobs")
    assert first.source_id == "JR2031001"
    assert first.title == "Research Scientist, Speech Recognition"
    assert first.url == ("https://nvidia.wd5.myworkdayjobs.com/en-US/NVIDIAExternalCareerSite"
                         "/job/US-CA-Santa-Clara/Research-Scientist--Speech-Recognition_JR2031001")
    assert first.description == "" and first.posted_at is None  # the list has neither
    assert first.employment_type == "" and first.workplace == ""
    assert first.extra == {"external_path": "/job/US-CA-Santa-Clara/Research-Scientist--Speech-Recognition_JR2031001"}
    assert intern.source_id == "JR2030877"  # the repost suffix -1 is dropped: bulletFields say JR2030877
    assert intern.employment_type == "intern" and intern.location == "US, WA, Redmond"
    assert remote.location == "Germany, Remote" and remote.workplace == "remote"


def test_parse_detail_fields(labs):
    url = NVIDIA_API + "/job/US-CA-Santa-Clara/Research-Scientist--Speech-Recognition_JR2031001"
    (posting,) = workday.parse(fixture_bytes("workday_job_detail.json"), labs["nvidia"], url)
    assert posting.source_id == "JR2031001"
    assert posting.title == "Research Scientist, Speech Recognition"
    assert posting.url == ("https://nvidia.wd5.myworkdayjobs.com/NVIDIAExternalCareerSite"
                           "/job/US-CA-Santa-Clara/Research-Scientist--Speech-Recognition_JR2031001")
    assert posting.location == "US, CA, Santa Clara; US, WA, Redmond; US, MA, Westford"
    assert posting.workplace == "hybrid" and posting.employment_type == "full-time"
    assert posting.posted_at == "2026-11-18"
    assert posting.extra == {"external_path": "/job/US-CA-Santa-Clara/Research-Scientist--Speech-Recognition_JR2031001",
                             "requisition_id": "JR2031001"}
    lines = text_lines(posting.description)
    assert lines[0].startswith("NVIDIA is looking for a research scientist to advance speech recognition")
    assert "What you'll be doing:" in lines
    assert "Scale self-supervised pretraining to 100+ languages" in lines
    assert "Publications at Interspeech, ICASSP or NeurIPS" in lines
    assert "The base salary range is 168,000 USD - 264,500 USD." in posting.description
    assert "<" not in posting.description and "&#" not in posting.description


@pytest.mark.parametrize("path, bullets, expected", [
    ("/job/US-CA-Santa-Clara/Professional-Services-Operations-Specialist_JR2026107-1", ["JR2026107"], "JR2026107"),
    ("/job/US/Some-Job_JR2026107", ["JR2026107"], "JR2026107"),
    ("/job/US/Some-Job_R-12345", ["R-12345"], "R-12345"),  # a dash that is part of the id stays
    ("/job/US/Some-Job_R-12345", [], "R-12345"),
    ("/job/US/Some-Job_JR77-2", ["US, CA"], "JR77-2"),  # unconfirmed suffix: kept, never guessed away
])
def test_requisition_id(path, bullets, expected):
    assert workday.requisition_id(path, bullets) == expected


def test_listing_key_turns_relative_post_dates_into_dates():
    entry = item("JR1", "Speech Scientist", posted="Posted 3 Days Ago")
    later = dict(entry, postedOn="Posted 4 Days Ago")
    assert workday.listing_key(entry, date(2026, 11, 20)) == workday.listing_key(later, date(2026, 11, 21))
    assert "|2026-11-17|" in workday.listing_key(entry, date(2026, 11, 20))
    assert "|2026-11-20|" in workday.listing_key(dict(entry, postedOn="Posted Today"), date(2026, 11, 20))
    assert "|2026-11-19|" in workday.listing_key(dict(entry, postedOn="Posted Yesterday"), date(2026, 11, 20))
    old = dict(entry, postedOn="Posted 30+ Days Ago")
    assert "|Posted 30+ Days Ago|" in workday.listing_key(old, date(2026, 11, 20))
    assert workday.listing_key(entry) != workday.listing_key(dict(entry, title="Speech Scientist II"))


SITE_NOT_FOUND = {"errorCode": "S21", "errorCaseId": "E12AB34CDEF5GH", "httpStatus": 404,
                  "message": "not found: Job_Posting_Site_ID=NoSuchSite", "messageParams": {}}


def test_error_body_gives_workday_message(labs):
    with pytest.raises(ScrapeError) as err:
        workday.parse(json.dumps(SITE_NOT_FOUND), labs["nvidia"], NVIDIA_API + "/jobs")
    text = str(err.value)
    assert text.startswith("nvidia: Workday error S21 (HTTP 404): not found: Job_Posting_Site_ID=NoSuchSite")
    assert "site='NVIDIAExternalCareerSite'" in text and NVIDIA_API + "/jobs" in text


@pytest.mark.parametrize("body, message", [
    (b"<html><body>Workday is down for maintenance</body></html>", "HTML where JSON was expected"),
    (b'{"total": 1, "jobPostings": "x"}', "'jobPostings' should be list"),
    (b'{"total": 1, "jobPostings": [{"title": "A"}]}', "jobPostings[0] has no 'externalPath' text"),
    (b'{"total": 1, "jobPostings": [7]}', "jobPostings[0] is int, not an object"),
    (b'{"jobPostingInfo": {"jobReqId": "JR1"}}', "jobPostingInfo has no 'title'"),
    (b'{"jobPostingInfo": []}', "'jobPostingInfo' should be dict"),
    (b'{"items": []}', "expected a Workday jobs page"),
])
def test_bad_bodies_raise_parse_error(labs, body, message):
    with pytest.raises(ParseError) as err:
        workday.parse(body, labs["nvidia"], NVIDIA_API + "/jobs")
    assert message in str(err.value) and str(err.value).startswith("nvidia:") and NVIDIA_API in str(err.value)


def test_detect():
    assert workday.detect({}, NVIDIA_API + "/jobs")
    assert workday.detect(json.loads(fixture_bytes("workday_jobs_page.json")), "")
    assert workday.detect(json.loads(fixture_bytes("workday_job_detail.json")), "")
    assert not workday.detect({"jobs": []}, "https://boards-api.greenhouse.io/v1/boards/x/jobs")


# --- scrape through the sample site


async def test_scrape_pages_with_total_only_on_first_page_then_fetches_details(labs):
    # 45 postings: pages of 20, 20, 5; pages 2 and 3 report total 0, which must not stop paging.
    items = [item(f"JR{3000 + n}", f"Speech Scientist {n}") for n in range(45)]
    fake = SampleWorkday({"speech": items})
    postings, ctx = await run(fast(labs["nvidia"], queries=["speech"]), fake)
    assert fake.posts() == [{"appliedFacets": {}, "limit": 20, "offset": off, "searchText": "speech"} for off in (0, 20, 40)]
    post = fake.requests[0]
    assert post.method == "POST" and str(post.url) == NVIDIA_API + "/jobs"
    assert post.headers["content-type"] == "application/json"
    assert sorted(fake.detail_paths()) == sorted(e["externalPath"] for e in items)
    assert [p.source_id for p in postings] == [f"JR{3000 + n}" for n in range(45)]
    first = postings[0]
    assert first.description == "About Speech Scientist 0." and first.posted_at == "2026-11-15"
    assert first.extra["listing_key"] == workday.listing_key(items[0])
    assert ctx.stats.requests == 48 and not ctx.partial and not ctx.warnings


async def test_a_total_ending_on_a_full_page_is_confirmed_by_the_empty_page_after_it(labs):
    items = [item(f"JR{n}", f"Scientist {n}") for n in range(40)]  # exactly two full pages
    fake = SampleWorkday({"asr": items})
    postings, ctx = await run(fast(labs["nvidia"], queries=["asr"]), fake)
    assert [b["offset"] for b in fake.posts()] == [0, 20, 40]  # the empty third page: no more pages come
    assert len(postings) == 40 and not ctx.partial and not ctx.warnings


async def test_scrape_merges_queries_without_duplicates(labs):
    a, b, c = item("JR1", "ASR Scientist"), item("JR2", "Speech Researcher"), item("JR3", "Audio Researcher")
    repost = item("JR2", "Speech Researcher", suffix="-1", where="US-WA-Redmond")  # same requisition, reposted
    fake = SampleWorkday({"speech recognition": [a, b], "speech research": [b, c], "audio": [repost, c]})
    postings, ctx = await run(fast(labs["nvidia"], queries=["speech recognition", "speech research", "audio"]), fake)
    assert [p.source_id for p in postings] == ["JR1", "JR2", "JR3"]
    assert [b["searchText"] for b in fake.posts()] == ["speech recognition", "speech research", "audio"]
    assert sorted(fake.detail_paths()) == sorted([a["externalPath"], b["externalPath"], c["externalPath"]])


async def test_scrape_skips_details_of_unchanged_postings(labs):
    a, b = item("JR1", "ASR Scientist"), item("JR2", "Speech Researcher")
    stored = Posting(lab="nvidia", source_id="JR1", title="ASR Scientist", url="u", description="Stored text.",
                     extra={"listing_key": workday.listing_key(a)})
    fake = SampleWorkday({"speech": [a, b]})
    postings, ctx = await run(fast(labs["nvidia"], queries=["speech"]), fake,
                              previous={"JR1": stored}, previous_keys={"JR1": workday.listing_key(a)})
    assert fake.detail_paths() == [b["externalPath"]]
    assert postings[0] is stored and postings[1].description == "About Speech Researcher."


async def test_changed_listing_refetches_detail(labs):
    a = item("JR1", "ASR Scientist", posted="Posted Today")
    stored = Posting(lab="nvidia", source_id="JR1", title="ASR Scientist", url="u")
    fake = SampleWorkday({"speech": [a]})
    old_key = workday.listing_key(dict(a, postedOn="Posted 30+ Days Ago"))  # reposted since
    await run(fast(labs["nvidia"], queries=["speech"]), fake, previous={"JR1": stored}, previous_keys={"JR1": old_key})
    assert fake.detail_paths() == [a["externalPath"]]


async def test_max_details_cap_fetches_new_postings_first(labs):
    changed, new1, new2 = item("JR1", "Changed"), item("JR2", "New One"), item("JR3", "New Two")
    stored = Posting(lab="nvidia", source_id="JR1", title="Changed", url="u", description="Old text.",
                     extra={"listing_key": "old"})
    fake = SampleWorkday({"speech": [changed, new1, new2]})
    postings, ctx = await run(fast(labs["nvidia"], queries=["speech"], max_details=1), fake,
                              previous={"JR1": stored}, previous_keys={"JR1": "old"})
    assert fake.detail_paths() == [new1["externalPath"]]
    assert ctx.partial and "fetched 1 (max_details)" in ctx.warnings[0]
    assert postings[0] is stored  # over the cap: keeps its stored text
    assert postings[1].description == "About New One." and postings[1].extra["listing_key"]
    assert postings[2].description == "" and "listing_key" not in postings[2].extra  # fetched next run


async def test_gone_detail_is_left_out_with_a_warning(labs):
    a, b = item("JR1", "ASR Scientist"), item("JR2", "Speech Researcher")
    fake = SampleWorkday({"speech": [a, b]}, gone=(b["externalPath"],))
    postings, ctx = await run(fast(labs["nvidia"], queries=["speech"]), fake)
    assert [p.source_id for p in postings] == ["JR1"]
    assert "'Speech Researcher' was listed but its detail is gone (HTTP 404)" in ctx.warnings[0]


async def test_page_cap_warns_and_marks_partial(labs):
    items = [item(f"JR{n}", f"Scientist {n}") for n in range(50)]
    lab = fast(labs["nvidia"], queries=["speech"], params=dict(labs["nvidia"].params, max_pages=2))
    postings, ctx = await run(lab, SampleWorkday({"speech": items}))
    assert len(postings) == 40 and ctx.partial
    assert "stopped after 2 pages (40 of 50 postings)" in ctx.warnings[0]


async def test_site_not_found_names_lab_url_and_workday_message(labs):
    transport = httpx.MockTransport(lambda request: httpx.Response(404, json=SITE_NOT_FOUND))
    lab = fast(labs["nvidia"], queries=["speech"], params=dict(labs["nvidia"].params, site="NoSuchSite"))
    async with Fetcher(transport) as fetcher:
        with pytest.raises(ScrapeError) as err:
            await workday.scrape(LabContext(lab, fetcher))
    text = str(err.value)
    assert text.startswith("nvidia: Workday error S21 (HTTP 404): not found: Job_Posting_Site_ID=NoSuchSite")
    assert "https://nvidia.wd5.myworkdayjobs.com/wday/cxs/nvidia/NoSuchSite/jobs" in text
    assert err.value.status == 404


async def test_base_url_override_changes_api_host_only(labs):
    seen = []

    def handler(request):
        seen.append(str(request.url))
        if request.method == "POST":
            return httpx.Response(200, json={"total": 1, "jobPostings": [item("JR9", "Speech Scientist")]})
        return httpx.Response(200, json=detail_for(item("JR9", "Speech Scientist")) | {"jobPostingInfo": {
            "title": "Speech Scientist", "jobReqId": "JR9"}})

    lab = fast(labs["nvidia"], queries=["speech"], params=dict(labs["nvidia"].params, base_url="http://127.0.0.1:8099/"))
    async with Fetcher(httpx.MockTransport(handler)) as fetcher:
        (posting,) = await workday.scrape(LabContext(lab, fetcher))
    assert seen == ["http://127.0.0.1:8099/wday/cxs/nvidia/NVIDIAExternalCareerSite/jobs",
                    "http://127.0.0.1:8099/wday/cxs/nvidia/NVIDIAExternalCareerSite/job/US-CA-Santa-Clara/Speech-Scientist_JR9"]
    assert posting.url == ("https://nvidia.wd5.myworkdayjobs.com/en-US/NVIDIAExternalCareerSite"
                           "/job/US-CA-Santa-Clara/Speech-Scientist_JR9")


# --- the registry entries


def test_registry_entries_point_at_the_live_sites(labs):
    assert workday.jobs_url(labs["nvidia"]) == "https://nvidia.wd5.myworkdayjobs.com/wday/cxs/nvidia/NVIDIAExternalCareerSite/jobs"
    assert workday.jobs_url(labs["adobe-research"]) == "https://adobe.wd5.myworkdayjobs.com/wday/cxs/adobe/external_experienced/jobs"
    assert workday.jobs_url(labs["cmu-lti"]) == "https://cmu.wd115.myworkdayjobs.com/wday/cxs/cmu/CMU/jobs"
    assert all(labs[n].queries and labs[n].adapter == "workday" for n in ("nvidia", "adobe-research", "cmu-lti"))


def test_cmu_filter_keeps_lti_and_speech_roles_only(labs):
    cmu = labs["cmu-lti"]

    def posting(title, description=""):
        return Posting(lab="cmu-lti", source_id="1", title=title, url="u", description=description)

    assert cmu.keep(posting("Research Intern - School of Computer Science - LTI"))
    assert cmu.keep(posting("Postdoctoral Associate", "Join the Language Technologies Institute."))
    assert cmu.keep(posting("Research Programmer", "Build spoken dialogue and speech recognition systems."))
    assert not cmu.keep(posting("Multimedia Specialist", "Support multimedia events at the Tepper School."))
    assert not cmu.keep(posting("Accountant", "Manage the ledger of the Mellon College of Science."))


# --- real captures (skipped when ../shared is absent)


def test_real_list_page1(labs):
    postings = workday.parse(real_sample("workday-list-page__olinares-jobhunt-nvidia-page1.json").read_bytes(),
                             labs["nvidia"], NVIDIA_API + "/jobs")
    assert len(postings) == 10
    first = postings[0]
    assert first.source_id == "JR2016460"
    assert first.title == "Senior Solutions Architect, Ethernet Networking - NVIS"
    assert first.location == "6 Locations"
    assert first.url == ("https://nvidia.wd5.myworkdayjobs.com/en-US/NVIDIAExternalCareerSite/job/US-VA-Remote/"
                         "Senior-Solutions-Architect--Ethernet-Networking---NVIS_JR2016460")
    japan = postings[3]
    assert japan.location == "Japan, Remote" and japan.workplace == "remote"


def test_real_list_pages_2_and_3_repost_suffix(labs):
    page2 = workday.parse(real_sample("workday-list-page__olinares-jobhunt-nvidia-page2.json").read_bytes(),
                          labs["nvidia"], NVIDIA_API + "/jobs")
    page3 = workday.parse(real_sample("workday-list-page__olinares-jobhunt-nvidia-page3.json").read_bytes(),
                          labs["nvidia"], NVIDIA_API + "/jobs")
    assert len(page2) == 10 and len(page3) == 3
    assert page2[8].source_id == "JR2024594" and page2[8].extra["external_path"].endswith("_JR2024594-1")
    assert page3[2].title == "Professional Services Operations Specialist"
    assert page3[2].source_id == "JR2026107" and page3[2].url.endswith("_JR2026107-1")


async def test_real_pages_replayed_page_by_page_despite_total_zero(labs, monkeypatch):
    # The captured search paged by 10; with that page size the real bodies replay as one search.
    monkeypatch.setattr(workday, "PAGE_SIZE", 10)
    pages = [real_sample(f"workday-list-page__olinares-jobhunt-nvidia-page{n}.json").read_bytes() for n in (1, 2, 3)]
    detail = real_sample("workday-detail__olinares-jobhunt-nvidia.json").read_bytes()
    offsets = []

    def handler(request):
        if request.method == "POST":
            offset = json.loads(request.content)["offset"]
            offsets.append(offset)
            return httpx.Response(200, content=pages[offset // 10])
        return httpx.Response(200, content=detail)

    lab = fast(labs["nvidia"], queries=["networking"], max_details=1)
    async with Fetcher(httpx.MockTransport(handler)) as fetcher:
        ctx = LabContext(lab, fetcher)
        postings = await workday.scrape(ctx)
    assert offsets == [0, 10, 20]
    assert len(postings) == 23 and ctx.partial  # 22 details over the cap of 1
    assert postings[0].description.startswith("As a key member of the NVIDIA Infrastructure Specialists")


def test_real_detail_nvidia(labs):
    url = NVIDIA_API + "/job/US-VA-Remote/Senior-Solutions-Architect--Ethernet-Networking---NVIS_JR2016460"
    (posting,) = workday.parse(real_sample("workday-detail__olinares-jobhunt-nvidia.json").read_bytes(), labs["nvidia"], url)
    assert posting.source_id == "JR2016460"
    assert posting.posted_at == "2026-09-18"
    assert posting.location == ("US, VA, Remote; US, TX, Remote; US, NY, Remote; US, PA, Remote; US, NJ, Remote; "
                                "US, SC, Remote")
    assert posting.workplace == "remote" and posting.employment_type == "full-time"
    assert posting.url == ("https://nvidia.wd5.myworkdayjobs.com/NVIDIAExternalCareerSite/job/US-VA-Remote/"
                           "Senior-Solutions-Architect--Ethernet-Networking---NVIS_JR2016460")
    assert "What you'll be doing:" in posting.description.splitlines()
    assert "Validate network architectures and configs in the lab" in text_lines(posting.description)
    assert "10+ years of expertise in networking fundamentals" in posting.description
    assert "&#" not in posting.description and "<p>" not in posting.description


def test_real_detail_with_end_date(labs):
    url = "https://bah.wd1.myworkdayjobs.com/wday/cxs/bah/BAH_Jobs/job/Annapolis-Junction-MD/Systems-Administrator-Intern_R0249565"
    (posting,) = workday.parse(real_sample("workday-detail-with-enddate__jaredrojas08-internship-tracker-bah.json")
                               .read_bytes(), labs["nvidia"], url)
    assert posting.source_id == "R0249565" and posting.title == "Systems Administrator Intern"
    assert posting.employment_type == "intern" and posting.location == "Annapolis Junction, MD"
    assert posting.extra["end_date"] == "2026-12-14" and posting.posted_at == "2026-09-16"
    assert posting.description.startswith("Systems Administrator Intern\nThe Opportunity:")


def test_real_list_items_and_trimmed_page(labs):
    items = workday.parse(real_sample("workday-list-items__manojkaipu-job-poller-nvidia.json").read_bytes(),
                          labs["nvidia"], NVIDIA_API + "/jobs")
    assert [p.source_id for p in items] == ["JR2016809", "JR2023503"]
    assert items[0].title == "Machine Learning Engineer - Humanoid Robotics" and items[0].location == "China, Shanghai"
    trimmed = workday.parse(real_sample("workday-list-page__konstantinosanagn-ergon-nvidia.json").read_bytes(),
                            labs["nvidia"], NVIDIA_API + "/jobs")
    assert [p.source_id for p in trimmed] == ["JR2018805", "JR2014797"]


def test_real_adobe_page_with_facets(labs):
    url = "https://adobe.wd5.myworkdayjobs.com/wday/cxs/adobe/external_experienced/jobs"
    postings = workday.parse(real_sample("workday-list-page-facets__jashanjodhb-jobwatch-adobe.json").read_bytes(),
                             labs["adobe-research"], url)
    assert [p.source_id for p in postings] == ["R160706", "R167329", "R170977", "R169973"]
    assert postings[0].title == "2026 AI/ML Intern - Machine Learning Engineer/Researcher Intern"
    assert postings[0].employment_type == "intern"
    assert postings[0].url == ("https://adobe.wd5.myworkdayjobs.com/en-US/external_experienced/job/San-Jose/"
                               "XMLNAME-2026-AI-ML-Intern---Machine-Learning-Engineer-Intern_R160706")


def test_real_site_not_found(labs):
    body = real_sample("workday-list-page__olinares-jobhunt-nvidia-site-not-found.json").read_bytes()
    with pytest.raises(ScrapeError, match=r"Workday error S21 \(HTTP 404\): not found: Job_Posting_Site_ID=NoSuchSite"):
        workday.parse(body, labs["nvidia"], "https://nvidia.wd5.myworkdayjobs.com/wday/cxs/nvidia/NoSuchSite/jobs")


# --- the bundled demo recordings


@pytest.mark.parametrize("lab_name, expected", [
    ("nvidia", {"JR2031001": "Research Scientist, Speech Recognition",
                "JR2030877": "Deep Learning Intern, Conversational AI - Summer 2027",
                "JR2029455": "Senior Audio Software Engineer",
                "JR2028764": "Solutions Architect, Speech AI"}),
    ("adobe-research", {"R171204": "Research Scientist - Audio and Speech",
                        "R170566": "2027 Research Scientist/Engineer Intern - Speech and Audio",
                        "R169830": "Senior Product Manager, Adobe Express"}),
    ("cmu-lti", {"2026-4410": "Research Intern - School of Computer Science - LTI",
                 "2026-4387": "Postdoctoral Research Associate - Language Technologies Institute",
                 "2026-4311": "Research Programmer - Spoken Language Systems",
                 "2026-4290": "Multimedia Specialist"}),
])
async def test_demo_recording_replays(labs, lab_name, expected):
    har = DEMO / f"{lab_name}.har"
    async with Fetcher(ReplayTransport.from_files(har)) as fetcher:
        ctx = LabContext(fast(labs[lab_name]), fetcher)
        postings = await workday.scrape(ctx)
    assert {p.source_id: p.title for p in postings} == expected
    assert ctx.stats.requests == len(load_har(har)) and not ctx.warnings  # every recorded request, no other
    assert all(p.description and p.posted_at and p.url.startswith("https://") for p in postings)
