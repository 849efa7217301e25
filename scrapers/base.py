"""The normalized posting every adapter returns, and the errors adapters raise."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

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


class ScrapeError(Exception):
    """A lab could not be scraped: names the lab, the URL and what was wrong."""

    def __init__(self, lab: str, url: str, reason: str, *, status: int | None = None):
        self.lab = lab
        self.url = url
        self.reason = reason
        self.status = status
        super().__init__(f"{lab}: {reason} ({url})")

    def __reduce__(self) -> tuple:
        # Raised in a worker process, it must arrive whole (pickle would call __init__ with the message only).
        return _rebuild_error, (type(self), self.lab, self.url, self.reason, self.status)


def _rebuild_error(kind: type, lab: str, url: str, reason: str, status: int | None) -> ScrapeError:
    return kind(lab, url, reason, status=status)


class ParseError(ScrapeError):
    """A response was not in the shape its adapter expects."""


def require(obj: Any, key: str, kind: type | tuple[type, ...], lab: str, url: str) -> Any:
    """obj[key] checked for presence and type, else a ParseError saying which."""
    if not isinstance(obj, dict):
        raise ParseError(lab, url, f"expected a JSON object holding {key!r}, got {type(obj).__name__}")
    if key not in obj:
        raise ParseError(lab, url, f"missing key {key!r} (keys: {', '.join(sorted(obj)[:12])})")
    value = obj[key]
    if not isinstance(value, kind):
        expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ParseError(lab, url, f"key {key!r} should be {expected}, got {type(value).__name__}")
    return value


def load_json(body: bytes | str, lab: str, url: str) -> Any:
    """Parse a JSON body, or raise a ParseError that says what came instead."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ParseError(lab, url, f"body is not UTF-8 text ({exc.reason})") from None
    text = body.strip()
    if not text:
        raise ParseError(lab, url, "empty body where JSON was expected")
    if text[:1] == "<":
        snippet = " ".join(text[:80].split())
        raise ParseError(lab, url, f"got HTML where JSON was expected (a login or bot wall?): {snippet!r}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(lab, url, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:  # "[[[[...": hostile or broken, never a career site's real answer
        raise ParseError(lab, url, "JSON nested too deeply to read") from None


def iso_from_epoch(value: Any, *, millis: bool = False) -> str | None:
    """ISO 8601 UTC timestamp from epoch seconds (or milliseconds)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        seconds = float(value) / (1000 if millis else 1)
        return datetime.fromtimestamp(seconds, tz=UTC).isoformat(timespec="seconds")
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def clean(value: Any) -> str:
    """A string field with whitespace folded; '' for None and non-strings."""
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())


def as_list(value: Any) -> list:
    """The value when it is a JSON array, else [] (a stray object or number must not be iterated)."""
    return value if isinstance(value, list) else []


def shape_of(data: Any) -> str:
    """A short description of an unexpected JSON value, for error messages."""
    if isinstance(data, dict):
        return "an object with keys " + ", ".join(sorted(data)[:8])
    return type(data).__name__
