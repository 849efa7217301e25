"""Polite, retrying HTTP for adapters: per-host limits, backoff, clear errors, a swappable transport."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import errno
import ipaddress
import json as jsonlib
import math
import os
import random
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from .. import __version__
from ..models import Lab, ParseError, Politeness, Posting, ScrapeError, status_kind
from ..safetext import printable
from .har import ReplayMiss
from .parsing import load_json
from .robots import ANSWERED, RobotsRules

USER_AGENT = f"asr-jobs/{__version__} (+https://github.com/asr-jobs/asr-jobs; job search for speech researchers)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 522, 524})


class CachedAnswer(Protocol):
    """A stored 200 answer: what a 304 stands for."""

    @property
    def content_type(self) -> str | None: ...

    @property
    def body(self) -> bytes: ...


class ResponseCache(Protocol):
    """Stored answers that turn GETs into conditional requests (db.http_cache.HttpCache is the one in use)."""

    def validators(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since headers for a stored answer of the URL ({} when none)."""
        ...

    def get(self, url: str) -> CachedAnswer | None: ...

    def revalidated(self, url: str, etag: str | None = None, last_modified: str | None = None) -> None:
        """The server answered 304: the stored answer is current (validators updated if it sent new ones)."""
        ...

    def remember(self, url: str, etag: str | None, last_modified: str | None, content_type: str | None,
                 body: bytes) -> None: ...

    def flush(self) -> None:
        """Write what was remembered during the run."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """How a failed request is retried: exponential backoff with jitter, Retry-After honoured up to a cap."""

    attempts: int = 4  # tries in all, the first included
    base_delay: float = 1.0
    max_delay: float = 30.0  # cap on one wait; a Retry-After above it is not waited for
    max_total: float = 120.0  # cap on all waits of one request
    scale: float = 1.0  # multiplies every real wait (tests and impatient users shrink it)

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number `attempt` (1-based): base * 2^(attempt-1), jittered to 50-150%."""
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1) * (0.5 + random.random()))


@dataclass
class LabStats:
    requests: int = 0
    bytes: int = 0
    retries: int = 0
    not_modified: int = 0
    rate_limited: bool = False


class HostGate:
    """At most `concurrency` requests in flight to a host, each sent at least `interval` after the one before.

    The interval counts from when the previous request was written to its connection, as httpcore's
    trace reports it, and the wait happens at the last moment, just before a request's headers are
    written: a request held up on the way (the event loop busy with another lab's board) neither
    reaches the server just before the next one nor delays it by more than its own delay. Transports
    that send no traces (mock, replay) are paced when they pass the gate, from the end of the request before.
    `min_gap` is what the host was given: the least time between two requests starting to be written.
    """

    def __init__(self, politeness: Politeness, clock: Callable[[], float] = time.monotonic):
        self.politeness = politeness
        self._semaphore = asyncio.Semaphore(max(1, politeness.concurrency))
        self._lock = asyncio.Lock()
        self._last_sent = -math.inf
        self._previous: asyncio.Event | None = None  # set once the request paced last was sent
        self._clock = clock
        self.traced = False  # learned from the first request: this host's requests report when they are sent
        # What the site was promised, as this client measured it: the closest two requests started writing.
        self.min_gap: float | None = None
        self._last_start: float | None = None

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[HostSlot]:
        """The right to send one request (and follow its redirects)."""
        await self._semaphore.acquire()
        slot = HostSlot(self)
        try:
            if not self.traced:
                await self.pace(slot)
                self.starting()
                slot.paced = True
            yield slot
        finally:
            slot.done()  # a request that failed before sending, or a transport without traces
            self._semaphore.release()

    async def pace(self, slot: HostSlot) -> None:
        """Wait until the request paced before has been sent and `interval` has passed since."""
        if self.politeness.interval <= 0:
            return
        async with self._lock:
            if self._previous is not None and self._previous is not slot.sent_event:
                await self._previous.wait()
            due = self._last_sent + self.politeness.interval
            # The event loop may run a timer up to its clock resolution early: sleep again until it is due.
            while (wait := due - self._clock()) > 0:
                await asyncio.sleep(wait)
            self._previous = slot.sent_event

    def starting(self, *, again: bool = False) -> None:
        """Note that a paced request starts being written now (for min_gap).

        `again`: the request noted when it passed the gate is being written only now (the first requests,
        before the gate knows that its transport traces): the mark moves to now, its gap already counted.
        """
        now = self._clock()
        if self._last_start is not None and not again:
            gap = now - self._last_start
            self.min_gap = gap if self.min_gap is None else min(self.min_gap, gap)
        self._last_start = now


class HostSlot:
    """One request's pass through a HostGate; `trace` is its httpcore trace extension."""

    def __init__(self, gate: HostGate):
        self.gate = gate
        self.sent_event = asyncio.Event()
        self.paced = False  # paced when it passed the gate: its first send must not wait again

    def sent(self) -> None:
        self.gate._last_sent = max(self.gate._last_sent, self.gate._clock())
        self.sent_event.set()

    def done(self) -> None:
        if not self.sent_event.is_set():
            self.sent()

    async def trace(self, name: str, info: dict[str, Any]) -> None:
        if name.endswith("send_request_headers.started"):
            self.gate.traced = True
            if self.paced:
                self.paced = False
                self.gate.starting(again=True)
            else:
                await self.gate.pace(self)  # each hop of a redirect chain is paced too
                self.gate.starting()
        elif name.endswith("send_request_headers.complete"):
            self.sent()


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


# Second-level labels under which a site's own name is the third label (jobs.x.co.uk ~ www.x.co.uk).
_SECOND_LEVEL = frozenset("ac co com edu gov net org".split())


def site_of(host: str) -> str:
    """The registrable part of a host (apply.careers.x.com -> x.com); an IP address or one label stays whole."""
    host = (host or "").lower().strip("[]").rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(a: str, b: str) -> bool:
    """True when two hosts belong to one site (careers.x.com ~ apply.x.com; IP addresses must be equal)."""
    return site_of(a) == site_of(b)


def describe_error_body(response: httpx.Response) -> str:
    """A short, useful excerpt of an error body (JSON message or first words of text), on one line and
    printable: it ends up on the terminal and in scrape_runs.error, so a server's escape sequences must not."""
    text = printable(response.text[:2000], lines=False) if response.content else ""
    try:
        data = jsonlib.loads(text)
    except ValueError:
        return " ".join(text[:120].split())
    if isinstance(data, dict):
        parts = [f"{k}={data[k]!r}" for k in ("errorCode", "error", "message", "status") if data.get(k)]
        if parts:
            return printable(", ".join(parts)[:200])
    return " ".join(text[:120].split())


def describe_transport_error(exc: BaseException) -> str:
    """`Type: message` of a connection failure, with the first cause that says something: httpx's
    ConnectError for a TLS failure is empty, its cause (ssl.SSLCertVerificationError ...) is not."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        detail = str(cause).strip()
        if detail:
            name = type(exc).__name__
            if cause is not exc:
                name += f" <- {type(cause).__name__}"
            return printable(f"{name}: {detail}", lines=False)
        cause = cause.__cause__ or cause.__context__
    return f"{type(exc).__name__}: no detail"


_DEFAULT_PORTS = {"http": 80, "https": 443}


def redirect_refusal(source: httpx.URL, target: httpx.URL) -> str | None:
    """Why a redirect must not be followed, or None: it must stay on the site (careers.x.com may send to
    apply.x.com), on the same scheme and port (another port of a host is another server), except the
    usual upgrade from http to https on their default ports."""
    if not same_site(target.host, source.host):
        return "redirected to another host"
    before = (source.scheme, source.port or _DEFAULT_PORTS.get(source.scheme))
    after = (target.scheme, target.port or _DEFAULT_PORTS.get(target.scheme))
    if before != after and not (before == ("http", 80) and after == ("https", 443)):
        return "redirected to another port or scheme"
    return None


# A career API never answers with these; a body of this type is a wrong answer, not a page to parse.
BINARY_TYPES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip",
                "application/octet-stream")
GONE_STATUSES = frozenset({404, 410})
MAX_REDIRECTS = 10
# Seconds one lab's scrape may take, on top of what its own politeness needs (interval x max_details):
# a server trickling bytes otherwise holds a run for the deadline of every request, page after page.
DEFAULT_TIME_BUDGET = 300.0


class OutOfTime(ScrapeError):
    """The lab's time budget ran out: its run ends as partial (nothing closed)."""

    default_kind = "timeout"


def time_budget(lab: Lab, env: Mapping[str, str] | None = None) -> float:
    """Seconds the lab's scrape may take: its labs.toml time_budget, else $ASR_JOBS_TIME_BUDGET, else
    DEFAULT_TIME_BUDGET plus the time its politeness asks for its detail requests (interval x max_details)."""
    if lab.time_budget is not None:
        return lab.time_budget
    env = os.environ if env is None else env
    default = DEFAULT_TIME_BUDGET + lab.politeness.interval * max(0, lab.max_details)
    return _env_number(env, "ASR_JOBS_TIME_BUDGET", default, minimum=0.01)


class Fetcher:
    """One async HTTP client shared by all labs of a run, with per-host gates and retries."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        deadline: float | None = None,
        retry: RetryPolicy = RetryPolicy(),
        max_bytes: int = 64 * 1024 * 1024,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        cache: ResponseCache | None = None,  # GETs become conditional requests
    ):
        # Redirects are followed by hand, so that one to another site is refused before it is requested.
        self.client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, connect_timeout)),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json, text/html;q=0.9, */*;q=0.5"},
            follow_redirects=False,
            http2=False,
        )
        self.retry = retry
        self.max_bytes = max_bytes
        self.offline = bool(getattr(transport, "offline", False))  # e.g. a HAR replay
        # A read timeout is per chunk: a server trickling bytes would never hit it, so the whole
        # exchange (redirects and body included) has a deadline too.
        self.deadline = deadline if deadline is not None else timeout * 10
        self._sleep = sleep
        self._gates: dict[str, HostGate] = {}
        self.cache = cache
        self.robots = RobotsRules(replaying=self.offline)  # each host's robots.txt, read once per run

    @classmethod
    def from_env(cls, transport: httpx.AsyncBaseTransport | None = None,
                 env: Mapping[str, str] | None = None, **kwargs: Any) -> Fetcher:
        """A Fetcher tuned by ASR_JOBS_TIMEOUT, ASR_JOBS_RETRY_SCALE, ASR_JOBS_RETRY_ATTEMPTS, ASR_JOBS_MAX_BYTES."""
        env = os.environ if env is None else env
        timeout = _env_number(env, "ASR_JOBS_TIMEOUT", 30.0, minimum=0.01)
        policy = RetryPolicy(
            attempts=int(_env_number(env, "ASR_JOBS_RETRY_ATTEMPTS", RetryPolicy.attempts, minimum=1)),
            scale=_env_number(env, "ASR_JOBS_RETRY_SCALE", 1.0, minimum=0.0),
        )
        max_bytes = int(_env_number(env, "ASR_JOBS_MAX_BYTES", 64 * 1024 * 1024, minimum=1))
        return cls(transport, timeout=timeout, retry=policy, max_bytes=max_bytes, **kwargs)

    def gate(self, host: str, politeness: Politeness) -> HostGate:
        if host not in self._gates:
            if self.offline:
                # A recording answers at once and no server is there to spare: only the concurrency stays.
                politeness = Politeness(politeness.concurrency, 0.0)
            self._gates[host] = HostGate(politeness)
        return self._gates[host]

    async def aclose(self) -> None:
        if self.cache is not None:
            self.cache.flush()  # answers kept during the run are written in one transaction
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
        ends: float | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send with retries; return a 2xx (or an allowed) response, else raise ScrapeError.

        `ends` (event-loop time) is when the lab's time budget runs out: a request still under way then
        is cancelled, and no retry starts that could not finish before it (OutOfTime either way).
        """
        host = urlsplit(url).hostname or ""
        waited = 0.0
        attempt = 0
        if ends is not None and asyncio.get_running_loop().time() >= ends:
            raise OutOfTime(lab, url, "the lab's time budget ran out before this request")
        while True:
            attempt += 1
            try:
                async with asyncio.timeout_at(ends):
                    outcome = await self._attempt(lab, method, url, host, politeness, stats, ok_statuses, kwargs)
            except TimeoutError:
                raise OutOfTime(lab, url, f"the lab's time budget ran out during attempt {attempt}") from None
            if isinstance(outcome, httpx.Response):
                return outcome
            reason, status, asked, kind = outcome
            if attempt >= self.retry.attempts:
                break
            if asked is not None and asked > self.retry.max_delay:
                # Retrying sooner than the server asked is impolite and would only be refused again.
                raise ScrapeError(lab, url, f"{reason}; the server asks to wait {asked:.0f} s, more than the "
                                  f"{self.retry.max_delay:.0f} s cap, gave up after {attempt} attempt(s)",
                                  status=status, kind=kind)
            delay = asked if asked is not None else self.retry.backoff(attempt)
            if waited + delay > self.retry.max_total:
                break
            if ends is not None and asyncio.get_running_loop().time() + delay * self.retry.scale >= ends:
                raise OutOfTime(lab, url, f"{reason}; the lab's time budget runs out before another try "
                                f"(after {attempt} attempt(s))", status=status)
            waited += delay
            stats.retries += 1
            await self._sleep(delay * self.retry.scale)
        raise ScrapeError(lab, url, f"{reason}, gave up after {attempt} attempt(s)", status=status, kind=kind)

    async def _attempt(
        self, lab: str, method: str, url: str, host: str, politeness: Politeness, stats: LabStats,
        ok_statuses: frozenset[int], kwargs: dict[str, Any],
    ) -> httpx.Response | tuple[str, int | None, float | None, str]:
        """One try: the response to keep, or (reason, status, Retry-After seconds, kind) of a retryable failure."""
        try:
            async with self.gate(host, politeness).slot() as slot:
                stats.requests += 1
                response = await self._send(method, url, stats, slot, **kwargs)
        except ReplayMiss as exc:
            raise ScrapeError(lab, url, f"not in the replayed recording: {exc}") from None
        except httpx.TimeoutException as exc:
            which = {"ConnectTimeout": "connect", "ReadTimeout": "read", "WriteTimeout": "write",
                     "PoolTimeout": "pool"}.get(type(exc).__name__, "")
            return f"timed out ({which + ' timeout' if which else type(exc).__name__})", None, None, "timeout"
        except TimeoutError:
            # The whole deadline used (a server trickling bytes): another try would take as long again.
            raise ScrapeError(lab, url, f"timed out (no complete response within {self.deadline:g} s); not "
                              "retried, a server this slow would use the whole deadline again",
                              kind="timeout") from None
        except httpx.UnsupportedProtocol as exc:
            raise ScrapeError(lab, url, f"unsupported URL ({exc})", kind="config") from None
        except httpx.ConnectError as exc:
            # No connection at all (DNS, refused, unreachable, TLS): asking again at once would fail the same way.
            kind, reason = connect_failure(exc, urlsplit(url).netloc)
            raise ScrapeError(lab, url, reason, kind=kind) from None
        except httpx.TransportError as exc:
            return f"connection failed ({describe_transport_error(exc)})", None, None, "error"
        except httpx.DecodingError as exc:
            return f"response body could not be decoded ({exc})", None, None, "error"
        except (httpx.InvalidURL, httpx.RequestError) as exc:
            raise ScrapeError(lab, url, f"request failed ({type(exc).__name__}: {exc})") from None
        except _Refused as exc:
            raise ScrapeError(lab, url, str(exc), status=exc.status, kind=exc.kind) from None
        status = response.status_code
        waf = firewall_action(response)
        if waf:
            # A firewall's challenge is not an answer; asking again now would only be refused again.
            raise ScrapeError(lab, url, f"blocked by the site's firewall (HTTP {status}, {waf})", status=status,
                              kind="firewall")
        if 200 <= status < 300:
            _check_content_type(response, lab, url)
            return response
        if status in ok_statuses:
            return response
        reason = f"HTTP {status}"
        detail = describe_error_body(response)
        if detail:
            reason += f": {detail}"
        kind = status_kind(status) or "http"
        if status not in RETRY_STATUSES:
            raise ScrapeError(lab, url, reason, status=status, kind=kind)
        if status == 429:
            stats.rate_limited = True
        return reason, status, retry_after_seconds(response.headers.get("retry-after")), kind

    async def _send(self, method: str, url: str, stats: LabStats, slot: HostSlot, **kwargs: Any) -> httpx.Response:
        """The final response of a request (same-site redirects followed), its body read within the cap."""
        request = self._build(method, url, slot, kwargs)
        # A request for a fresh token (Cache-Control: no-store) is never answered from the cache.
        fresh = "no-store" in request.headers.get("cache-control", "")
        cache = self.cache if method == "GET" and not request.content and not fresh else None
        # A caller's own conditional headers are left alone (and its 304 is its business).
        own = "if-none-match" in request.headers or "if-modified-since" in request.headers
        validators = cache.validators(url) if cache is not None and not own else {}
        request.headers.update(validators)
        conditional = bool(validators)
        async with asyncio.timeout(self.deadline):
            for _ in range(MAX_REDIRECTS + 1):
                response = await self.client.send(request, stream=True)
                target = response.next_request
                if target is None:
                    if cache is not None and conditional and response.status_code == 304:
                        stored = await _not_modified(cache, url, response)
                        if stored is not None:
                            stats.not_modified += 1
                            return stored
                        # The stored copy is unusable: ask again, unconditionally.
                        request, conditional = self._build(method, url, slot, kwargs), False
                        continue
                    await self._read(response, stats)
                    if cache is not None and response.status_code == 200:
                        keep = "no-store" not in response.headers.get("cache-control", "")
                        cache.remember(url, response.headers.get("etag") if keep else None,
                                       response.headers.get("last-modified") if keep else None,
                                       response.headers.get("content-type"), response.content)
                    return response
                await response.aclose()
                refusal = redirect_refusal(request.url, target.url)
                if refusal:
                    raise _Refused(f"{refusal}: {target.url} (HTTP {response.status_code} "
                                   f"from {request.url.host})", response.status_code)
                request = target
        raise _Refused(f"more than {MAX_REDIRECTS} redirects", None)

    def _build(self, method: str, url: str, slot: HostSlot, kwargs: dict[str, Any]) -> httpx.Request:
        """The request, traced so that its host gate knows when it was sent (redirects carry the trace along)."""
        request = self.client.build_request(method, url, **kwargs)
        request.extensions["trace"] = slot.trace
        return request

    async def _read(self, response: httpx.Response, stats: LabStats) -> None:
        """Read the body, refusing one over the size cap before it fills memory."""
        try:
            declared = int(response.headers.get("content-length") or 0)
        except ValueError:
            declared = 0
        try:
            if declared > self.max_bytes:
                raise _Refused(f"response body of {declared:,} bytes is over the size cap of "
                               f"{self.max_bytes:,} bytes", response.status_code)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise _Refused(f"response body over the size cap of {self.max_bytes:,} bytes",
                                   response.status_code)
                chunks.append(chunk)
        finally:
            await response.aclose()
        response._content = b"".join(chunks)
        stats.bytes += size


async def _not_modified(cache: ResponseCache, url: str, response: httpx.Response) -> httpx.Response | None:
    """The stored answer standing in for a 304 (a 200 with the stored body), or None when none is stored."""
    await response.aclose()
    stored = cache.get(url)
    if stored is None:
        return None
    cache.revalidated(url, response.headers.get("etag"), response.headers.get("last-modified"))
    headers = {"content-type": stored.content_type or "", "x-asr-jobs-cache": "revalidated"}
    return httpx.Response(200, headers=headers, content=stored.body, request=response.request)


class _Refused(Exception):
    """A response that must not be used nor retried (too big, off-site redirect)."""

    def __init__(self, message: str, status: int | None):
        super().__init__(message)
        self.status = status
        self.kind = status_kind(status) or "error"


# Headers by which web application firewalls mark a challenge or block instead of an answer.
FIREWALL_HEADERS = ("x-amzn-waf-action", "cf-mitigated")


def firewall_action(response: httpx.Response) -> str:
    """`header: value` of a firewall's challenge or block in a response, '' when it is an answer."""
    for name in FIREWALL_HEADERS:
        value = response.headers.get(name)
        if value:
            return f"{name}: {value}"
    return ""


_UNREACHABLE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN,
                          errno.ECONNREFUSED, errno.EADDRNOTAVAIL})


def connect_failure(exc: BaseException, netloc: str) -> tuple[str, str]:
    """(kind, reason) of a connection that could not be made: tls for a failed handshake, else offline."""
    for cause in _causes(exc):
        # verify_message and reason are set by the ssl module itself; an SSLError made elsewhere may lack them.
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = getattr(cause, "verify_message", None) or getattr(cause, "reason", None) or cause
            return "tls", f"TLS certificate of {netloc} not accepted ({detail})"
        if isinstance(cause, ssl.SSLError):
            return "tls", f"TLS handshake with {netloc} failed ({getattr(cause, 'reason', None) or cause})"
        if isinstance(cause, socket.gaierror):
            return "offline", f"cannot resolve {netloc} (DNS: {cause.strerror or cause})"
        if isinstance(cause, ConnectionRefusedError):
            return "offline", f"connection to {netloc} refused"
        if isinstance(cause, OSError) and cause.errno in _UNREACHABLE:
            return "offline", f"cannot reach {netloc} ({cause.strerror or cause})"
    text = str(exc) or "no detail"
    if "SSL" in text or "certificate" in text.lower():
        return "tls", f"TLS handshake with {netloc} failed ({text})"
    return "offline", f"cannot connect to {netloc} ({text})"


def _causes(exc: BaseException) -> list[BaseException]:
    """An exception and those it was raised from, outermost first (httpx > httpcore > the socket's error)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _check_content_type(response: httpx.Response, lab: str, url: str) -> None:
    """Refuse binary bodies; text types are left to the parser (Meta sends JSON as text/html)."""
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind.startswith(BINARY_TYPES):
        raise ScrapeError(lab, url, f"unexpected content type {kind!r} ({len(response.content):,} bytes) "
                          "where a web page or JSON was expected", status=response.status_code, kind="format")


def _env_number(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = env.get(name)
    if raw is None or not str(raw).strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number") from None
    if not math.isfinite(value) or value < minimum:
        raise ValueError(f"{name}={raw!r} must be a number of at least {minimum:g}")
    return value


def merged_headers(lab: Mapping[str, str], own: Mapping[str, str | None]) -> dict[str, str]:
    """A lab's headers under a call's own, names compared case-insensitively; a call's None leaves a lab's header off."""
    mine = {name.lower() for name in own}
    merged = {name: value for name, value in lab.items() if name.lower() not in mine}
    merged.update({name: value for name, value in own.items() if value is not None})
    return merged


@dataclass
class LabContext:
    """What an adapter sees of a run: its lab, the fetcher, and what is already stored."""

    lab: Lab
    fetcher: Fetcher
    previous: dict[str, Posting] = field(default_factory=dict)  # source_id -> stored posting
    previous_keys: dict[str, str] = field(default_factory=dict)  # source_id -> stored listing key
    stats: LabStats = field(default_factory=LabStats)
    warnings: list[str] = field(default_factory=list)
    partial: bool = False  # set when the adapter knows it did not see the whole listing
    gone_ids: dict[str, str] = field(default_factory=dict)  # source_id -> URL that answered 404/410
    dropped_keys: dict[str, str] = field(default_factory=dict)  # source_id -> listing key the filters dropped last run
    dropped: dict[str, str] = field(default_factory=dict)  # the same, for this run (kept for the next one)
    ends: float | None = None  # event-loop time at which the lab's time budget runs out (None: no budget)
    out_of_time: bool = False  # set once a request was stopped by the time budget
    state: dict[str, str] = field(default_factory=dict)  # what the adapter keeps between runs (db/lab_state.py)

    @property
    def name(self) -> str:
        return self.lab.name

    def param(self, key: str, default: Any = None) -> Any:
        return self.lab.params.get(key, default)

    async def send(self, method: str, url: str, *, ok_statuses: frozenset[int] = frozenset(), **kwargs: Any) -> httpx.Response:
        """One request with the lab's politeness; the lab's own headers first, the call's own over them."""
        if self.lab.headers or kwargs.get("headers"):
            kwargs["headers"] = merged_headers(self.lab.headers, kwargs.get("headers") or {})
        try:
            response = await self.fetcher.request(self.name, method, url, politeness=self.lab.politeness,
                                                  stats=self.stats, ok_statuses=ok_statuses, ends=self.ends, **kwargs)
        except OutOfTime:
            self.out_of_time = self.partial = True
            raise
        self._warn_if_not_text(response)
        return response

    def _warn_if_not_text(self, response: httpx.Response) -> None:
        """Warn when a text answer holds bytes its encoding does not allow: they are read as U+FFFD
        (httpx and load_json replace them) rather than failing the whole lab, but the user should know."""
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if not response.content or not (not kind or kind.startswith("text/") or "json" in kind or "xml" in kind):
            return
        encoding = response.encoding or "utf-8"
        try:
            response.content.decode(encoding)
        except UnicodeDecodeError as exc:
            self.warn(f"{self.name}: invalid {encoding} at byte {exc.start:,} of {response.url} "
                      f"({len(response.content):,} bytes): read as U+FFFD, the rest of the answer was used")
        except LookupError:  # a charset Python does not know: httpx already fell back to UTF-8
            return

    async def get_text(self, url: str, **kwargs: Any) -> str:
        return (await self.send("GET", url, **kwargs)).text

    async def get_json(self, url: str, **kwargs: Any) -> Any:
        return self.json_of(await self.send("GET", url, **kwargs))

    async def post_json(self, url: str, **kwargs: Any) -> Any:
        return self.json_of(await self.send("POST", url, **kwargs))

    def json_of(self, response: httpx.Response) -> Any:
        """The JSON of a response, or a ParseError naming the lab, the URL, the cause and the content type."""
        try:
            return load_json(response.content, self.name, str(response.url))
        except ParseError as exc:
            kind = response.headers.get("content-type", "")
            if kind and "json" not in kind.lower():
                raise ParseError(self.name, exc.url, f"{exc.reason} [content-type {kind}]",
                                 status=response.status_code) from None
            raise

    async def detail(self, source_id: str, url: str, method: str = "GET", **kwargs: Any) -> httpx.Response | None:
        """A posting's own page or detail request; None, and the posting reported gone, on HTTP 404 or 410."""
        allowed = GONE_STATUSES | kwargs.pop("ok_statuses", frozenset())
        response = await self.send(method, url, ok_statuses=allowed, **kwargs)
        if response.status_code in GONE_STATUSES:
            self.gone(source_id, str(response.url))
            return None
        return response

    async def allowed(self, url: str, *, listing: bool = True) -> bool:
        """Whether robots.txt lets our User-Agent fetch this web page; a page it does not is warned about, never
        fetched, and makes the run partial (nothing is closed for not being seen). An unreachable robots.txt
        (429/5xx after retries) raises ScrapeError: no page of that host is fetched (scrapers/robots.py).
        `listing=False` for a page that shows no postings (a session's bootstrap page): skipping it leaves the
        run whole."""
        agent = next((v for k, v in self.lab.headers.items() if k.lower() == "user-agent"), USER_AGENT)
        verdict = await self.fetcher.robots.verdict(url, agent, lambda robots_url: self.send(
            "GET", robots_url, ok_statuses=ANSWERED, headers={"Accept": "text/plain, */*;q=0.5"}))
        if not verdict.allowed and verdict.status is not None:
            raise ScrapeError(self.name, url, verdict.reason, status=verdict.status,
                              kind="throttled" if verdict.status == 429 else "http")
        if not verdict.allowed:
            self.warn(f"{self.name}: skipped {url}: {verdict.reason}")
            self.partial = self.partial or listing
        return verdict.allowed

    def gone(self, source_id: str, url: str = "") -> None:
        """Report that a posting's own page answered 404/410: the store closes it, even in a partial run."""
        self.gone_ids[str(source_id)] = url

    def unchanged(self, source_id: str, listing_key: str) -> Posting | None:
        """The stored posting when the listing says nothing changed, so its detail need not be fetched."""
        if listing_key and self.previous_keys.get(source_id) == listing_key:
            return self.previous.get(source_id)
        return None

    def still_dropped(self, source_id: str, listing_key: str) -> bool:
        """Whether the lab's filters dropped this posting last run with the same listing: no detail needed."""
        if listing_key and self.dropped_keys.get(source_id) == listing_key:
            self.dropped[source_id] = listing_key
            return True
        return False

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def parse_error(self, url: str, reason: str) -> ParseError:
        return ParseError(self.name, url, reason)

    def config_error(self, url: str, reason: str) -> ScrapeError:
        """An error in the lab's configuration; `reason` names the setting to change."""
        return ScrapeError(self.name, url, reason, kind="config")
