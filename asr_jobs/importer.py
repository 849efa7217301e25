"""Import saved responses (any adapter's format), HAR files and JSON lines of postings."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import sqlite_utils

from .db import store
from .models import Lab, ParseError, Posting
from .scrapers.adapters import jsonl
from .scrapers.har import entry_body, load_har
from .scrapers.registry import ADAPTER_MODULES, adapter_module

FORMATS = ("har", "jsonl", *sorted(set(ADAPTER_MODULES) - {"jsonl"}))
BATCH = 2000  # postings of a JSON-lines file parsed and stored at a time


def read_text(path: str | Path) -> str:
    """A file's text; .gz files are decompressed."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8-sig")


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
    candidates = [name for name in ADAPTER_MODULES if name != "jsonl"]
    if lab is not None and lab.adapter in candidates:  # the lab's own adapter is the likeliest
        candidates.remove(lab.adapter)
        candidates.insert(0, lab.adapter)
    for name in candidates:
        module = adapter_module(name)
        if module.detect(data if data is not None else text, url):
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
    url = f"file://{Path(path).resolve()}"
    fmt = fmt or detect_format(text, lab, url)
    if fmt == "har":
        postings, notes = parse_har(path, lab)
        return postings, fmt, notes
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    module = adapter_module(fmt)
    return merge(module.parse(text, lab, url)), fmt, []


def parse_har(path: str | Path, lab: Lab) -> tuple[list[Posting], list[str]]:
    """Every response in a HAR file routed to its parser: the lab's adapter, else the detected one."""
    postings: list[Posting] = []
    notes: list[str] = []
    for entry in load_har(path):
        url = entry.get("request", {}).get("url", "")
        status = entry.get("response", {}).get("status", 0)
        if not 200 <= status < 300:
            notes.append(f"skipped HTTP {status}: {url}")
            continue
        body = entry_body(entry)
        text = body.decode("utf-8", "replace")
        try:
            fmt = lab.adapter if lab.adapter in ADAPTER_MODULES and lab.adapter != "jsonl" else detect_format(text, None, url)
            postings.extend(adapter_module(fmt).parse(body, lab, url))
        except (ParseError, ValueError) as exc:
            notes.append(f"skipped {url}: {exc}")
    return merge(postings), notes


def import_file(db: sqlite_utils.Database, path: str | Path, lab: Lab, fmt: str | None = None) -> tuple[store.SaveResult, str, list[str]]:
    """Parse a saved file and store its postings (an import never closes anything).

    JSON lines are read as a stream and stored BATCH postings at a time, so that a corpus of any size
    fits in memory; the whole import is still one transaction (a bad line imports nothing).
    """
    if fmt == "jsonl" or (fmt is None and _looks_jsonl(path)):
        batches, fmt, notes = jsonl_batches(path, lab), "jsonl", []
    else:
        postings, fmt, notes = parse_file(path, lab, fmt)
        batches = iter([postings])
    return save_batches(db, lab, batches), fmt, notes


def save_batches(db: sqlite_utils.Database, lab: Lab, batches: Iterable[list[Posting]]) -> store.SaveResult:
    """Store batches of postings (with their derived fields) in one transaction; the counts summed."""
    from .pipeline import enrich  # pulls in the matcher's text rules: only when importing

    result = store.SaveResult()
    with store.write_transaction(db):
        store.save_labs(db, [lab])
        for batch in batches:
            saved = store.save_postings(db, batch, fields=enrich(batch))
            for name in ("seen", "new", "updated", "unchanged", "reopened"):
                setattr(result, name, getattr(result, name) + getattr(saved, name))
            result.new_ids.extend(saved.new_ids)
    return result


def _open_text(path: str | Path):
    """A text stream of a file; .gz (by its magic number) decompressed on the fly."""
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt", encoding="utf-8-sig") if gzipped else open(path, encoding="utf-8-sig")


def _looks_jsonl(path: str | Path) -> bool:
    """Whether a file's first two non-empty lines are JSON objects (JSON lines, not one JSON document)."""
    with _open_text(path) as lines:
        first = list(islice((line for line in lines if line.strip()), 2))
    if len(first) < 2:
        return False
    try:
        return all(isinstance(json.loads(line), dict) for line in first)
    except json.JSONDecodeError:
        return False


def jsonl_batches(path: str | Path, lab: Lab) -> Iterator[list[Posting]]:
    """The postings of a JSON-lines file, BATCH at a time, read as a stream."""
    url = f"file://{Path(path).resolve()}"
    batch: list[Posting] = []
    with _open_text(path) as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ParseError(lab.name, url, f"line {number}: invalid JSON ({exc.msg})") from None
            batch.append(jsonl.parse_row(row, lab, url, number))
            if len(batch) >= BATCH:
                yield merge(batch)
                batch = []
    if batch:
        yield merge(batch)
