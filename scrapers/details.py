"""List-then-detail sites: one detail request per new or changed posting, capped, run concurrently."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..models import Lab, Posting
from .fetch import LabContext, OutOfTime

T = TypeVar("T")


@dataclass
class Listed:
    """A posting as the listing shows it, its listing key, and what its detail request needs."""

    posting: Posting  # listing fields only; used when no detail is fetched
    key: str
    ref: Any = None


def listing_match(lab: Lab, posting: Posting) -> bool:
    """The lab's title and team filters, the ones a search result can answer (text needs the description).

    Only for sites whose listing carries the team: elsewhere a team filter would drop everything.
    """
    narrowed = dataclasses.replace(lab, filters={k: v for k, v in lab.filters.items() if k in ("title", "team")})
    return narrowed.keep(posting)


async def gather_or_cancel(coros: Iterable[Awaitable[T]]) -> list[T]:
    """Run all at once (each host's gate keeps them polite); on the first failure cancel the rest and raise it."""
    tasks = [asyncio.ensure_future(coro) for coro in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _in_time(fetch: Callable[[Listed], Awaitable[Posting | None]], item: Listed) -> Posting | None | OutOfTime:
    """The detail, or the OutOfTime that stopped it (the run goes on with what the listing showed)."""
    try:
        return await fetch(item)
    except OutOfTime as exc:
        return exc


async def fetch_details(
    ctx: LabContext, listed: list[Listed], fetch: Callable[[Listed], Awaitable[Posting | None]]
) -> list[Posting]:
    """Postings in listing order: stored ones whose listing key is unchanged, else `fetch(item)`.

    `fetch` returns None for a posting whose detail is gone; that posting is left out. So is one the
    lab's filters dropped last run with the same listing key: its detail would only be dropped again.
    """
    out: dict[int, Posting] = {}
    todo: list[int] = []
    for index, item in enumerate(listed):
        if ctx.still_dropped(item.posting.source_id, item.key):
            continue
        stored = ctx.unchanged(item.posting.source_id, item.key)
        if stored is None:
            todo.append(index)
        else:
            out[index] = stored
    # New postings first: a changed one at least has its stored text to fall back on.
    todo.sort(key=lambda i: listed[i].posting.source_id in ctx.previous)
    cap = max(0, ctx.lab.max_details)
    if len(todo) > cap:
        skipped, todo = todo[cap:], todo[:cap]
        ctx.warn(f"{len(todo) + len(skipped)} postings need a detail request; fetched {cap} (max_details), "
                 f"the other {len(skipped)} keep their stored or listing text until the next run")
        ctx.partial = True
        for index in skipped:
            # Stored text beats listing text (no description); without a listing key it is fetched next run.
            out[index] = ctx.previous.get(listed[index].posting.source_id) or listed[index].posting
    results = await gather_or_cancel(_in_time(fetch, listed[i]) for i in todo)
    for index, result in zip(todo, results, strict=True):
        if isinstance(result, OutOfTime):  # the lab's time budget ran out: as for postings over max_details
            out[index] = ctx.previous.get(listed[index].posting.source_id) or listed[index].posting
        elif result is not None:
            result.extra["listing_key"] = listed[index].key
            out[index] = result
    return [out[i] for i in sorted(out)]
