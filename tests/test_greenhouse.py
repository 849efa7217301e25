import json
from pathlib import Path

import pytest

from asr_jobs.models import ParseError
from asr_jobs.scrapers.adapters import greenhouse
from asr_jobs.scrapers.fetch import Fetcher, LabContext
from asr_jobs.scrapers.har import ReplayTransport

from .conftest import fixture_bytes, json_transport, real_sample


def test_parse_board_fields(labs):
    postings = greenhouse.parse(fixture_bytes("greenhouse_board.json"), labs["anthropic"], "https://x")
    first, second = postings
    assert first.source_id == "123"
    assert first.title == "Research Scientist, Speech"
    assert first.location == "NYC; SF | Seattle"
    assert first.team == "Research"
    assert first.workplace == "hybrid"
    assert first.url == "https://job-boards.greenhouse.io/acme/jobs/123"
    assert first.posted_at == "2026-10-01T09:00:00-04:00"
    assert first.updated_at == "2026-11-02T10:00:00-04:00"
    assert first.description.splitlines()[:4] == [
        "About us & our mission.",
        "",
        "About the role:",
        "",
    ]
    assert "You'll research streaming ASR with RNN-T & CTC." in first.description
    assert "- Train Conformer encoders\n- Publish at Interspeech" in first.description
    for junk in ("<", "&nbsp;", "&amp;", "&#39;", "alert("):
        assert junk not in first.description
    assert second.workplace == "remote" and second.posted_at is None and second.team == ""


def test_ids_are_stable_and_lab_scoped(labs):
    a = greenhouse.parse(fixture_bytes("greenhouse_board.json"), labs["anthropic"], "u")[0]
    b = greenhouse.parse(fixture_bytes("greenhouse_board.json"), labs["ai2"], "u")[0]
    assert a.id == "660b5e0392cb106e"  # sha1 of "anthropic\x1f123": the same on every machine
    assert a.id == greenhouse.parse(fixture_bytes("greenhouse_board.json"), labs["anthropic"], "u")[0].id
    assert a.id != b.id


@pytest.mark.parametrize(
    "body, message",
    [
        (b"<html><body>Please log in</body></html>", "HTML where JSON was expected"),
        (b"", "empty body"),
        (b'{"jobs": [', "invalid JSON"),
        (b'{"error": "nope"}', "expected a Greenhouse board"),
        (b'{"jobs": [{"id": 1}]}', "has no 'title'"),
        (b'{"jobs": "x"}', "'jobs' should be list"),
    ],
)
def test_bad_bodies_raise_parse_error_naming_lab_and_url(labs, body, message):
    with pytest.raises(ParseError) as err:
        greenhouse.parse(body, labs["anthropic"], "https://boards-api.greenhouse.io/v1/boards/anthropic/jobs?content=true")
    text = str(err.value)
    assert message in text and text.startswith("anthropic:") and "boards-api.greenhouse.io" in text


async def test_scrape_requests_exact_board_url(labs):
    url = "https://boards-api.greenhouse.io/v1/boards/anthropic/jobs?content=true"
    async with Fetcher(json_transport({url: json.loads(fixture_bytes("greenhouse_board.json"))})) as fetcher:
        ctx = LabContext(labs["anthropic"], fetcher)
        postings = await greenhouse.scrape(ctx)
    assert [p.source_id for p in postings] == ["123", "456"]
    assert ctx.stats.requests == 1


def test_real_capture_full_board(labs):
    path = real_sample("greenhouse-list-content-full__olinares-jobhunt-anthropic.json")
    postings = greenhouse.parse(path.read_bytes(), labs["anthropic"], "u")
    assert len(postings) == 4
    fde = postings[0]
    assert fde.source_id == "5302966008"
    assert fde.title == "Forward Deployed Engineer"
    assert fde.location == "New York City, NY; San Francisco, CA; Seattle, WA"
    assert fde.team == "Applied AI"
    assert fde.posted_at == "2026-08-12T16:21:16-04:00"
    assert fde.description.startswith("About Anthropic\n")
    assert "- Provide white glove deployment support" in fde.description
    assert all("&lt;" not in p.description and "<p>" not in p.description for p in postings)


def test_real_capture_bare_list_without_content(labs):
    path = real_sample("greenhouse-list-nocontent__manojkaipu-job-poller-anthropic.json")
    postings = greenhouse.parse(path.read_bytes(), labs["anthropic"], "u")
    assert len(postings) == 2 and all(p.title and p.url.startswith("https://") for p in postings)


def test_real_capture_single_job(labs):
    path = real_sample("greenhouse-job-single-trimmed__rahul-k-r-jobwatch-bot-anthropic.json")
    (posting,) = greenhouse.parse(path.read_bytes(), labs["anthropic"], "u")
    assert posting.source_id == "5391151008"


def test_speechmatics_is_a_greenhouse_board(labs):
    lab = labs["speechmatics"]
    assert lab.adapter == "greenhouse" and lab.params == {"token": "speechmatics"}
    assert greenhouse.board_url(lab) == "https://boards-api.greenhouse.io/v1/boards/speechmatics/jobs?content=true"


async def test_speechmatics_demo_recording_replays(labs):
    transport = ReplayTransport.from_files(Path(__file__).resolve().parent.parent / "asr_jobs" / "demo" / "speechmatics.har")
    async with Fetcher(transport) as fetcher:
        postings = await greenhouse.scrape(LabContext(labs["speechmatics"], fetcher))
    titles = {p.title: p for p in postings}
    assert set(titles) == {"Senior Speech Recognition Research Scientist", "Research Intern - Speaker Diarization",
                           "Senior Software Engineer - Real-time Platform", "Customer Success Manager"}
    scientist = titles["Senior Speech Recognition Research Scientist"]
    assert scientist.company == "Speechmatics" and scientist.team == "Machine Learning"
    assert scientist.url == "https://job-boards.eu.greenhouse.io/speechmatics/jobs/4602811101"
    assert "- Pretrain speech foundation models on millions of hours of unlabelled audio" in scientist.description
    assert titles["Senior Software Engineer - Real-time Platform"].workplace == "remote"
