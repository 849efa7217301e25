"""Scrape benchmark: every built-in lab against the local sample-site server with injected latency.

Three runs over the same served data: the concurrent scraper (labs in parallel, each host within its
lab's limits), a sequential run (labs one after another, one request at a time), and a re-scrape of
the concurrent run's database with nothing changed (conditional requests, no detail requests).
The lower bound is the slowest host's own queue under the same (scaled) limits.
"""

from __future__ import annotations

import asyncio
import math
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asr_jobs.db import store
from asr_jobs.db.http_cache import HttpCache
from asr_jobs.ingest import scrape_labs
from asr_jobs.models import Lab
from asr_jobs.samplesites.server import LoopbackTransport, ServerProcess, labs_toml
from asr_jobs.samplesites.sites import build, served, virtual_host
from asr_jobs.scrapers.fetch import Fetcher
from asr_jobs.scrapers.registry import load_labs

LATENCY = 0.05  # seconds the server waits before each answer
INTERVAL_SCALE = 0.08  # every lab's politeness interval is multiplied by this for the benchmark
# Columns that say what was stored; first_seen/last_seen are times of the run and differ by nature.
STORED = ("id", "lab", "source_id", "title", "company", "team", "location", "workplace", "employment_type", "url",
          "description", "posted_at", "updated_at", "salary_min", "salary_max", "salary_currency", "salary_period",
          "seniority", "content_hash", "listing_key", "status", "extra")


def labs_config(port: int, *, scale: float = INTERVAL_SCALE, sequential: bool = False,
                names: list[str] | None = None) -> str:
    """A --labs style TOML file: every lab pointed at the local server, intervals scaled (concurrency 1 if sequential)."""
    labs = {name: lab for name, lab in served(load_labs()).items() if not names or name in names}
    settings = {name: {"interval": lab.politeness.interval * scale,
                       "concurrency": 1 if sequential else lab.politeness.concurrency} for name, lab in labs.items()}
    return labs_toml({name: f"{lab.params['base_url']}:{port}" for name, lab in labs.items()}, settings=settings)


def load_config(text: str, directory: Path, name: str) -> dict[str, Lab]:
    """The labs of a generated lab file (written to directory/name, as a user's --labs file would be)."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    chosen = {line[6:-1] for line in text.splitlines() if line.startswith("[labs.") and "params" not in line}
    return {n: lab for n, lab in load_labs(path).items() if n in chosen}


def host_bound(requests: int, concurrency: int, interval: float, latency: float) -> float:
    """Least time for `requests` to one host: starts `interval` apart, at most `concurrency` in flight."""
    if requests <= 0:
        return 0.0
    by_interval = (requests - 1) * interval
    by_concurrency = (math.ceil(requests / max(1, concurrency)) - 1) * latency
    return max(by_interval, by_concurrency) + latency


@dataclass
class Run:
    """One timed scrape and what the server counted of it."""

    seconds: float
    cpu_seconds: float
    requests: int
    not_modified: int
    bytes: int
    hosts: dict[str, Any]
    failed: list[str]
    postings: int


async def scrape_into(db_path: Path, labs: list[Lab], *, one_by_one: bool) -> tuple[float, float, list]:
    """Scrape labs into a database as `asr-jobs scrape` does (conditional requests included): wall, CPU, outcomes."""
    db = store.open_db(db_path)
    fetcher = Fetcher(LoopbackTransport(), cache=HttpCache(db))
    started, cpu = time.perf_counter(), time.process_time()
    try:
        if one_by_one:
            outcomes = []
            for lab in labs:
                outcomes += await scrape_labs(db, [lab], fetcher=fetcher)
        else:
            outcomes = await scrape_labs(db, labs, fetcher=fetcher)
    finally:
        await fetcher.aclose()
    return time.perf_counter() - started, time.process_time() - cpu, outcomes


def measured(server: ServerProcess, db_path: Path, labs: list[Lab], *, one_by_one: bool = False) -> Run:
    """One scrape of `labs` into `db_path`, timed, with the server's counts of what it was asked."""
    server.reset()
    seconds, cpu, outcomes = asyncio.run(scrape_into(db_path, labs, one_by_one=one_by_one))
    stats = server.stats()
    if stats["misses"]:
        raise RuntimeError(f"the scraper asked for pages the benchmark does not serve: {stats['misses'][:5]}")
    hosts = stats["hosts"]
    db = store.open_db(db_path)
    return Run(seconds=seconds, cpu_seconds=cpu, requests=sum(h["requests"] for h in hosts.values()),
               not_modified=sum(h["not_modified"] for h in hosts.values()),
               bytes=sum(h["bytes"] for h in hosts.values()), hosts=hosts,
               failed=[f"{o.lab}: {o.error}" for o in outcomes if o.failed], postings=db["postings"].count)


def stored_rows(db_path: Path) -> list[tuple]:
    """Every stored posting's fields, sorted: two scrapes stored the same when these are equal."""
    db = store.open_db(db_path)
    return sorted(tuple(row[c] for c in STORED) for row in db.query(f"SELECT {', '.join(STORED)} FROM postings"))


def host_limits(labs: list[Lab]) -> dict[str, Any]:
    """Each virtual host's politeness (the first lab on a host sets its gate, as in Fetcher)."""
    limits: dict[str, Any] = {}
    for lab in labs:
        limits.setdefault(virtual_host(lab), lab.politeness)
    return limits


# Clock resolution between the client's and the server's stamps: the one allowance below a host's interval
# (as tests/test_scrape_performance.py allows). The interval is a promise to the site: no gap may be shorter.
ARRIVAL_SLACK = 0.001


def respected(politeness: Any, seen: dict[str, Any]) -> bool:
    """Whether a host never had more requests in flight than allowed, nor two arrivals closer than the interval.

    The server stamps each request with the kernel's receive time; gaps may fall short of the interval by
    ARRIVAL_SLACK (clock resolution) and no more. Unpaced requests arrive within a millisecond.
    """
    if seen["max_in_flight"] > politeness.concurrency:
        return False
    if seen["min_gap"] is None or politeness.interval <= 0:
        return True
    return seen["min_gap"] >= politeness.interval - ARRIVAL_SLACK


def lower_bound(labs: list[Lab], hosts: dict[str, Any], latency: float) -> tuple[float, str]:
    """The slowest host's own queue: (seconds, host)."""
    limits = host_limits(labs)
    bounds = {host: host_bound(h["requests"], limits[host].concurrency, limits[host].interval, latency)
              for host, h in hosts.items() if host in limits}
    host = max(bounds, key=lambda name: bounds[name])
    return bounds[host], host


def run(scale: float = 1.0, latency: float = LATENCY, interval_scale: float = INTERVAL_SCALE,
        keep: Path | None = None) -> dict[str, Any]:
    """The three runs; figures and ratios as a dict (databases and lab files kept in `keep` if given)."""
    routes, served_postings = build(served(load_labs()), scale)
    with tempfile.TemporaryDirectory(prefix="asr-jobs-bench-") as tmp, ServerProcess(routes, latency) as server:
        directory = keep or Path(tmp)
        concurrent_labs = list(load_config(labs_config(server.port, scale=interval_scale), directory,
                                           "labs-concurrent.toml").values())
        sequential_labs = list(load_config(labs_config(server.port, scale=interval_scale, sequential=True), directory,
                                           "labs-sequential.toml").values())
        first = measured(server, directory / "concurrent.db", concurrent_labs)
        again = measured(server, directory / "concurrent.db", concurrent_labs)
        sequential = measured(server, directory / "sequential.db", sequential_labs, one_by_one=True)
        same = stored_rows(directory / "concurrent.db") == stored_rows(directory / "sequential.db")
    bound, slowest = lower_bound(concurrent_labs, first.hosts, latency)
    limits = host_limits(concurrent_labs)
    return {
        "labs": len(concurrent_labs), "hosts": len(first.hosts), "postings_served": sum(served_postings.values()),
        "postings_stored": first.postings, "latency_s": latency, "interval_scale": interval_scale,
        "concurrent_s": round(first.seconds, 3), "concurrent_cpu_s": round(first.cpu_seconds, 3),
        "sequential_s": round(sequential.seconds, 3), "sequential_cpu_s": round(sequential.cpu_seconds, 3),
        "workers": 0 if (os.cpu_count() or 1) < 2 or os.environ.get("ASR_JOBS_WORKERS", "").strip() == "1" else 1,
        "bound_s": round(bound, 3), "bound_host": slowest,
        "ratio_to_bound": round(first.seconds / bound, 3), "speedup_vs_sequential": round(sequential.seconds / first.seconds, 2),
        "requests": first.requests, "bytes": first.bytes, "failed": first.failed + sequential.failed,
        "same_postings_as_sequential": same,
        "rescrape_requests": again.requests, "rescrape_not_modified": again.not_modified,
        "rescrape_bytes": again.bytes, "rescrape_s": round(again.seconds, 3),
        "rescrape_request_share": round(again.requests / first.requests, 4),
        "rescrape_byte_share": round(again.bytes / first.bytes, 4),
        "limits_respected": all(respected(limits[h], s) for h, s in first.hosts.items()),
        "max_in_flight": {h: s["max_in_flight"] for h, s in sorted(first.hosts.items())},
        "min_gap_ms": {h: round(s["min_gap"] * 1000, 1) if s["min_gap"] is not None else None
                       for h, s in sorted(first.hosts.items())},
        "interval_ms": {h: round(limits[h].interval * 1000, 1) for h in sorted(first.hosts)},
        "per_host": {h: {"requests": s["requests"], "rescrape_requests": again.hosts.get(h, {}).get("requests", 0),
                         "rescrape_not_modified": again.hosts.get(h, {}).get("not_modified", 0)}
                     for h, s in sorted(first.hosts.items())},
    }
