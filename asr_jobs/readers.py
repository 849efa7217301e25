"""Reading saved files into postings: any adapter's response bodies, HAR recordings, JSON lines."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

from .db.store import now_iso, utc_iso
from .models import Lab, ParseError, Posting
from .scrapers.adapters import jsonl
from .scrapers.har import entry_body, load_har
from .scrapers.registry import adapter, adapter_names, saved_formats
from .textfiles import check_jsonl, file_url, read_text, text_lines

FORMATS = saved_formats()
BATCH = 2000  # postings of a JSON-lines file parsed and stored at a time


def detect_format(text: str, lab: Lab | None = None, url: str = "") -> str:
    """The format of a saved body: har, jsonl, or an adapter name; ValueError when unknown."""
    stripped = text.lstrip()
    try:
        data: Any = json.loads(stripped) if stripped[:1] in "[{" else None
    except json.JSONDecodeError:
        data = None
        first = stripped.split("\n", 1)[0]
        try:
            if isinstance(json.loads(first), dict):
                return "jsonl"
        except json.JSONDecodeError:
            pass
    if isinstance(data, dict) and isinstance(data.get("log"), dict) and "entries" in data["log"]:
        return "har"
    candidates = [name for name in adapter_names() if name != "jsonl"]
    if lab is not None and lab.adapter in candidates:  # the lab's own adapter is the likeliest
        candidates.remove(lab.adapter)
        candidates.insert(0, lab.adapter)
    for name in candidates:
        if adapter(name).detect(data if data is not None else text, url):
            return name
    raise ValueError("cannot tell the format of this file; name it with --format "
                     f"({', '.join(FORMATS)})")


def merge(postings: list[Posting]) -> list[Posting]:
    """Postings of the same id combined (a listing entry and its detail), later non-empty values winning."""
    merged: dict[str, Posting] = {}
    for posting in postings:
        old = merged.get(posting.id)
        if old is None:
            merged[posting.id] = posting
            continue
        for name, value in posting.to_dict().items():
            if value not in (None, "", {}, []):
                setattr(old, name, value)
    return list(merged.values())


def parse_file(path: str | Path, lab: Lab, fmt: str | None = None) -> tuple[list[Posting], str, list[str]]:
    """Postings in a saved file, its format, and notes on entries that were skipped."""
    text = read_text(path)
    url = file_url(path)
    fmt = fmt or detect_format(text, lab, url)
    if fmt == "har":
        postings, notes = parse_har(path, lab)
        return postings, fmt, notes
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    return merge(adapter(fmt).parse(text, lab, url)), fmt, []


def parse_har(path: str | Path, lab: Lab) -> tuple[list[Posting], list[str]]:
    """Every response in a HAR file routed to its parser: the lab's adapter, else the detected one."""
    return parse_har_entries(load_har(path), lab)


def parse_har_entries(entries: list[dict], lab: Lab) -> tuple[list[Posting], list[str]]:
    """The postings of HAR entries (each 2xx response parsed), and notes on the entries skipped."""
    postings: list[Posting] = []
    notes: list[str] = []
    own = lab.adapter if lab.adapter in adapter_names() and lab.adapter != "jsonl" else None
    for entry in entries:
        url = entry.get("request", {}).get("url", "")
        status = entry.get("response", {}).get("status", 0)
        if not 200 <= status < 300:
            notes.append(f"skipped HTTP {status}: {url}")
            continue
        body = entry_body(entry)
        try:
            fmt = own or detect_format(body.decode("utf-8", "replace"), None, url)
            postings.extend(adapter(fmt).parse(body, lab, url))
        except (ParseError, ValueError) as exc:
            notes.append(f"skipped {url}: {exc}")
    return merge(postings), notes


def looks_jsonl(path: str | Path) -> bool:
    """Whether a file's first two non-empty lines are JSON objects (JSON lines, not one JSON document)."""
    with closing(text_lines(path)) as lines:
        first = list(islice((line for line in lines if line.strip()), 2))
    if len(first) < 2:
        return False
    try:
        return all(isinstance(json.loads(line), dict) for line in first)
    except json.JSONDecodeError:
        return False


def jsonl_batches(path: str | Path, lab: Lab) -> Iterator[list[Posting]]:
    """The postings of a JSON-lines file, BATCH at a time, read as a stream."""
    yield from merged_batches(jsonl.postings_of(text_lines(path, lab), lab, file_url(path)))


def merged_batches(postings: Iterable[Posting]) -> Iterator[list[Posting]]:
    """Postings BATCH at a time, each batch merged (a listing entry and its detail become one posting)."""
    stream = iter(postings)
    while batch := list(islice(stream, BATCH)):
        yield merge(batch)


@dataclass
class SavedFile:
    """A saved file's postings in batches, its format, when its data was saved (and how that is known), notes."""

    batches: Iterator[list[Posting]]
    format: str
    saved_at: str  # UTC ISO 8601: what the import stores as the time the postings were seen
    saved_by: str  # where saved_at comes from: "--as-of", "the HAR's first startedDateTime", "the file's time"
    notes: list[str] = field(default_factory=list)
    # Raises ParseError at a bad entry anywhere in the file; to run before anything is stored (a module-level
    # function with its arguments: it may run in the worker process while the first batches are prepared).
    check: Callable[[], None] | None = None


def file_batches(path: str | Path, lab: Lab, fmt: str | None = None, as_of: str | None = None) -> SavedFile:
    """The postings of a saved file in batches (JSON lines streamed, BATCH at a time) and when they were saved.

    The time is `as_of` when given, else the first startedDateTime of a HAR's answers, else the file's
    modification time; never later than now. A JSON-lines file comes with its `check`: a read-through
    that raises ParseError at its first bad line, to pass before anything is stored.
    """
    if fmt == "jsonl" or (fmt is None and looks_jsonl(path)):
        # The check may run in the worker process, started from another directory (absolute path).
        check = partial(check_jsonl, Path(path).resolve(), lab)
        return SavedFile(jsonl_batches(path, lab), "jsonl", *_saved_at(path, as_of), check=check)
    fmt = fmt or detect_format(read_text(path), lab, file_url(path))
    if fmt == "har":
        entries = load_har(path)
        postings, notes = parse_har_entries(entries, lab)
        return SavedFile(iter([postings]), "har", *_saved_at(path, as_of, entries), notes)
    postings, fmt, notes = parse_file(path, lab, fmt)
    return SavedFile(iter([postings]), fmt, *_saved_at(path, as_of), notes)


def _saved_at(path: str | Path, as_of: str | None, entries: list[dict] | None = None) -> tuple[str, str]:
    """When a file's data was saved, and how that is known (see file_batches); never later than now."""
    if as_of is not None:
        return utc_iso(as_of), "--as-of"
    started = sorted(utc_iso(t) for t in _started_times(entries or []))
    if started:
        when, source = started[0], "the HAR's first startedDateTime"
    else:
        when = utc_iso(datetime.fromtimestamp(Path(path).stat().st_mtime, UTC))
        source = "the file's modification time"
    now = now_iso()
    return (now, f"{source}, in the future: now") if when > now else (when, source)


def _started_times(entries: list[dict]) -> Iterator[str]:
    """The startedDateTime of each 2xx answer of a HAR that is a readable time."""
    for entry in entries:
        status = entry.get("response", {}).get("status", 0)
        started = entry.get("startedDateTime")
        if isinstance(status, int) and 200 <= status < 300 and isinstance(started, str):
            try:
                yield utc_iso(started)
            except ValueError:
                continue
