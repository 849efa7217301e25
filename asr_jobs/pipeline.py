"""One scrape run: labs fetched concurrently, each parsed, enriched and stored on its own."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import sqlite_utils

from .db import filtered, store
from .db.http_cache import HttpCache
from .enrich import posting_fields
from .models import Lab, Posting, ScrapeError
from .scrapers.fetch import Fetcher, LabContext, LabStats
from .scrapers.har import RecordingTransport
from .scrapers.registry import adapter_module
from .workers import in_worker


@dataclass
class LabOutcome:
    """What happened to one lab in a run; `status` is ok, partial, suspicious or failed."""

    lab: str
    status: str = "ok"
    saved: store.SaveResult | None = None
    stats: LabStats = field(default_factory=LabStats)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def enrich(postings: list[Posting]) -> dict[str, dict[str, Any]]:
    """Derived columns (seniority, pay from text ...) per posting id."""
    return {p.id: posting_fields(p) for p in postings}


def lab_context(lab: Lab, fetcher: Fetcher, db: sqlite_utils.Database) -> LabContext:
    """The adapter's view of a run, with the lab's stored postings so unchanged details can be skipped."""
    previous, keys = store.previous_postings(db, lab.name)
    return LabContext(lab, fetcher, previous=previous, previous_keys=keys, dropped_keys=filtered.load(db, lab))


async def fetch_lab(ctx: LabContext) -> list[Posting]:
    """Run the lab's adapter and apply its filters; raises ScrapeError on failure.

    The listing keys of dropped postings go to ctx.dropped, so that the next run skips their details.
    """
    postings = await adapter_module(ctx.lab.adapter).scrape(ctx)
    kept = []
    for posting in postings:
        if ctx.lab.keep(posting):
            kept.append(posting)
        elif posting.extra.get("listing_key"):
            ctx.dropped[posting.source_id] = posting.extra["listing_key"]
    return kept


async def scrape_one(
    lab: Lab, fetcher: Fetcher, db: sqlite_utils.Database, *, accept_drop: bool = False,
    on_done: Callable[[LabOutcome], None] | None = None,
) -> LabOutcome:
    """Scrape and store one lab; every failure is caught here so that other labs go on.

    The lab's postings are written in one transaction (store.save_scrape): a run killed at any moment
    leaves the lab as it was before, or as this run saw it, never half of each.
    """
    outcome = LabOutcome(lab.name)
    started = time.monotonic()
    run_id = store.start_run(db, lab.name)
    ctx: LabContext | None = None
    try:
        ctx = lab_context(lab, fetcher, db)
        postings = await fetch_lab(ctx)
        complete = not ctx.partial and not ctx.stats.rate_limited
        if ctx.stats.rate_limited:
            ctx.warn(f"{lab.name}: rate-limited (HTTP 429) during the scrape; postings not seen were kept as uncertain")
        # Reading pay and level from hundreds of descriptions runs away from the event loop: other labs'
        # requests go on (a big board's in the scrape's worker process, on another core).
        fields = await in_worker(enrich, postings, size=sum(len(p.description) for p in postings))
        outcome.saved = store.save_scrape(db, lab.name, postings, complete=complete, gone=ctx.gone_ids,
                                          accept_drop=accept_drop, fields=fields)
        if ctx.dropped or ctx.dropped_keys:
            filtered.save(db, lab, ctx.dropped)
        if outcome.saved.suspicious:
            outcome.status = "suspicious"
            outcome.warnings.append(outcome.saved.suspicious)
        elif not complete:
            outcome.status = "partial"
    except ScrapeError as exc:
        outcome.status, outcome.error = "failed", str(exc)
    except sqlite3.Error as exc:
        outcome.status, outcome.error = "failed", f"{lab.name}: database error, nothing of this lab was saved: {exc}"
    except Exception as exc:  # an adapter bug must not stop the other labs, but must be visible
        outcome.status, outcome.error = "failed", f"{lab.name}: internal error {type(exc).__name__}: {exc}"
    if ctx is not None:
        outcome.stats = ctx.stats
        outcome.warnings[:0] = ctx.warnings
    outcome.seconds = time.monotonic() - started
    _record(db, run_id, outcome)
    if on_done:
        on_done(outcome)
    return outcome


def _record(db: sqlite_utils.Database, run_id: int, outcome: LabOutcome) -> None:
    """Mark a failed lab's postings uncertain and finish its run row; a database error here is reported, not raised."""
    try:
        if outcome.failed:
            outcome.saved = store.SaveResult(uncertain=store.mark_uncertain(db, outcome.lab))
        saved = outcome.saved or store.SaveResult()
        store.finish_run(
            db, run_id, status=outcome.status, requests=outcome.stats.requests, bytes=outcome.stats.bytes,
            seen=saved.seen, new=saved.new, updated=saved.updated, closed=saved.closed, reopened=saved.reopened,
            uncertain=saved.uncertain, errors=1 if outcome.failed else 0, error=outcome.error,
            warnings="\n".join(outcome.warnings) or None,
        )
    except sqlite3.Error as exc:
        outcome.status = "failed"
        outcome.error = f"{outcome.error + '; ' if outcome.error else ''}{outcome.lab}: could not record the run: {exc}"


async def scrape_labs(
    db: sqlite_utils.Database,
    labs: list[Lab],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    fetcher: Fetcher | None = None,
    accept_drop: bool = False,
    on_done: Callable[[LabOutcome], None] | None = None,
    http_cache: bool = True,
) -> list[LabOutcome]:
    """Scrape labs concurrently (each host keeps its own limits) and store each as it finishes.

    With `http_cache`, GETs are conditional requests against the answers stored in the database (a 304
    reuses the stored body). A recording run never uses it: a HAR file must hold whole answers, not 304s.
    """
    store.interrupt_stale_runs(db)
    with store.write_transaction(db):
        store.save_labs(db, labs)
    own = fetcher is None
    if own:
        cache = HttpCache(db) if http_cache and not isinstance(transport, RecordingTransport) else None
        if cache is not None:
            cache.prune()
        fetcher = Fetcher.from_env(transport, cache=cache)
    try:
        tasks = [scrape_one(lab, fetcher, db, accept_drop=accept_drop, on_done=on_done) for lab in labs]
        return list(await asyncio.gather(*tasks))
    finally:
        if own:
            await fetcher.aclose()


def run_scrape(db: sqlite_utils.Database, labs: list[Lab], **kwargs: Any) -> list[LabOutcome]:
    return asyncio.run(scrape_labs(db, labs, **kwargs))
