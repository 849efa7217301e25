import dataclasses
import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asr_jobs.models import ParseError, Politeness, ScrapeError
from asr_jobs.samplesites.transport import sample_transport
from asr_jobs.scrapers.adapters import workable
from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy
from asr_jobs.scrapers.registry import load_labs

from .conftest import fixture_bytes, real_sample

URL = "https://apply.workable.com/api/v1/widget/accounts/acmevoice?details=true"
# No built-in lab is on Workable (Speechmatics is on Greenhouse): a lab of one's own, as labs.toml's comment shows it.
OWN_LAB = """[labs.acme-voice]
title = "Acme Voice"
adapter = "workable"
params = { account = "acmevoice" }
concurrency = 1
interval = 5.0
"""


@pytest.fixture(scope="module")
def acme(tmp_path_factory):
    path = tmp_path_factory.mktemp("labs") / "labs.toml"
    path.write_text(OWN_LAB)
    return load_labs(path)["acme-voice"]


def test_parse_account_fields(acme):
    postings = workable.parse(fixture_bytes("workable_account.json"), acme, URL)
    assert [p.source_id for p in postings] == ["A1B2C3D4E5", "F6E5D4C3B2", "0C0FFEE123", "9988776655"]  # duplicate dropped
    scientist = postings[0]
    assert scientist.title == "Senior Research Scientist - Speech Recognition"
    assert scientist.url == "https://apply.workable.com/j/A1B2C3D4E5"
    assert scientist.company == "Acme Speech"
    assert scientist.team == "Research"
    assert scientist.location == "Cambridge, England, United Kingdom; London, England, United Kingdom"  # hidden one skipped
    assert scientist.employment_type == "full-time" and scientist.workplace == ""
    assert scientist.posted_at == "2026-10-08"
    assert scientist.description == (
        "About the role\n\nTrain self-supervised speech models & end-to-end ASR for 50+ languages.\n\n"
        "- Conformer / RNN-T research\n- Publish at Interspeech & ICASSP\n\nSalary: £95,000 - £120,000"
    )
    assert scientist.salary_min is None  # pay in text only: the matcher parses it
    assert scientist.extra == {"application_url": "https://apply.workable.com/j/A1B2C3D4E5/apply",
                               "created_at": "2026-09-30", "experience": "Mid-Senior level", "code": "RS-042"}


def test_parse_value_variants(acme):
    _, remote, intern, office = workable.parse(fixture_bytes("workable_account.json"), acme, URL)
    # telecommuting, no place at all, department null, experience null
    assert (remote.workplace, remote.location, remote.team, remote.employment_type) == ("remote", "Remote", "", "contract")
    assert "experience" not in remote.extra
    # employment_type "Other" with experience "Internship"
    assert intern.employment_type == "intern" and intern.location == "Cambridge, England, United Kingdom"
    # employment_type "", no locations key, published_on null -> created_at; plain-text description
    assert office.employment_type == "" and office.location == "Cambridge, England, United Kingdom"
    assert office.posted_at == "2026-06-02" and office.description == "Keeps the Cambridge office running."


@pytest.mark.parametrize(
    "body, message",
    [
        (b"<!DOCTYPE html><title>Just a moment...</title>", "HTML where JSON was expected"),
        (b"", "empty body"),
        (b'{"name": "x", "jobs": [', "invalid JSON"),
        (b'[{"shortcode": "A"}]', "expected a Workable account"),
        (b'{"name": "x", "jobs": null}', "'jobs' should be list"),
        (b'{"jobs": [{"title": "Speech"}]}', "jobs[0] has no 'shortcode'"),
        (b'{"jobs": [{"shortcode": "A", "title": ""}]}', "jobs[0] has no 'title'"),
        (b'{"jobs": ["A"]}', "jobs[0] is str"),
    ],
)
def test_bad_bodies_raise_parse_error_naming_lab_and_url(acme, body, message):
    with pytest.raises(ParseError) as err:
        workable.parse(body, acme, URL)
    text = str(err.value)
    assert message in text and text.startswith("acme-voice:") and "accounts/acmevoice?details=true" in text


def test_a_lab_of_ones_own_and_its_url(labs, acme):
    lab = acme
    assert lab.adapter == "workable" and workable.account_url(lab) == URL
    assert lab.politeness == Politeness(1, 5.0)
    assert not [name for name, built_in in labs.items() if built_in.adapter == "workable"]
    mirror = dataclasses.replace(lab, params={"account": "Acme Labs", "base_url": "http://localhost:9000/"})
    assert workable.account_url(mirror) == "http://localhost:9000/api/v1/widget/accounts/Acme%20Labs?details=true"


async def test_scrape_requests_exact_url_once(acme):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=fixture_bytes("workable_account.json"))

    lab = dataclasses.replace(acme, politeness=Politeness(1, 0.0))
    async with Fetcher(httpx.MockTransport(handler)) as fetcher:
        ctx = LabContext(lab, fetcher)
        postings = await workable.scrape(ctx)
    assert seen == [URL] and len(postings) == 4


async def test_scrape_rate_limit_error_names_lab_url_and_cause(acme):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, text="error code: 1015")

    lab = dataclasses.replace(acme, politeness=Politeness(1, 0.0))
    async with Fetcher(httpx.MockTransport(handler), retry=RetryPolicy(attempts=1)) as fetcher:
        ctx = LabContext(lab, fetcher)
        with pytest.raises(ScrapeError) as err:
            await workable.scrape(ctx)
    assert str(err.value) == f"acme-voice: HTTP 429: error code: 1015, gave up after 1 attempt(s) ({URL})"
    assert ctx.stats.rate_limited


def test_detect():
    assert workable.detect({}, URL)
    assert workable.detect(json.loads(fixture_bytes("workable_account.json")), "")
    assert not workable.detect({"jobs": [{"id": 1}]}, "")


def test_real_capture_details(acme):
    path = real_sample("workable-widget-details__jashanjodhb-jobwatch-ponyai.json")
    postings = workable.parse(path.read_bytes(), acme, URL)
    assert len(postings) == 5 and all(p.company == "pony.ai" for p in postings)
    by_code = {p.source_id: p for p in postings}
    behavior = by_code["EF5F79EB04"]
    assert behavior.title == "(Senior) Software Engineer - Behavior"
    assert behavior.team == "" and behavior.employment_type == "full-time"  # department null
    assert behavior.location == "Fremont, California, United States" and behavior.posted_at == "2026-07-31"
    assert behavior.description.startswith("Founded in 2016 in Silicon Valley, Pony.ai")
    intern = by_code["4C1F53EF5D"]  # employment_type "Other", experience "Internship"
    assert intern.title == "Research Intern - Deep Learning" and intern.employment_type == "intern"
    assert "- PhD: $10,000/month" in intern.description
    assert by_code["0EB3640D71"].employment_type == "intern"  # "Part-time" HR intern
    assert by_code["6D152E1BFA"].extra["created_at"] == "2024-05-22"
    assert "experience" not in by_code["6D152E1BFA"].extra  # experience null
    assert "experience" not in by_code["B61A865299"].extra  # experience ""
    assert all("<" not in p.description for p in postings)


def test_real_capture_without_details(acme):
    path = real_sample("workable-widget-account__konstantinosanagn-ergon-zego.json")
    first, second, third = workable.parse(path.read_bytes(), acme, URL)
    assert first.source_id == "0897A038EC" and first.employment_type == "" and first.description == ""
    assert first.location == "Halifax, England, United Kingdom" and first.team == "Claims and Fraud"
    assert second.employment_type == "full-time" and second.posted_at == "2025-09-04"
    assert third.company == "Zego"


def test_real_capture_trimmed_jobs(acme):
    path = real_sample("workable-widget-trimmed__leolaborie-claude-apply-huggingface.json")
    robotics, cloud, wild = workable.parse(path.read_bytes(), acme, URL)
    assert robotics.location == "Paris, France" and robotics.workplace == "" and robotics.posted_at is None
    assert cloud.workplace == "remote"
    assert (wild.title, wild.location, wild.url) == ("Wild Card", "Remote", "https://apply.workable.com/j/0BD8C06DB3")


async def test_the_sample_account_scrapes(acme):
    lab = dataclasses.replace(acme, politeness=Politeness(1, 0.0))
    async with Fetcher(sample_transport({lab.name: lab}, sizes={lab.name: 4})) as fetcher:
        postings = await workable.scrape(LabContext(lab, fetcher))
    titles = {p.title: p for p in postings}
    assert set(titles) == {"Senior Speech Recognition Research Scientist", "Research Intern - Speaker Diarization",
                           "Senior Software Engineer - Real-time Platform", "Customer Success Manager"}
    scientist = titles["Senior Speech Recognition Research Scientist"]
    assert scientist.company == "Acme Voice" and scientist.team == "Machine Learning"
    assert scientist.location == "Cambridge, England, United Kingdom; London, England, United Kingdom"
    assert "- Pretrain speech foundation models on millions of hours of unlabelled audio" in scientist.description
    assert titles["Research Intern - Speaker Diarization"].employment_type == "intern"
    assert titles["Senior Software Engineer - Real-time Platform"].workplace == "remote"
    assert titles["Customer Success Manager"].employment_type == "part-time"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["city", "region", "country", "hidden", "countryCode"]), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["url", "shortlink", "application_url", "department", "locations", "city", "state", "country", "telecommuting", "employment_type", "experience", "published_on", "created_at", "description", "code"]), value=JSON_VALUES)
def test_any_field_value_never_crashes(acme, field, value):
    job = {**{"shortcode": "AB12", "title": "Speech Scientist"}, field: value}
    try:
        posting = workable.parse_job(job, acme, "https://x.test/list")
    except ParseError:
        return  # a clear error is fine; a KeyError/TypeError is not
    assert posting is None or (isinstance(posting.title, str) and isinstance(posting.description, str))
