"""The data model every layer shares: a lab's configuration, a posting, and the errors a scrape raises."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    # For annotations only (no import at run time): the context an adapter's scrape gets lives with
    # the fetcher it wraps, one layer up; everything else an adapter names is in this module.
    from .scrapers.fetch import LabContext

CATEGORIES = ("industry", "startup", "academic", "hybrid")
# A user's application statuses of a posting (`asr-jobs mark`), in pipeline order.
APPLICATION_STATUSES = ("interested", "applied", "interviewing", "offer", "rejected", "hidden")

# Fields whose change makes a new version of a posting (issue: history).
CONTENT_FIELDS = (
    "title",
    "team",
    "location",
    "workplace",
    "employment_type",
    "description",
    "salary_min",
    "salary_max",
    "salary_currency",
    "salary_period",
)


def stable_id(*parts: str) -> str:
    """A 16-hex-digit id that is the same on every machine and every run."""
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


@dataclass
class Posting:
    """One job posting, normalized from whatever format its career site uses."""

    lab: str
    source_id: str
    title: str
    url: str
    description: str = ""
    location: str = ""
    team: str = ""
    workplace: str = ""  # remote | hybrid | onsite | ""
    employment_type: str = ""  # full-time | part-time | intern | contract | temporary | ""
    posted_at: str | None = None  # ISO 8601
    updated_at: str | None = None  # ISO 8601
    salary_min: float | None = None
    salary_max: float | None = None
    salary_currency: str | None = None
    salary_period: str | None = None  # year | month | hour
    company: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return stable_id(self.lab, self.source_id)

    def content_hash(self) -> str:
        """Hash of the fields a user cares about; a change here is a new version."""
        values = {name: getattr(self, name) for name in CONTENT_FIELDS}
        return hashlib.sha1(json.dumps(values, sort_keys=True).encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# The classes of failure a user acts on differently (`asr-jobs doctor` prints them with what to do):
#   offline     no network: DNS failed or the connection was refused
#   tls         the TLS handshake or certificate failed
#   timeout     the site did not answer (or trickled) within the deadline
#   http        an HTTP error status
#   firewall    a firewall or captcha page (e.g. a WAF answering 405 with x-amzn-waf-action: captcha)
#   throttled   the site asked us to slow down (429, or a site-specific throttling answer)
#   format      the answer was not in the shape the adapter expects (the message names the key)
#   config      the lab's configuration is wrong (the message names the setting to change)
#   error       anything else
ERROR_KINDS = ("offline", "tls", "timeout", "http", "firewall", "throttled", "format", "config", "error")


class ScrapeError(Exception):
    """A lab could not be scraped: names the lab, the URL and what was wrong; `kind` is one of ERROR_KINDS."""

    default_kind = "error"

    def __init__(self, lab: str, url: str, reason: str, *, status: int | None = None, kind: str | None = None):
        self.lab = lab
        self.url = url
        self.reason = reason
        self.status = status
        # An HTTP error status says the class when the raiser named none (an adapter's own error message).
        self.kind = kind or (self.default_kind if self.default_kind != "error" else status_kind(status) or "error")
        super().__init__(f"{lab}: {reason} ({url})")

    def __reduce__(self) -> tuple:
        # Raised in a worker process, it must arrive whole (pickle would call __init__ with the message only).
        return _rebuild_error, (type(self), self.lab, self.url, self.reason, self.status, self.kind)


def status_kind(status: int | None) -> str | None:
    """The failure class of an HTTP error status: throttled for 429, http for the others (None below 400)."""
    if status is None or status < 400:
        return None
    return "throttled" if status == 429 else "http"


def _rebuild_error(cls: type, lab: str, url: str, reason: str, status: int | None, kind: str) -> ScrapeError:
    return cls(lab, url, reason, status=status, kind=kind)


class ParseError(ScrapeError):
    """A response was not in the shape its adapter expects."""

    default_kind = "format"


@dataclass(frozen=True)
class Politeness:
    """How hard one host may be asked: requests in flight and seconds between request starts."""

    concurrency: int = 4
    interval: float = 0.0


class ConfigError(ValueError):
    """The lab registry or a user's lab file is wrong."""


@dataclass
class Lab:
    name: str
    title: str
    category: str
    adapter: str
    params: dict[str, Any] = field(default_factory=dict)
    queries: list[str] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    politeness: Politeness = Politeness()
    max_details: int = 400
    homepage: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # sent with every request to the lab's sites
    time_budget: float | None = None  # seconds its scrape may take (None: fetch.time_budget's default)

    def keep(self, posting: Posting) -> bool:
        """Whether a posting passes this lab's filters (all filter kinds must match)."""
        checks = {
            "title": posting.title,
            "team": posting.team,
            "text": f"{posting.title}\n{posting.team}\n{posting.description}",
        }
        for kind, patterns in self.filters.items():
            haystack = checks.get(kind)
            if haystack is None or not patterns:
                continue
            if not any(re.search(p, haystack, re.I) for p in patterns):
                return False
        return True


class Adapter(Protocol):
    """What every career-system adapter provides (scrapers/registry.py loads and checks one per module).

    An adapter is the module scrapers/adapters/<name>.py; its functions are:
      scrape(ctx)                 all of a lab's postings, fetched through ctx (listing, then details if any)
      parse(body, lab, url)       the postings in one saved response body (pure: no I/O, no clock)
      detect(data, url)           whether a saved body (parsed JSON, or the text when not JSON) is this format
      detail_route(lab, posting)  the URL of the request that completes a posting its listing shows,
                                  None when the listing already carries everything (no detail request)
      probe(ctx)                  the cheapest requests that prove the site answers in the expected format
                                  (one listing page and any token it needs, no details): the number of
                                  postings the site reports (or that page holds), None when it tells none
    """

    @property
    def name(self) -> str:
        """The adapter's name, as `adapter = "..."` in labs.toml says it (its module's file name)."""
        ...

    def scrape(self, ctx: LabContext) -> Awaitable[list[Posting]]: ...

    def parse(self, body: bytes | str, lab: Lab, url: str) -> list[Posting]: ...

    def detect(self, data: Any, url: str) -> bool: ...

    def detail_route(self, lab: Lab, posting: Posting) -> str | None: ...

    def probe(self, ctx: LabContext) -> Awaitable[int | None]: ...


# The members an adapter module must define, each a function (the registry names a module missing one).
ADAPTER_FUNCTIONS = ("scrape", "parse", "detect", "detail_route", "probe")
# Those of them that are coroutine functions (they make requests).
ASYNC_FUNCTIONS = frozenset({"scrape", "probe"})
