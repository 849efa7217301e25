"""Requests that do not depend on each other, issued together: pages after the first, queries, listing pages.

The per-host gate (fetch.HostGate) keeps them within each lab's concurrency and interval, so issuing
them at once costs the server nothing more than issuing them one by one, and the scrape takes as long
as the host's own queue instead of the sum of every round trip.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from typing import TypeVar

from .details import gather_or_cancel

T = TypeVar("T")
R = TypeVar("R")


def pages_for(total: int | None, page_size: int) -> int:
    """How many pages a result set of `total` items fills (0 when the total is unknown)."""
    if not total or total < 0 or page_size <= 0:
        return 0
    return math.ceil(total / page_size)


async def prefetched(fetch: Callable[[int], Awaitable[T]], pages_planned: Callable[[T], int],
                     max_pages: int) -> AsyncGenerator[T, None]:
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
