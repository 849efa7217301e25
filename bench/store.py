"""Import/upsert throughput and `asr-jobs jobs` latency on a database of real postings."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from asr_jobs.db import queries, store

from .corpus import fill

ROOT = Path(__file__).resolve().parent.parent
JOBS_RUNS = 5


def imported(db_path: Path, corpus: Path, count: int | None) -> dict[str, Any]:
    """Import into a new database, then the same again (nothing changed): postings per second of each."""
    started = time.perf_counter()
    first = fill(db_path, corpus, count)
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = fill(db_path, corpus, count)
    again_seconds = time.perf_counter() - started
    return {"postings": first.seen, "import_s": round(first_seconds, 2),
            "import_per_s": round(first.seen / first_seconds), "reimport_unchanged_s": round(again_seconds, 2),
            "reimport_per_s": round(again.seen / again_seconds), "reimport_unchanged": again.unchanged}


def jobs_latency(db_path: Path, profile: str = "asr-research") -> dict[str, Any]:
    """The ranked query in this process (median of runs), and the whole `asr-jobs jobs` command (startup included)."""
    db = store.open_db(db_path)
    variants = {"default": {}, "--new": {"only_new": True}, "--lab": {"labs": ["remote"]},
                "--status closed": {"status": "closed"}, "--limit 0": {"limit": 0}}
    query_ms = {}
    for name, options in variants.items():
        times = []
        for _ in range(JOBS_RUNS):
            started = time.perf_counter()
            queries.ranked(db, profile, **options)
            times.append(time.perf_counter() - started)
        query_ms[name] = round(statistics.median(times) * 1000, 1)
    db.conn.close()
    # What the asr-jobs script runs: the interpreter starts, imports the CLI, queries, prints the table.
    command = [sys.executable, "-c", "from asr_jobs.cli import cli; cli()", "jobs", "--db", str(db_path),
               "--profile", profile]
    wall = []
    for _ in range(JOBS_RUNS):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=_plain_env())
        wall.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise RuntimeError(f"asr-jobs jobs failed: {done.stderr[-1000:]}")
    return {"query_ms": query_ms, "command_s": round(statistics.median(wall), 3)}


def _plain_env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1", "COLUMNS": "160"}
