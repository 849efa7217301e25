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
        if routes[0] is None:
            assert set(routes) == {None}, name
            continue
        checked.add(lab.adapter)
        for route in routes:
            assert route is not None and normalized_url(route) in requested, (name, route)
    assert {"workday", "eightfold", "apple", "meta", "mit"} <= checked

