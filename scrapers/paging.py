"""Requests that do not depend on each other, issued together: pages after the first, queries, listing pages.

The per-host gate (fetch.HostGate) keeps them within each lab's concurrency and interval, so issuing
them at once costs the server nothing more than issuing them one by one, and the scrape takes as long
as the host's own queue instead of the sum of every round trip.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from .details import gather_or_cancel

T = TypeVar("T")
R = TypeVar("R")


def pages_for(total: int | None, page_size: int) -> int:
    """How many pages a result set of `total` items fills (0 when the total is unknown)."""
    if not total or total < 0 or page_size <= 0:
        return 0
    return math.ceil(total / page_size)


async def prefetched(fetch: Callable[[int], Awaitable[T]], pages_planned: Callable[[T], int],
                     max_pages: int) -> AsyncIterator[T]:
    """Pages 0, 1, ... in order; once page 0 tells how many there are, the rest are requested at once.

    The caller reads them one by one with its own stop rules (short page, repeated page, total reached),
    exactly as if it had requested them one by one. Pages it does not read are cancelled when it stops:
    iterate inside `async with contextlib.aclosing(prefetched(...))`. Pages beyond what page 0 announced
    are requested one at a time.
    """
    if max_pages <= 0:
        return
    first = await fetch(0)
    planned = min(max_pages, max(1, pages_planned(first)))
    # Requested before page 0 is handed over: they are on their way while the caller reads it.
    tasks = {index: asyncio.ensure_future(fetch(index)) for index in range(1, planned)}
    try:
        yield first
        for index in range(1, max_pages):
            task = tasks.pop(index, None)
            yield await task if task is not None else await fetch(index)
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)


async def each(items: Iterable[T], run: Callable[[T], Awaitable[R]]) -> list[R]:
    """`run(item)` for every item at once, results in the items' order (first failure cancels the rest)."""
    return await gather_or_cancel(run(item) for item in items)


# Work on inputs at least this big goes to a worker process: on another core, and without holding the
# interpreter lock the event loop needs to keep every host's requests going.
PROCESS_BYTES = 256 * 1024
_pool: ProcessPoolExecutor | None = None


def worker_pool() -> ProcessPoolExecutor | None:
    """The scrape's worker process pool (one process, or none on a single core or with ASR_JOBS_WORKERS=1)."""
    global _pool
    if _pool is None:
        if (os.cpu_count() or 1) < 2 or os.environ.get("ASR_JOBS_WORKERS", "").strip() == "1":
            return None
        # spawn: a fresh interpreter, never a fork of this one with its threads and open database.
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=watch_parent, initargs=(os.getpid(),))
    return _pool


def watch_parent(parent: int) -> None:
    """In a worker process: exit as soon as the process that started it is gone.

    A pool's worker waits on a queue it also holds the writing end of, so it would outlive a parent that
    was killed (Ctrl-C twice, SIGKILL) and idle forever.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


async def in_worker(work: Callable[..., R], *args: Any, size: int) -> R:
    """`work(*args)` away from the event loop: in the worker process when `size` is big, else in a thread.

    `work` must be a module-level function whose arguments and result pickle.
    """
    pool = worker_pool() if size >= PROCESS_BYTES else None
    if pool is None:
        return await asyncio.to_thread(work, *args)
    return await asyncio.get_running_loop().run_in_executor(pool, work, *args)


async def off_loop(parse: Callable[..., R], body: bytes | str, *args: Any) -> R:
    """`parse(body, *args)` away from the event loop, so that reading a big answer holds up no other request.

    While a board of hundreds of postings is parsed, the event loop keeps starting the requests that
    other labs' hosts are due; parsers are pure functions, safe to run in any thread or process.
    """
    return await in_worker(parse, body, *args, size=len(body))
