"""Import saved responses (any adapter's format), HAR files and JSON lines of postings."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import sqlite_utils

from .db import store
from .pipeline import enrich
from .scrapers.base import ParseError, Posting
from .scrapers.har import entry_body, load_har
from .scrapers.registry import ADAPTER_MODULES, Lab, adapter_module

FORMATS = ("har", "jsonl", *sorted(set(ADAPTER_MODULES) - {"jsonl"}))


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
    """Parse a saved file and store its postings (an import never closes anything)."""
    postings, fmt, notes = parse_file(path, lab, fmt)
    with db.atomic():
        store.save_labs(db, [lab])
        result = store.save_postings(db, postings, fields=enrich(postings))
    return result, fmt, notes
