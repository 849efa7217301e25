"""The concurrent scrape of every built-in lab against the local sample-site server (bench/): what it stores, what the
server saw of its politeness, and what a re-scrape with nothing changed asks for. No timings are asserted."""

from __future__ import annotations

import re

import pytest

from asr_jobs.db import store
from asr_jobs.samplesites.server import ServerProcess
from asr_jobs.samplesites.sites import build, served, virtual_host
from asr_jobs.scrapers.fetch import Fetcher, HostGate
from asr_jobs.scrapers.registry import load_labs
from bench.scrape import host_limits, labs_config, load_config, scrape_into, stored_rows

pytestmark = pytest.mark.slow
# Postings per lab of each career system: small, but enough for second pages of queries (Workday 20,
# Eightfold 10, Google 20, Apple 20 per page); other systems serve 5.
SIZES = {"workday": 45, "eightfold": 30, "amazon": 20, "apple": 45, "google": 45, "meta": 20, "mit": 12}
INTERVAL_SCALE = 0.05  # Eightfold 50 ms, Workday 25 ms: real gaps, still a fast test
# How much closer the server may stamp two arrivals than the interval. The client starts each request's interval
# when the previous request's write has returned, and the kernel stamps a request's bytes on loopback as they are
# written, so the stamps are at least the interval apart; the slack only covers comparing the client's monotonic
# clock with the kernel's wall-clock stamps (float rounding, well under a millisecond). Not scheduling: a loaded
# server reading a request late no longer moves its stamp.
ARRIVAL_SLACK = 0.001
# Requests for one posting's own page, which a re-scrape of unchanged listings must not make.
DETAIL = re.compile(r"^GET (/wday/cxs/[^ ]*/job/|/api/pcsx/position_details|/api/v1/jobDetails/|/jobs/\d+/|/profile/job_details/|"
                    r"/jobs/bench-|/opportunities/bench-)")


@pytest.fixture(scope="module")
def server():
    labs = served(load_labs())
    routes, _ = build(labs, sizes={name: SIZES.get(lab.adapter, 5) for name, lab in labs.items()})
    with ServerProcess(routes, latency=0.002) as running:
        yield running


def spied_gates(monkeypatch) -> dict[str, HostGate]:
    """The host gates the scrape makes, by host, for what the client measured."""
    gates: dict[str, HostGate] = {}
    made = Fetcher.gate

    def gate(self: Fetcher, host: str, politeness) -> HostGate:
        gates[host] = made(self, host, politeness)
        return gates[host]

    monkeypatch.setattr(Fetcher, "gate", gate)
    return gates


def labs_for(server, tmp_path, *, sequential: bool):
    text = labs_config(server.port, scale=0.0 if sequential else INTERVAL_SCALE, sequential=sequential)
    return list(load_config(text, tmp_path, "sequential.toml" if sequential else "labs.toml").values())


async def test_concurrent_scrape_stores_what_a_sequential_one_does_within_every_host_limit(server, tmp_path, monkeypatch):
    labs = labs_for(server, tmp_path, sequential=False)
    gates = spied_gates(monkeypatch)
    server.reset()
    _, _, outcomes = await scrape_into(tmp_path / "concurrent.db", labs, one_by_one=False)
    assert [o.lab for o in outcomes if o.status != "ok"] == []
    seen = server.stats()
    assert seen["misses"] == []
    limits = host_limits(labs)
    for host, stats in seen["hosts"].items():
        politeness = limits[host]
        assert stats["max_in_flight"] <= politeness.concurrency, host
        if politeness.interval and stats["requests"] > 1:
            # The client never starts writing two requests to a host closer than its interval (its own clock).
            assert gates[host].min_gap >= politeness.interval, (host, gates[host].min_gap)
            # Arrivals as the server's kernel stamped them (SO_TIMESTAMPNS), however late a loaded server reads
            # them: at most ARRIVAL_SLACK closer than the writes (the clocks' resolution and the kernel's stamp).
            assert stats["min_gap"] >= politeness.interval - ARRIVAL_SLACK, (host, stats["min_gap"])
    # Concurrency is used: the labs on one host (the Greenhouse boards) share it, and the hosts' queues run side by side.
    hosts = [virtual_host(lab) for lab in labs]
    shared = max(set(hosts), key=hosts.count)
    assert hosts.count(shared) > 1 and seen["hosts"][shared]["max_in_flight"] > 1
    first_to_finish = min(s["last"] for s in seen["hosts"].values() if s["requests"] > 10)
    assert sum(s["first"] < first_to_finish for s in seen["hosts"].values()) >= 10

    # One request at a time, lab after lab: the same postings, field for field.
    sequential = labs_for(server, tmp_path, sequential=True)
    server.reset()
    await scrape_into(tmp_path / "sequential.db", sequential, one_by_one=True)
    assert all(s["max_in_flight"] == 1 for s in server.stats()["hosts"].values())
    rows = stored_rows(tmp_path / "concurrent.db")
    assert rows == stored_rows(tmp_path / "sequential.db")
    assert len(rows) > 200 and {r[1] for r in rows} == {lab.name for lab in labs}  # every lab stored postings


async def test_a_rescrape_with_nothing_changed_asks_only_for_listings(server, tmp_path):
    labs = labs_for(server, tmp_path, sequential=False)
    db_path = tmp_path / "jobs.db"
    server.reset()
    await scrape_into(db_path, labs, one_by_one=False)
    first = server.stats()["hosts"]
    server.reset()
    _, _, outcomes = await scrape_into(db_path, labs, one_by_one=False)
    again = server.stats()["hosts"]
    assert all(o.status == "ok" for o in outcomes)
    asked = [path for stats in again.values() for path in stats["paths"]]
    assert [p for p in asked if DETAIL.match(p)] == []  # no detail request for an unchanged listing
    assert any(DETAIL.match(p) for stats in first.values() for p in stats["paths"])
    # Every GET listing with a validator came back 304; the POST searches (Workday, Apple, Meta) cannot.
    for host, stats in again.items():
        gets = [p for p in stats["paths"] if p.startswith("GET ")]
        tokens = [p for p in gets if p in ("GET /api/v1/CSRFToken", "GET /jobsearch/")]  # asked fresh (no-store)
        assert stats["not_modified"] == len(gets) - len(tokens), host
    requests = sum(s["requests"] for s in again.values())
    assert requests < 0.3 * sum(s["requests"] for s in first.values())
    db = store.open_db(db_path)
    assert db.execute("SELECT count(*) FROM postings WHERE status != 'open'").fetchone()[0] == 0
