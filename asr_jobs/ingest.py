"""Ingestion: postings from a scrape or from a saved file, through one sequence of steps into the store.

Every posting goes, in this order, through

    keep      the lab's filters (Lab.keep): what a lab's filters drop is never stored
    enrich    fields derived from the text (asr_jobs.enrich: seniority, pay, degree, venues ...)
    sanitize  text without markup or control characters, an http(s) URL or '' (asr_jobs.sanitize)
    save      the store (db.store): a scrape with its lifecycle (closing, drop guard), an import adding

`prepare` (asr_jobs.prepare) is the first three steps; `scrape_labs` and `import_file` both call it before
saving, so an import can never store what a scrape of the same lab would drop.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlite_utils

from .db import filtered, lab_state, store
from .db.http_cache import HttpCache
from .db.schema import bulk_fts_index
from .models import Lab, Posting, ScrapeError
from .prepare import Prepared, PreparedRows, prepare, prepare_rows, prepare_rows_away, with_descriptions
from .readers import file_batches
from .scrapers.fetch import Fetcher, LabContext, LabStats, ResponseCache, time_budget
from .scrapers.har import RecordingTransport
from .scrapers.registry import adapter
from .workers import in_worker, read_ahead, worker_pool

# --- import: saved files ---------------------------------------------------------------------------


@dataclass
class Ingested(store.SaveResult):
    """What saving an import did, and how many postings the lab's filters dropped before it."""

    dropped: int = 0


@dataclass
class ImportResult:
    """An imported file: what was saved, the file's format, when its data was saved (and how that is known),
    and notes on entries that were skipped."""

    saved: Ingested
    format: str
    notes: list[str]
    saved_at: str = ""
    saved_by: str = ""


# Postings prepared and committed per transaction of an import: another process waiting to write (a
# scrape) gets its turn within one batch, a second or two, instead of after the whole file.
COMMIT_BATCH = 500
# From this many postings in its first batch an import is large: prepared in the worker process, and into
# an empty table with its full-text index built in bulk (JSON lines come in batches of readers.BATCH).
LARGE_IMPORT = 500
# The least time the write lock is left free between two batches: a waiting writer polls it every 100 ms.
LOCK_GAP = 0.15
# ... once the import has held the lock this long since the last such gap: a waiting writer gets its turn
# within about a second, and a large import (batches prepared in the worker, nothing else to overlap the
# gap with) does not sleep after every batch.
LOCK_HOLD = 0.5


def import_file(db: sqlite_utils.Database, path: str | Path, lab: Lab, fmt: str | None = None,
                as_of: str | None = None, *, on_batch: Callable[[int], None] | None = None) -> ImportResult:
    """Read a saved file and ingest its postings as of the time it was saved (an import never closes anything).

    The time is `as_of`, else the HAR's first startedDateTime, else the file's modification time: data
    older than what is stored neither reopens a posting closed since nor moves its last_seen. JSON lines
    are read as a stream, BATCH postings at a time, so that a corpus of any size fits in memory; a bad
    line stops the import before anything is stored. Postings are committed COMMIT_BATCH at a time, so
    an import killed half-way keeps whole batches, and importing the file again completes it to the state
    one uninterrupted import gives. `on_batch` hears how many postings each stored batch held (a progress bar).
    """
    saved = file_batches(path, lab, fmt, as_of)
    return ImportResult(save_batches(db, lab, saved.batches, as_of=saved.saved_at, on_batch=on_batch, check=saved.check),
                        saved.format, saved.notes, saved.saved_at, saved.saved_by)


def save_batches(db: sqlite_utils.Database, lab: Lab, batches: Iterable[list[Posting]], *,
                 as_of: str | None = None, on_batch: Callable[[int], None] | None = None,
                 check: Callable[[], None] | None = None) -> Ingested:
    """Ingest batches of postings, each through `prepare_rows`, committed COMMIT_BATCH at a time; the counts summed.

    Each commit is all or nothing; preparing a batch (the slow part: reading pay and level from the
    text) happens before its transaction, so the write lock is held only while rows are written. A large
    import shares the preparing with the worker process while this one writes, and into an empty table
    it builds the full-text index in steps as it writes (schema.BulkIndex: the index the triggers keep
    row by row, built in fewer, bigger passes).
    `check` (a read-through of the whole input that raises at a bad entry) passes before anything is
    written: in the worker, for a large import, while the first batches are prepared.
    """
    as_of = as_of or store.now_iso()
    batches = iter(batches)
    first = next(batches, [])
    large = len(first) >= LARGE_IMPORT
    pool = worker_pool() if large else None
    if check is not None and pool is None:
        check()
    gate = pool.submit(check) if check is not None and pool is not None else None
    # Reading the file in a thread overlaps SQLite's writing and the waits for the worker; the thread is
    # stopped (and the file closed) here, whatever ends the import, not whenever its generator is collected.
    reading = read_ahead(batches) if pool is not None else None
    try:
        chunks = commit_chunks(itertools.chain([first], reading if reading is not None else batches))
        return _save_prepared(db, lab, prepared_chunks(lab, chunks, pool=pool, gate=gate), bulk=large, as_of=as_of,
                              on_batch=on_batch)
    finally:
        if reading is not None:
            reading.close()


def _save_prepared(db: sqlite_utils.Database, lab: Lab, prepared_rows: Iterator[PreparedRows], *, bulk: bool,
                   as_of: str, on_batch: Callable[[int], None] | None) -> Ingested:
    """Each prepared chunk committed in its own transaction, the write lock left free now and then; counts summed.

    With `bulk`, into an empty table, the full-text index is built in steps (bulk_fts_index).
    """
    result = Ingested()
    head = next(prepared_rows, None)  # nothing is written before the check has passed (the gate)
    with store.write_transaction(db):
        store.save_labs(db, [lab])
    if head is None:
        return result
    with bulk_fts_index(db) if bulk and not store.has_postings(db) else nullcontext() as index:
        committed, held = -math.inf, 0.0
        for prepared in itertools.chain([head], prepared_rows):
            free = time.monotonic() - committed  # how long the lock has been left free since the last commit
            if free < LOCK_GAP and held >= LOCK_HOLD:  # a writer waiting in another process gets its chance
                time.sleep(LOCK_GAP - free)
                free = LOCK_GAP
            if free >= LOCK_GAP:
                held = 0.0
            started = time.monotonic()
            with store.write_transaction(db):
                saved = store.save_rows(db, prepared.rows, now=as_of)
                if index is not None:
                    index.written(changed=saved.updated > 0)
            committed = time.monotonic()
            held += committed - started
            _add(result, saved, prepared.dropped)
            if on_batch:
                on_batch(len(prepared.rows) + prepared.dropped)
    return result


def commit_chunks(batches: Iterable[list[Posting]]) -> Iterator[list[Posting]]:
    """The postings of each batch, COMMIT_BATCH at a time."""
    for batch in batches:
        for start in range(0, len(batch), COMMIT_BATCH):
            yield batch[start:start + COMMIT_BATCH]


# Chunks the worker may hold unprepared: this process prepares one itself only when the worker is that far
# behind. It also reads the file and writes rows and index, so preparing here any sooner (at 2) made it the
# slower of the two.
AHEAD = 6
# At most this many prepared chunks wait behind the oldest one still in the worker (memory stays bounded).
WAITING = 6
# While the worker checks the input, it is given only this many: nothing can be written yet, so this process
# prepares the chunks after them instead of waiting, and the worker has these to go on with once its check has
# passed. 1 to 4 and 6 were tried on the corpus, 5 alternating runs each: 2 was the fastest.
CHECKING_AHEAD = 2


def prepared_chunks(lab: Lab, chunks: Iterable[list[Posting]], *, pool: Executor | None,
                    gate: Future[None] | None = None) -> Iterator[PreparedRows]:
    """Each chunk through `prepare_rows`, in order: shared with the worker `pool` when there is one.

    Reading fields from descriptions is most of an import's work besides SQLite's. The worker is given up to
    AHEAD chunks (CHECKING_AHEAD while it checks the input); when it holds that many, this process prepares
    the next chunk itself instead of waiting, so both cores keep busy while this one also reads the file and
    writes the rows. The worker's rows come back without the descriptions it was sent (`prepare_rows_away`):
    each chunk is kept here until its rows are back. A small import (a board's saved answer) is prepared
    here: starting a worker would cost more than it saves. Nothing is yielded before `gate` (the input's
    check, running in the worker) has passed; its error is raised instead.
    """
    if pool is None:
        yield from (prepare_rows(lab, chunk) for chunk in chunks)
        return
    pending: deque[tuple[Future[PreparedRows], list[Posting]]] = deque()
    try:
        for chunk in chunks:
            in_worker = sum(not future.done() for future, _ in pending)
            if in_worker < (CHECKING_AHEAD if gate is not None and not gate.done() else AHEAD):
                pending.append((pool.submit(prepare_rows_away, lab, chunk), chunk))
            else:
                pending.append((_done(prepare_rows(lab, chunk)), chunk))
            while pending and ((pending[0][0].done() and (gate is None or gate.done())) or len(pending) > WAITING):
                if gate is not None:
                    gate.result()
                yield with_descriptions(*pending.popleft())
        if gate is not None:
            gate.result()
        while pending:
            yield with_descriptions(*pending.popleft())
    finally:
        for future, _ in pending:  # a failed batch or a bad line stops the import: nothing more is prepared
            future.cancel()
        if gate is not None:
            gate.cancel()  # nor checked, when the check has not started


def _done(prepared: PreparedRows) -> Future[PreparedRows]:
    """A chunk prepared in this process, queued in order with the worker's."""
    future: Future[PreparedRows] = Future()
    future.set_result(prepared)
    return future


def _add(result: Ingested, saved: store.SaveResult, dropped: int) -> None:
    """Sum one committed batch into an import's result."""
    for name in ("seen", "new", "updated", "unchanged", "reopened", "older"):
        setattr(result, name, getattr(result, name) + getattr(saved, name))
    result.new_ids.extend(saved.new_ids)
    result.dropped += dropped


# --- scrape: one run over labs ---------------------------------------------------------------------


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
    kind: str | None = None  # of a failed lab: the class of failure (models.ERROR_KINDS)

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def summary_row(self) -> dict[str, Any]:
        """The lab's line of a scrape summary."""
        saved = self.saved or store.SaveResult()
        return {
            "lab": self.lab, "status": self.status, "requests": self.stats.requests, "seen": saved.seen,
            "new": saved.new, "updated": saved.updated, "closed": saved.closed, "uncertain": saved.uncertain,
            "errors": 1 if self.failed else 0, "seconds": round(self.seconds, 1),
            "message": self.error or "; ".join(self.warnings),
        }


def lab_context(lab: Lab, fetcher: Fetcher, db: sqlite_utils.Database) -> LabContext:
    """The adapter's view of a run, with the lab's stored postings so unchanged details can be skipped."""
    previous, keys = store.previous_postings(db, lab.name)
    return LabContext(lab, fetcher, previous=previous, previous_keys=keys, dropped_keys=filtered.load(db, lab),
                      state=lab_state.load(db, lab.name))


async def scrape_prepared(ctx: LabContext) -> Prepared:
    """Run the lab's adapter and prepare what it found; raises ScrapeError on failure.

    The listing keys of dropped postings go to ctx.dropped, so that the next run skips their details.
    When the lab's time budget runs out before the adapter has its listing, nothing is found (the run
    is partial: ctx.out_of_time).
    """
    try:
        postings = await adapter(ctx.lab.adapter).scrape(ctx)
    except ScrapeError:  # an adapter may pass OutOfTime on as its own error
        if not ctx.out_of_time:
            raise
        return Prepared([], {})
    # Reading pay and level from hundreds of descriptions runs away from the event loop: other labs'
    # requests go on (a big board's in the scrape's worker process, on another core).
    prepared = await in_worker(prepare, ctx.lab, postings, size=sum(len(p.description) for p in postings))
    ctx.dropped.update(prepared.dropped_keys)
    return prepared


async def scrape_one(
    lab: Lab, fetcher: Fetcher, db: sqlite_utils.Database, *, accept_drop: bool = False,
    on_done: Callable[[LabOutcome], None] | None = None, on_start: Callable[[str, LabStats], None] | None = None,
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
        budget = time_budget(lab)
        ctx.ends = asyncio.get_running_loop().time() + budget
        if on_start:
            on_start(lab.name, ctx.stats)  # a progress display reads the live request count from it
        prepared = await scrape_prepared(ctx)
        complete = not ctx.partial and not ctx.stats.rate_limited
        if ctx.out_of_time:
            ctx.warn(f"{lab.name}: stopped at its time budget of {budget:g} s (time_budget in labs.toml, or "
                     "ASR_JOBS_TIME_BUDGET); the run is partial: nothing was closed, postings it did not "
                     "see are kept as uncertain")
        if ctx.stats.rate_limited:
            ctx.warn(f"{lab.name}: rate-limited (HTTP 429) during the scrape; postings not seen were kept as uncertain")
        outcome.saved = store.save_scrape(db, lab.name, prepared.postings, complete=complete, gone=ctx.gone_ids,
                                          accept_drop=accept_drop, fields=prepared.fields)
        if ctx.dropped or ctx.dropped_keys:
            filtered.save(db, lab, ctx.dropped)
        if outcome.saved.suspicious:
            outcome.status = "suspicious"
            outcome.warnings.append(outcome.saved.suspicious)
        elif not complete:
            outcome.status = "partial"
    except ScrapeError as exc:
        outcome.status, outcome.error, outcome.kind = "failed", str(exc), exc.kind
    except sqlite3.Error as exc:
        outcome.status, outcome.error = "failed", f"{lab.name}: database error, nothing of this lab was saved: {exc}"
        outcome.kind = "error"
    except Exception as exc:  # an adapter bug must not stop the other labs, but must be visible
        outcome.status, outcome.error = "failed", f"{lab.name}: internal error {type(exc).__name__}: {exc}"
        outcome.kind = "error"
    if ctx is not None:
        outcome.stats = ctx.stats
        outcome.warnings[:0] = ctx.warnings
        _keep_state(db, ctx, outcome)
    outcome.seconds = time.monotonic() - started
    _record(db, run_id, outcome)
    if on_done:
        on_done(outcome)
    return outcome


def _keep_state(db: sqlite_utils.Database, ctx: LabContext, outcome: LabOutcome) -> None:
    """Keep what the adapter learned about its lab (a failed run may have learned it too)."""
    try:
        lab_state.save(db, ctx.name, ctx.state)
    except sqlite3.Error as exc:
        outcome.warnings.append(f"{ctx.name}: could not keep the lab's state for the next run: {exc}")


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


OFFLINE = "this machine seems offline: no lab could be reached (no network or DNS): check your connection/proxy"


def offline_message(kinds: Iterable[str | None]) -> str | None:
    """The one line to print when every lab failed to connect at all (DNS, refused), else None."""
    kinds = list(kinds)
    if kinds and all(kind == "offline" for kind in kinds):
        return f"{OFFLINE} ({len(kinds)} lab{'s' if len(kinds) != 1 else ''})"
    return None


def run_fetcher(db: sqlite_utils.Database, transport: httpx.AsyncBaseTransport | None, http_cache: bool) -> Fetcher:
    """A run's own fetcher: GETs conditional on the answers stored in the database when `http_cache`.

    A recording run never uses the cache: a HAR file must hold whole answers, not 304s.
    """
    cache: ResponseCache | None = None
    if http_cache and not isinstance(transport, RecordingTransport):
        stored = HttpCache(db)
        stored.prune()
        cache = stored
    return Fetcher.from_env(transport, cache=cache)


async def scrape_labs(
    db: sqlite_utils.Database,
    labs: list[Lab],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    fetcher: Fetcher | None = None,
    accept_drop: bool = False,
    on_done: Callable[[LabOutcome], None] | None = None,
    on_start: Callable[[str, LabStats], None] | None = None,
    http_cache: bool = True,
) -> list[LabOutcome]:
    """Scrape labs concurrently (each host keeps its own limits) and store each as it finishes.

    `on_start` hears each lab's name and live LabStats as it starts, `on_done` its outcome as it ends.
    With `http_cache`, GETs are conditional requests against the answers stored in the database (a 304
    reuses the stored body).
    """
    for lab in labs:
        time_budget(lab)  # a bad ASR_JOBS_TIME_BUDGET is a one-line error before any request, not a failed lab each
    store.interrupt_stale_runs(db)
    with store.write_transaction(db):
        store.save_labs(db, labs)
    run = fetcher if fetcher is not None else run_fetcher(db, transport, http_cache)
    try:
        tasks = [scrape_one(lab, run, db, accept_drop=accept_drop, on_done=on_done, on_start=on_start) for lab in labs]
        return list(await asyncio.gather(*tasks))
    finally:
        if fetcher is None:
            await run.aclose()


def run_scrape(db: sqlite_utils.Database, labs: list[Lab], **kwargs: Any) -> list[LabOutcome]:
    return asyncio.run(scrape_labs(db, labs, **kwargs))
