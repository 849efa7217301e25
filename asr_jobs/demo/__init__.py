"""The offline demo: the bundled SAMPLE recordings (<lab>.har beside this file) replayed into a fresh database,
matched against the built-in profiles and ranked.

The postings in the recordings are sample data written for the demo in each career site's real format
(tools/build_demo.py writes them); nothing in them was scraped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..db import queries, store
from ..db.schema import DEMO_MARKER
from ..ingest import LabOutcome, scrape_labs
from ..matcher import match_db
from ..models import Lab
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


def run_demo(path: str | Path = "demo.db", profile: str = "asr-research", limit: int = 10, *,
             on_start: Callable[[list[Lab]], None] | None = None) -> DemoRun:
    """Replay the recordings into a new database at `path` (replacing one there), match, rank for `profile`.

    `on_start` hears which labs are about to be replayed, before the work starts.
    """
    path = Path(path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
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
