"""The offline demo: the bundled SAMPLE recordings (<lab>.har beside this file) replayed into a fresh database,
matched against the built-in profiles and ranked.

The postings in the recordings are sample data written for the demo in each career site's real format
(tools/build_demo.py writes them); nothing in them was scraped.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..db import queries, store
from ..db.schema import DEMO_MARKER
from ..ingest import LabOutcome, scrape_labs
from ..matcher import match_db
from ..models import ConfigError, Lab
from ..profiles import load_profiles, save_profiles
from ..scrapers.har import ReplayTransport, load_har
from ..scrapers.registry import load_labs

DEMO_DIR = Path(__file__).parent


@dataclass
class DemoRun:
    """What the demo did: the database it wrote, each lab's outcome, and the top postings of the profile."""

    path: Path
    outcomes: list[LabOutcome] = field(default_factory=list)
    top: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(o.failed for o in self.outcomes)


def recorded_labs() -> list[Lab]:
    """The built-in labs that have a bundled recording, in the registry's order."""
    return [lab for name, lab in load_labs().items() if (DEMO_DIR / f"{name}.har").exists()]


def made_by_demo(path: Path) -> bool:
    """Whether the SQLite file at `path` carries the demo's marker (opened read-only: nothing is written)."""
    try:
        with open(path, "rb") as file:
            if file.read(16) != b"SQLite format 3\x00":
                return False
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", [DEMO_MARKER[0]]).fetchone()
        finally:
            conn.close()
    except (OSError, sqlite3.Error):
        return False
    return row is not None and row[0] == DEMO_MARKER[1]


def remove_earlier_demo(path: Path) -> None:
    """Delete an earlier demo's database (and its -wal, -shm); a ConfigError for any other file at `path`."""
    if path.exists() and not made_by_demo(path):
        what = "a directory" if path.is_dir() else "a database the demo did not make" if _is_sqlite(path) \
            else "not a demo database"
        raise ConfigError(f"{path} exists and is {what}: the demo replaces only its own database; "
                          "pass another file with --db (or delete it yourself if an older release's demo made it)")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _is_sqlite(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(16) == b"SQLite format 3\x00"


def run_demo(path: str | Path = "demo.db", profile: str = "asr-research", limit: int = 10, *,
             on_start: Callable[[list[Lab]], None] | None = None) -> DemoRun:
    """Replay the recordings into a new database at `path`, match, rank for `profile`.

    A file at `path` is replaced only if an earlier demo made it (a ConfigError otherwise).
    `on_start` hears which labs are about to be replayed, before the work starts.
    """
    path = Path(path)
    remove_earlier_demo(path)
    labs = recorded_labs()
    if on_start is not None:
        on_start(labs)
    db = store.open_db(path)
    # Marked first, so that a demo interrupted halfway can still be replaced by the next one.
    db.table("meta").upsert({"key": DEMO_MARKER[0], "value": DEMO_MARKER[1]}, pk="key")
    entries = [entry for lab in labs for entry in load_har(DEMO_DIR / f"{lab.name}.har")]
    outcomes = asyncio.run(scrape_labs(db, labs, transport=ReplayTransport(entries)))
    profiles = load_profiles()
    save_profiles(db, profiles)
    match_db(db, profiles)
    return DemoRun(path, outcomes, queries.ranked(db, profile, limit=limit))
