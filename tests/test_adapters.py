"""The adapter protocol: every module of scrapers/adapters/ provides it, and its detail route is the one it uses."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from asr_jobs.db import store
from asr_jobs.ingest import scrape_labs
from asr_jobs.models import ADAPTER_FUNCTIONS, ConfigError
from asr_jobs.scrapers import adapters
from asr_jobs.scrapers.har import ReplayTransport, load_har, normalized_url
from asr_jobs.scrapers.registry import adapter, adapter_names, all_adapters

DEMO = Path(__file__).resolve().parent.parent / "asr_jobs" / "demo"


def test_every_adapter_module_provides_the_protocol():
    loaded = all_adapters()
    assert [a.name for a in loaded] == list(adapter_names())
    for each in loaded:
        for member in ADAPTER_FUNCTIONS:
            assert callable(getattr(each, member)), f"{each.name}.{member}"


@pytest.fixture
def adapter_dir(tmp_path, monkeypatch):
    """A folder searched for adapter modules after scrapers/adapters/ (the module is forgotten afterwards)."""
    monkeypatch.setattr(adapters, "__path__", [*adapters.__path__, str(tmp_path)])
    yield tmp_path
    sys.modules.pop(f"{adapters.__name__}.halfway", None)
    adapter.cache_clear()


def test_a_module_missing_a_member_is_an_error_naming_the_file(adapter_dir):
    (adapter_dir / "halfway.py").write_text(
        "def scrape(ctx):\n    return []\n\n"
        "def parse(body, lab, url):\n    return []\n")
    with pytest.raises(ConfigError) as error:
        adapter("halfway")
    message = str(error.value)
    assert str(adapter_dir / "halfway.py") in message
    assert "scrape() must be async" in message
    assert "no function detect()" in message and "no function detail_route()" in message


def test_an_unknown_adapter_names_the_known_ones():
    with pytest.raises(ConfigError, match=r"unknown adapter 'nosuch' \(known: .*greenhouse"):
        adapter("nosuch")


def demo_labs(labs) -> list[str]:
    return sorted(name for name in labs if (DEMO / f"{name}.har").exists())


async def test_detail_route_is_the_request_each_posting_was_completed_by(labs):
    """Replaying a demo recording: a posting's detail route is one of the requests made, or None for boards."""
    checked = set()
    for name in demo_labs(labs):
        lab = labs[name]
        entries = load_har(DEMO / f"{name}.har")
        requested = {normalized_url(e["request"]["url"]) for e in entries}
        db = store.open_db(None)
        (outcome,) = await scrape_labs(db, [lab], transport=ReplayTransport(entries), http_cache=False)
        assert not outcome.failed, outcome.error
        postings = list(store.previous_postings(db, name)[0].values())
        assert postings, name
        routes = [adapter(lab.adapter).detail_route(lab, p) for p in postings]
        if all(route is None for route in routes):  # a board: its listing carries every posting whole
            continue
        checked.add(lab.adapter)
        for posting, route in zip(postings, routes, strict=True):
            if route is None and "careers.peopleclick.com" in posting.url:
                continue  # MIT HR's page is a JavaScript shell: the posting is its listing's link, never requested
            assert route is not None and normalized_url(route) in requested, (name, route)
    assert {"workday", "eightfold", "apple", "meta", "mit"} <= checked



def test_a_labs_headers_go_with_every_request_and_a_calls_own_win(tmp_path):
    """labs.toml `headers` reach the site (Referer, Origin ...); the User-Agent stays ours unless the entry sets it."""
    import asyncio

    import httpx

    from asr_jobs.scrapers.fetch import USER_AGENT, Fetcher, LabContext
    from asr_jobs.scrapers.registry import load_labs

    extra = tmp_path / "labs.toml"
    extra.write_text('[labs.anthropic.headers]\nReferer = "https://example.org/jobs"\nAccept = "text/html"\n')
    lab = load_labs(extra)["anthropic"]
    seen: list[httpx.Headers] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200, json={"jobs": []})

    async def run() -> None:
        fetcher = Fetcher(httpx.MockTransport(answer))
        try:
            ctx = LabContext(lab, fetcher)
            await ctx.send("GET", "https://boards-api.greenhouse.io/v1/boards/anthropic/jobs")
            await ctx.send("GET", "https://boards-api.greenhouse.io/v1/boards/anthropic/jobs", headers={"Accept": "application/json"})
            # Names compare case-insensitively; a call's None leaves the lab's header off.
            await ctx.send("GET", "https://boards-api.greenhouse.io/v1/boards/anthropic/jobs",
                           headers={"accept": "*/*", "Referer": None})
        finally:
            await fetcher.aclose()

    asyncio.run(run())
    assert seen[0]["referer"] == "https://example.org/jobs" and seen[0]["accept"] == "text/html"
    assert seen[0]["user-agent"] == USER_AGENT
    assert seen[1]["accept"] == "application/json" and seen[1]["referer"] == "https://example.org/jobs"
    assert seen[2].get_list("accept") == ["*/*"] and "referer" not in seen[2]


def test_bad_headers_in_a_lab_file_name_the_file_and_the_lab(tmp_path):
    import pytest

    from asr_jobs.models import ConfigError
    from asr_jobs.scrapers.registry import load_labs

    extra = tmp_path / "labs.toml"
    extra.write_text('[labs.anthropic]\nheaders = { Referer = 3 }\n')
    with pytest.raises(ConfigError, match="labs.toml: lab 'anthropic' headers"):
        load_labs(extra)
