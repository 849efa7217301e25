import dataclasses
import json
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asr_jobs.models import ParseError, ScrapeError
from asr_jobs.scrapers.adapters import ashby
from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy
from asr_jobs.scrapers.har import ReplayTransport

from .conftest import fixture_bytes, json_transport, real_sample

DEMO = Path(__file__).resolve().parent.parent / "asr_jobs" / "demo"
OPENAI_URL = "https://api.ashbyhq.com/posting-api/job-board/openai?includeCompensation=true"


def with_params(lab, **params):
    return dataclasses.replace(lab, params={**lab.params, **params})


def test_parse_board_fields(labs):
    postings = ashby.parse(fixture_bytes("ashby_board.json"), labs["openai"], OPENAI_URL)
    assert [p.title for p in postings] == [
        "Research Scientist, Speech Recognition",
        "Speech Research Intern",
        "Contract Data Annotator (Audio)",
        "Part-time Linguist",
    ]
    speech = postings[0]
    assert speech.source_id == "3f6c1a2e-8d41-4b7a-9e55-0c2d7a91b4e1"
    assert speech.url == "https://jobs.ashbyhq.com/acme/3f6c1a2e-8d41-4b7a-9e55-0c2d7a91b4e1"
    assert speech.location == "San Francisco; New York City"  # duplicate secondary location folded
    assert speech.team == "Research / Audio"
    assert speech.workplace == "hybrid" and speech.employment_type == "full-time"
    assert speech.posted_at == "2026-10-14T17:05:11.120+00:00"
    assert speech.description == (
        "About the Team\n\nWe train streaming ASR models & speech LLMs.\n\n"
        "- Train Conformer and RNN-T models\n- Publish at Interspeech"
    )
    # Zones: lowest minimum and highest maximum over all tiers.
    assert (speech.salary_min, speech.salary_max, speech.salary_currency, speech.salary_period) == (
        180000, 310000, "USD", "year")
    assert speech.extra["compensation"] == "$180K – $310K • Offers Equity • Multiple Ranges"
    assert speech.extra["apply_url"].endswith("/application")


def test_parse_value_variants(labs):
    intern, contract, linguist = ashby.parse(fixture_bytes("ashby_board.json"), labs["openai"], "u")[1:]
    assert intern.workplace == "remote"  # workplaceType null, isRemote true
    assert intern.employment_type == "intern"
    assert (intern.salary_min, intern.salary_max, intern.salary_period) == (55, 70, "hour")
    assert intern.description == "A 12-week internship on self-supervised speech models.\n\nYou are a PhD student in speech."
    assert contract.employment_type == "contract" and contract.workplace == "onsite"
    assert contract.team == "Data"
    # Only summaryComponents filled (no tiers): still structured, in the board's currency.
    assert (contract.salary_min, contract.salary_max, contract.salary_currency) == (38000, 45000, "GBP")
    # jobUrl was javascript:, so the public URL is rebuilt from the board and id.
    assert contract.url == "https://jobs.ashbyhq.com/openai/d7a1b2c3-4e5f-4061-9a7b-8c9d0e1f2a3b"
    assert linguist.employment_type == "part-time" and linguist.workplace == ""
    # A "2 WEEK" interval has no period we store: the pay stays text only.
    assert linguist.salary_min is None and linguist.salary_period is None
    assert linguist.extra["compensation"] == "€1.2K – €1.6K per 2 weeks"


def test_unlisted_jobs_are_skipped(labs):
    postings = ashby.parse(fixture_bytes("ashby_board.json"), labs["openai"], "u")
    assert "c2d4e6f8-0000-4a4a-8b8b-123456789abc" not in {p.source_id for p in postings}
    assert all("Confidential" not in p.title for p in postings)


def test_salary_of_shapes():
    assert ashby.salary_of(None) == (None, None, None, None)
    assert ashby.salary_of({"compensationTiers": [], "summaryComponents": []}) == (None, None, None, None)
    mixed = {"compensationTiers": [
        {"components": [{"compensationType": "Salary", "interval": "1 HOUR", "currencyCode": "USD", "minValue": 40, "maxValue": 50}]},
        {"components": [{"compensationType": "Salary", "interval": "1 YEAR", "currencyCode": "USD", "minValue": 90000, "maxValue": None}]},
    ]}
    assert ashby.salary_of(mixed) == (90000, None, "USD", "year")  # yearly preferred over hourly
    junk = {"compensationTiers": [{"components": ["x", {"compensationType": "Salary", "minValue": "lots"}]}], "summaryComponents": "x"}
    assert ashby.salary_of(junk) == (None, None, None, None)


@pytest.mark.parametrize(
    "body, message",
    [
        (b"<html><body>Cloudflare</body></html>", "HTML where JSON was expected"),
        (b"", "empty body"),
        (b'{"jobs": [', "invalid JSON"),
        (b'{"success": false}', "expected an Ashby job board"),
        (b'{"jobs": [{"id": "1", "isListed": true}]}', "jobs[0] has no 'title'"),
        (b'{"jobs": [{"id": 5, "title": "x"}]}', "jobs[0] has no 'id'"),
        (b'{"jobs": [7]}', "jobs[0] is int"),
        (b'{"jobs": {"a": 1}}', "'jobs' should be list"),
    ],
)
def test_bad_bodies_raise_parse_error_naming_lab_and_url(labs, body, message):
    with pytest.raises(ParseError) as err:
        ashby.parse(body, labs["deepgram"], "https://api.ashbyhq.com/posting-api/job-board/deepgram?includeCompensation=true")
    text = str(err.value)
    assert message in text and text.startswith("deepgram:") and "api.ashbyhq.com/posting-api/job-board/deepgram" in text


@pytest.mark.parametrize(
    "board, path",
    [("openai", "openai"), ("mistral.ai", "mistral.ai"), ("Rox Data Corp", "Rox%20Data%20Corp"), ("a/b", "a%2Fb")],
)
def test_board_url_is_encoded(labs, board, path):
    lab = with_params(labs["openai"], board=board)
    assert ashby.board_url(lab) == f"https://api.ashbyhq.com/posting-api/job-board/{path}?includeCompensation=true"


def test_base_url_override(labs):
    lab = with_params(labs["deepgram"], base_url="http://127.0.0.1:8080/")
    assert ashby.board_url(lab) == "http://127.0.0.1:8080/posting-api/job-board/deepgram?includeCompensation=true"


def test_lab_registry_entries(labs):
    assert labs["openai"].adapter == "ashby" and ashby.board_url(labs["openai"]) == OPENAI_URL
    assert ashby.board_url(labs["deepgram"]) == "https://api.ashbyhq.com/posting-api/job-board/deepgram?includeCompensation=true"


async def test_scrape_requests_exact_board_url(labs):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=fixture_bytes("ashby_board.json"), headers={"content-type": "application/json"})

    async with Fetcher(httpx.MockTransport(handler)) as fetcher:
        ctx = LabContext(labs["openai"], fetcher)
        postings = await ashby.scrape(ctx)
    assert seen == [OPENAI_URL]
    assert len(postings) == 4 and ctx.stats.requests == 1


async def test_scrape_unknown_board_names_lab_url_and_status(labs):
    lab = with_params(labs["openai"], board="no-such-board")
    async with Fetcher(json_transport({}), retry=RetryPolicy(attempts=1)) as fetcher:
        with pytest.raises(ScrapeError) as err:
            await ashby.scrape(LabContext(lab, fetcher))
    text = str(err.value)
    assert text.startswith("openai: HTTP 404") and "job-board/no-such-board?includeCompensation=true" in text
    assert err.value.status == 404


def test_detect():
    assert ashby.detect({}, OPENAI_URL)
    assert ashby.detect(json.loads(fixture_bytes("ashby_board.json")), "")
    assert not ashby.detect({"jobs": [{"absolute_url": "x"}]}, "")
    assert not ashby.detect([], "")


def test_real_capture_full_board(labs):
    path = real_sample("ashby-board-full__olinares-jobhunt-openai.json")
    postings = ashby.parse(path.read_bytes(), labs["openai"], OPENAI_URL)
    assert len(postings) == 5
    by_id = {p.source_id: p for p in postings}
    fdse = by_id["00207abc-49b7-465c-a219-f7c1140f8047"]
    assert fdse.title == "Forward Deployed Software Engineer - SF"
    assert fdse.workplace == "hybrid" and fdse.team == "Forward Deployed Engineering"
    assert (fdse.salary_min, fdse.salary_max, fdse.salary_currency, fdse.salary_period) == (185000, 325000, "USD", "year")
    assert "- Embed deeply with strategic customers" in fdse.description
    # Multi-zone tiers ("Zone A"/"Zone B" + a titled tier): min over tiers, max over tiers.
    tpm = by_id["c414f15f-60c4-40b5-a896-d2ad6c7f4415"]
    assert (tpm.salary_min, tpm.salary_max) == (165400, 285000) and tpm.workplace == "remote"
    assert tpm.location == "US - Remote; New York City; Seattle; Washington, DC; San Francisco"
    # Hourly tier with scrapeableCompensationSalarySummary null.
    it = by_id["49ae54dc-3d33-4107-8112-63fac1ee86ca"]
    assert (it.salary_min, it.salary_max, it.salary_period) == (60.58, 108.17, "hour") and it.workplace == "onsite"
    # Empty compensation (compensationTiers: []).
    tokyo = by_id["51b17595-3a70-43be-a333-3a3952303284"]
    assert tokyo.salary_min is None and tokyo.salary_currency is None and "compensation" not in tokyo.extra
    # isRemote null, workplaceType null.
    data_infra = by_id["f763c6b3-5167-4a67-b691-4c3fa2c44156"]
    assert data_infra.workplace == "" and data_infra.posted_at == "2024-06-27T22:14:24.195+00:00"
    for posting in postings:
        assert "<" not in posting.description and posting.description.startswith("About the")


def test_real_capture_trimmed_bare_list(labs):
    path = real_sample("ashby-jobs-trimmed__manojkaipu-job-poller-openai.json")
    tpm, research = ashby.parse(path.read_bytes(), labs["openai"], OPENAI_URL)
    assert tpm.title == "Technical Program Manager, Compute Infrastructure"
    assert (tpm.salary_min, tpm.salary_max) == (257000, 335000)
    assert research.title == "Research Engineer" and research.team == "Research"
    # The salary component comes after the equity one here.
    assert (research.salary_min, research.salary_max, research.salary_period) == (250000, 445000, "year")
    assert research.description.startswith("By applying to this role, you will be considered")


@pytest.mark.parametrize("lab_name, expected", [
    ("openai", {"Research Scientist, Audio", "Research Engineer, Realtime Speech", "IT Support Specialist",
                "Go To Market Lead, EMEA"}),
    ("deepgram", {"Research Scientist, Speech Recognition", "Machine Learning Research Intern, Voice Agents",
                  "Senior Backend Engineer, API Platform"}),
])
async def test_demo_recording_replays(labs, lab_name, expected):
    transport = ReplayTransport.from_files(DEMO / f"{lab_name}.har")
    async with Fetcher(transport) as fetcher:
        ctx = LabContext(labs[lab_name], fetcher)
        postings = await ashby.scrape(ctx)
    assert {p.title for p in postings} == expected  # the unlisted Deepgram draft is skipped
    speech = [p for p in postings if "speech" in p.description.lower() and "research" in p.title.lower()]
    assert speech and all(p.salary_min and p.salary_currency == "USD" for p in speech)
    assert all(p.url.startswith(f"https://jobs.ashbyhq.com/{lab_name}/") for p in postings)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["compensationTiers", "summaryComponents", "components", "compensationType", "interval", "currencyCode", "minValue", "maxValue", "location", "compensationTierSummary"]), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["employmentType", "location", "secondaryLocations", "publishedAt", "isListed", "isRemote", "workplaceType", "jobUrl", "applyUrl", "descriptionHtml", "descriptionPlain", "compensation", "department", "team", "updatedAt"]), value=JSON_VALUES)
def test_any_field_value_never_crashes(labs, field, value):
    job = {**{"id": "x1", "title": "Speech Scientist"}, field: value}
    try:
        posting = ashby.parse_job(job, labs["openai"], "https://x.test/list")
    except ParseError:
        return  # a clear error is fine; a KeyError/TypeError is not
    assert posting is None or (isinstance(posting.title, str) and isinstance(posting.description, str))
