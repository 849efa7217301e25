"""Requests that do not depend on each other, issued together: pages after the first, queries, listing pages;
and the one check that a paged listing was read whole (Listing, read_listing) before anything is closed.

The per-host gate (fetch.HostGate) keeps them within each lab's concurrency and interval, so issuing
them at once costs the server nothing more than issuing them one by one, and the scrape takes as long
as the host's own queue instead of the sum of every round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..models import Lab, Posting
from ..workers import off_loop
from .details import gather_or_cancel
from .fetch import LabContext

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


async def whole_board(ctx: LabContext, url: str, parse: Callable[[bytes, Lab, str], list[Posting]]) -> list[Posting]:
    """A board that answers every posting in one response (Greenhouse, Ashby, Workable): fetched, then parsed
    off the event loop."""
    response = await ctx.send("GET", url)
    return await off_loop(parse, response.content, ctx.lab, url)


async def each(items: Iterable[T], run: Callable[[T], Awaitable[R]]) -> list[R]:
    """`run(item)` for every item at once, results in the items' order (first failure cancels the rest)."""
    return await gather_or_cancel(run(item) for item in items)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing as the consistency check sees it, and what the adapter keeps from it."""

    url: str  # named in warnings
    ids: Sequence[str]  # the ids of the page's items, in order (an item listed twice on one page counts once)
    total: int | None  # the total this page announces (None: it announces none)
    items: T
    size: int | None = None  # the page size the page itself reports, when the site says (else the adapter's)


@dataclass(frozen=True)
class Totals:
    """How an adapter's pages announce the size of the listing, and how far the site's count may be off.

    page_size   items on every page but the last
    first_only  only the first page's total counts (Workday and Apple answer 0 on later pages)
    tolerance   how far the count seen may differ from the announced total in a complete listing
    unit        what the items are called in warnings
    """

    page_size: int
    first_only: bool = False
    tolerance: int = 0
    unit: str = "postings"


class Listing:
    """The pages of one listing, checked as they come: complete only when they add up.

    A listing is complete when it ends on an empty or short page and the count seen agrees with the
    announced total (within the adapter's tolerance; without a total, the short page alone ends it).
    Inconsistent pages make it partial: an empty or short page before the total, a page repeating ids
    seen on earlier pages (the site ignored the offset), more items than announced (a page past the
    total is read whenever the total ends on a full page, to see whether pages keep coming), a total
    that changes between pages, or reaching max_pages first. A partial listing closes nothing.
    """

    def __init__(self, totals: Totals, max_pages: int):
        self.totals = totals
        self.max_pages = max_pages
        self.total: int | None = None
        self.count = 0  # items seen, over every page
        self.pages = 0
        self.seen: set[str] = set()
        self.complete = False
        self.problem: str | None = None  # why the listing is partial

    def planned(self, first: Page) -> int:
        """Pages worth requesting at once once the first page is known (the page past a full total included)."""
        size = first.size or self.totals.page_size
        if first.total is None or len(first.ids) < size:
            return 1
        if first.total > self.max_pages * size:
            return self.max_pages
        return pages_for(first.total + 1, size)

    def add(self, page: Page) -> bool:
        """Check one page (in order); True when the next page must be read."""
        size = page.size or self.totals.page_size
        first = self.pages == 0
        self.pages += 1
        if first:
            self.total = page.total
        elif not self.totals.first_only and page.total is not None and page.total != self.total:
            return self._partial(f"{page.url} announces {page.total} {self.totals.unit}, the first page "
                                 f"{self.total} (the listing changed while it was read)")
        repeated = sum(1 for item in dict.fromkeys(page.ids) if item in self.seen)
        if repeated:
            return self._partial(f"{page.url} repeats {repeated} of its {len(page.ids)} {self.totals.unit} from "
                                 "earlier pages (the site ignored the offset?)")
        self.seen.update(page.ids)
        self.count += len(page.ids)
        return self._next(page, size)

    def _next(self, page: Page, size: int) -> bool:
        """After a consistent page: complete, partial, or read on."""
        total, slack, unit, n = self.total, self.totals.tolerance, self.totals.unit, len(page.ids)
        if total is None:
            if n < size:
                self.complete = True
                return False
        elif self.count > total + slack:
            return self._partial(f"pages keep coming past the announced total: {self.count} {unit} seen, "
                                 f"{total} announced (last {page.url})")
        elif n < size:
            if self.count >= total - slack:
                self.complete = True
                return False
            shape = "came back empty" if n == 0 else f"holds {n} of {size} {unit}"
            return self._partial(f"{page.url} {shape} with {self.count} of {total} announced {unit} seen")
        probing = total is not None and self.count >= total - slack  # the page past a total that ended on a full page
        if self.pages >= self.max_pages and not (probing and self.pages == self.max_pages):
            return self._partial(f"stopped after {self.max_pages} pages ({self.count} of "
                                 f"{total if total is not None else 'an unknown number of'} {unit}); "
                                 "raise params.max_pages to see more")
        return True

    def _partial(self, problem: str) -> bool:
        self.problem = problem
        return False

    def verdict(self) -> str | None:
        """None when the listing is complete, else why it is partial."""
        if self.complete:
            return None
        return self.problem or f"the pages ended after {self.pages} without an end of the listing"


async def read_listing(ctx: LabContext, what: str, fetch: Callable[[int], Awaitable[Page[T]]], totals: Totals,
                       max_pages: int) -> list[T]:
    """The items of every page of one listing (pages 1+ requested at once); a partial listing marks the run partial.

    `fetch(index)` returns page `index` (0-based). A partial listing keeps what it read, warns naming the
    page and what was inconsistent, and sets ctx.partial, so that the store closes nothing.
    """
    listing = Listing(totals, max_pages)
    kept: list[T] = []
    # One page beyond max_pages may be read: the page past a total that ends on a full last page.
    async with contextlib.aclosing(prefetched(fetch, listing.planned, max_pages + 1)) as pages:
        async for page in pages:
            kept.append(page.items)
            if not listing.add(page):
                break
    problem = listing.verdict()
    if problem:
        ctx.warn(f"{what}: {problem}; nothing is closed this run")
        ctx.partial = True
    return kept
