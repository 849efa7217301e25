"""Helpers adapters share to read JSON answers: checked keys, clear parse errors, timestamps, strings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ..models import ParseError


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
    """Parse a JSON body, or raise a ParseError that says what came instead.

    Bytes that are not UTF-8 are read as U+FFFD: one bad byte in a title must not cost the whole
    listing (LabContext.send warns about them when it fetches the body)."""
    if isinstance(body, bytes):
        body = body.decode("utf-8-sig", errors="replace")
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


def jobs_of(data: Any, lab: str, url: str, expected: str) -> list:
    """The `jobs` list of a board answer (`{"jobs": [...]}`) or a bare list; else a ParseError naming `expected`."""
    if isinstance(data, dict) and "jobs" in data:
        return require(data, "jobs", list, lab, url)
    if isinstance(data, list):
        return data
    raise ParseError(lab, url, f"expected {expected} with a 'jobs' list, got {shape_of(data)}")
