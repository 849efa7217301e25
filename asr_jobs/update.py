"""`asr-jobs update`: the main job in one step: scrape every lab, match, and the new top matches.

A lab that fails keeps its postings (marked uncertain, nothing closed) and the update goes on to matching
and the list; the run reports the failure at the end. Only when every lab failed to connect at all (the
machine seems offline) are matching and the list skipped: nothing changed since the last update.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import sqlite_utils

from .db import queries
from .ingest import LabOutcome, offline_message, scrape_labs
from .matcher.run import MatchRun, run_match
from .models import Lab
from .profiles import DEFAULT_PROFILE
from .scrapers.fetch import LabStats


@dataclass
class UpdateRun:
    """What an update did: each lab's outcome, the match run, and the best new postings of the profile."""

    outcomes: list[LabOutcome]
    match: MatchRun | None = None
    top: list[dict[str, Any]] = field(default_factory=list)
    offline: str | None = None  # the one line saying the machine seems offline, when it does

    @property
    def failed(self) -> list[LabOutcome]:
        return [o for o in self.outcomes if o.failed]


def run_update(db: sqlite_utils.Database, labs: list[Lab], *, profile: str = DEFAULT_PROFILE, limit: int = 10,
               transport: httpx.AsyncBaseTransport | None = None, accept_drop: bool = False,
               on_done: Callable[[LabOutcome], None] | None = None,
               on_start: Callable[[str, LabStats], None] | None = None) -> UpdateRun:
    """Scrape the labs, match every profile, and rank the postings new in this update for `profile`."""
    outcomes = asyncio.run(scrape_labs(db, labs, transport=transport, accept_drop=accept_drop, on_done=on_done,
                                        on_start=on_start))
    run = UpdateRun(outcomes, offline=offline_message(o.kind for o in outcomes))
    if run.offline:
        return run
    run.match = run_match(db)
    run.top = queries.ranked_or_explain(db, profile, only_new=True, limit=limit)
    return run
