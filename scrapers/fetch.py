"""Polite, retrying HTTP for adapters: per-host limits, backoff, clear errors, a swappable transport."""

from __future__ import annotations

import asyncio
import email.utils
import json as jsonlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from .. import __version__
from .base import ParseError, Posting, ScrapeError, load_json
from .har import ReplayMiss

USER_AGENT = f"asr-jobs/{__version__} (+https://github.com/asr-jobs/asr-jobs; job search for speech researchers)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 522, 524})


@dataclass(frozen=True)
class Politeness:
    """How hard one host may be asked: requests in flight and seconds between request starts."""

    concurrency: int = 4
    interval: float = 0.0


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # tries in all, the first included
    base_delay: float = 1.0
    max_delay: float = 30.0  # cap on one wait, Retry-After included
    max_total: float = 120.0  # cap on all waits of one request


@dataclass
class LabStats:
    requests: int = 0
    bytes: int = 0
    retries: int = 0
    not_modified: int = 0
    rate_limited: bool = False


class HostGate:
    """At most `concurrency` requests in flight to a host, starts at least `interval` apart."""

    def __init__(self, politeness: Politeness, clock: Callable[[], float] = time.monotonic):
        self.politeness = politeness
        self._semaphore = asyncio.Semaphore(max(1, politeness.concurrency))
        self._lock = asyncio.Lock()
        self._next_start = 0.0
        self._clock = clock

    async def __aenter__(self) -> HostGate:
        await self._semaphore.acquire()
        if self.politeness.interval > 0:
            async with self._lock:
                wait = self._next_start - self._clock()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._next_start = self._clock() + self.politeness.interval
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._semaphore.release()


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def same_site(a: str, b: str) -> bool:
    """True when two hosts share their last two labels (careers.x.com ~ apply.x.com)."""
    return a.split(".")[-2:] == b.split(".")[-2:]


def describe_error_body(response: httpx.Response) -> str:
    """A short, useful excerpt of an error body (JSON message or first words of text)."""
    text = response.text[:2000] if response.content else ""
    try:
        data = jsonlib.loads(text)
    except ValueError:
        return " ".join(text[:120].split())
    if isinstance(data, dict):
        parts = [f"{k}={data[k]!r}" for k in ("errorCode", "error", "message", "status") if data.get(k)]
        if parts:
            return ", ".join(parts)[:200]
    return " ".join(text[:120].split())


class Fetcher:
    """One async HTTP client shared by all labs of a run, with per-host gates and retries."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy = RetryPolicy(),
        max_bytes: int = 64 * 1024 * 1024,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ):
        self.client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json, text/html;q=0.9, */*;q=0.5"},
            follow_redirects=True,
            http2=False,
        )
        self.retry = retry
        self.max_bytes = max_bytes
        self._sleep = sleep
        self._gates: dict[str, HostGate] = {}

    def gate(self, host: str, politeness: Politeness) -> HostGate:
        if host not in self._gates:
            self._gates[host] = HostGate(politeness)
        return self._gates[host]

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def request(
        self,
        lab: str,
        method: str,
        url: str,
        *,
        politeness: Politeness,
        stats: LabStats,
        ok_statuses: frozenset[int] = frozenset(),
        **kwargs: Any,
    ) -> httpx.Response:
        """Send with retries; return a 2xx (or an allowed) response, else raise ScrapeError."""
        host = urlsplit(url).hostname or ""
        waited = 0.0
        for attempt in range(1, self.retry.attempts + 1):
            delay: float | None = None
            try:
                async with self.gate(host, politeness):
                    stats.requests += 1
                    response = await self._send(method, url, **kwargs)
                stats.bytes += len(response.content)
            except ReplayMiss as exc:
                raise ScrapeError(lab, url, f"not in the replayed recording: {exc}") from None
            except httpx.TimeoutException as exc:
                reason = f"timed out ({type(exc).__name__})"
            except httpx.TransportError as exc:
                reason = f"connection failed ({type(exc).__name__}: {exc})"
            except _TooLarge as exc:
                raise ScrapeError(lab, url, str(exc)) from None
            else:
                final_host = response.url.host
                if final_host and host and not same_site(final_host, host):
                    raise ScrapeError(lab, url, f"redirected to another host: {response.url}", status=response.status_code)
                status = response.status_code
                if 200 <= status < 300 or status in ok_statuses:
                    return response
                reason = f"HTTP {status}"
                detail = describe_error_body(response)
                if detail:
                    reason += f": {detail}"
                if status not in RETRY_STATUSES:
                    raise ScrapeError(lab, url, reason, status=status)
                if status == 429:
                    stats.rate_limited = True
                delay = retry_after_seconds(response.headers.get("retry-after"))
            if attempt == self.retry.attempts:
                break
            if delay is None:
                delay = self.retry.base_delay * 2 ** (attempt - 1) * (0.5 + random.random())
            delay = min(delay, self.retry.max_delay)
            if waited + delay > self.retry.max_total:
                break
            waited += delay
            stats.retries += 1
            await self._sleep(delay)
        status = response.status_code if "response" in locals() else None
        raise ScrapeError(lab, url, f"{reason}, gave up after {attempt} attempt(s)", status=status)

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        request = self.client.build_request(method, url, **kwargs)
        response = await self.client.send(request, stream=True)
        try:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise _TooLarge(f"response body over the size cap of {self.max_bytes:,} bytes")
                chunks.append(chunk)
        finally:
            await response.aclose()
        response._content = b"".join(chunks)
        return response


class _TooLarge(Exception):
    pass


@dataclass
class LabContext:
    """What an adapter sees of a run: its lab, the fetcher, and what is already stored."""

    lab: Any  # scrapers.registry.Lab
    fetcher: Fetcher
    previous: dict[str, Posting] = field(default_factory=dict)  # source_id -> stored posting
    previous_keys: dict[str, str] = field(default_factory=dict)  # source_id -> stored listing key
    stats: LabStats = field(default_factory=LabStats)
    warnings: list[str] = field(default_factory=list)
    partial: bool = False  # set when the adapter knows it did not see the whole listing

    @property
    def name(self) -> str:
        return self.lab.name

    def param(self, key: str, default: Any = None) -> Any:
        return self.lab.params.get(key, default)

    async def send(self, method: str, url: str, *, ok_statuses: frozenset[int] = frozenset(), **kwargs: Any) -> httpx.Response:
        return await self.fetcher.request(
            self.name, method, url, politeness=self.lab.politeness, stats=self.stats, ok_statuses=ok_statuses, **kwargs
        )

    async def get_text(self, url: str, **kwargs: Any) -> str:
        return (await self.send("GET", url, **kwargs)).text

    async def get_json(self, url: str, **kwargs: Any) -> Any:
        response = await self.send("GET", url, **kwargs)
        return load_json(response.content, self.name, str(response.url))

    async def post_json(self, url: str, **kwargs: Any) -> Any:
        response = await self.send("POST", url, **kwargs)
        return load_json(response.content, self.name, str(response.url))

    def unchanged(self, source_id: str, listing_key: str) -> Posting | None:
        """The stored posting when the listing says nothing changed, so its detail need not be fetched."""
        if listing_key and self.previous_keys.get(source_id) == listing_key:
            return self.previous.get(source_id)
        return None

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def parse_error(self, url: str, reason: str) -> ParseError:
        return ParseError(self.name, url, reason)
