"""robots.txt: whether our User-Agent may fetch a web page, read once per host per run (RFC 9309, with Protego).

The rule for each answer to `GET /robots.txt` (RFC 9309, section 2.3.1):
  2xx                        its rules apply (Protego reads them as Google does: longest match, wildcards);
                             a page they disallow is skipped with a warning and the run is partial (nothing
                             is closed for not being seen)
  4xx but 429, 3xx off-site  "unavailable": no rules, every page may be fetched
  429, 5xx                   retried like any request; still so, "unreachable": no page of the host is fetched
                             this run (the RFC's complete disallow), and the lab fails with that error (it closes
                             nothing and is tried again next run), as it would if its pages answered so
  no answer (DNS, refused, timeout)  the lab's error, as for any request: its pages could not be fetched anyway
A replayed recording without the robots.txt answer (made before this check) allows every page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from protego import Protego

from ..models import ScrapeError

UNREACHABLE = frozenset({429}) | frozenset(range(500, 600))
# What fetching robots.txt may answer without a retry or an error ("unavailable"); 429 and 5xx are retried.
ANSWERED = frozenset(range(300, 500)) - UNREACHABLE


@dataclass(frozen=True)
class Verdict:
    """Whether a page may be fetched, and why not when it may not."""

    allowed: bool
    reason: str = ""
    status: int | None = None  # the robots.txt status that made the whole host unreachable

Send = Callable[[str], Awaitable[httpx.Response]]


class RobotsRules:
    """The robots.txt of each host asked during one run, fetched once (concurrent askers wait for it)."""

    def __init__(self, *, replaying: bool = False):
        self.replaying = replaying
        self._rules: dict[str, Protego | Verdict] = {}  # origin -> its parsed rules, or a verdict for every page
        self._locks: dict[str, asyncio.Lock] = {}

    async def verdict(self, url: str, user_agent: str, send: Send) -> Verdict:
        """May `user_agent` fetch `url`? `send(robots_url)` GETs the host's robots.txt (its answer, any status)."""
        origin = origin_of(url)
        if origin not in self._rules:
            lock = self._locks.setdefault(origin, asyncio.Lock())
            async with lock:
                if origin not in self._rules:
                    self._rules[origin] = await self._read(origin + "/robots.txt", send)
        rules = self._rules[origin]
        if isinstance(rules, Verdict):
            return rules
        if rules.can_fetch(url, user_agent):
            return Verdict(True)
        return Verdict(False, f"robots.txt of {origin} disallows it for our User-Agent")

    async def _read(self, robots_url: str, send: Send) -> Protego | Verdict:
        try:
            response = await send(robots_url)
        except ScrapeError as exc:
            if self.replaying and "not in the replayed recording" in exc.reason:
                return Verdict(True)
            if exc.status is not None and 300 <= exc.status < 400:
                return Verdict(True)  # redirected off the site: no robots.txt of its own
            if exc.status in UNREACHABLE:
                return Verdict(False, f"robots.txt unreachable ({exc.reason}): no page of the host is fetched this "
                                      "run (RFC 9309: an unreachable robots.txt disallows everything)", exc.status)
            raise
        if response.status_code >= 300:
            return Verdict(True)
        return Protego.parse(response.content.decode("utf-8", "replace"))


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL: robots.txt applies per origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
