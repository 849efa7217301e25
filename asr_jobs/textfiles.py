"""Saved files read as text, gzipped or not, and the read-through check of a JSON-lines file.

Light to import (no HTTP or SQLite libraries): the check runs first thing in the worker process.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import IO

from .models import Lab
from .scrapers.adapters import jsonl


def open_text(path: str | Path) -> IO[str]:
    """A text stream of a file; .gz (by its magic number) decompressed on the fly."""
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt", encoding="utf-8-sig") if gzipped else open(path, encoding="utf-8-sig")


def check_jsonl(path: str | Path, lab: Lab) -> None:
    """ParseError at the first bad line of a JSON-lines file (read as a stream, no posting made)."""
    with open_text(path) as lines:
        jsonl.check(lines, lab, f"file://{Path(path).resolve()}")
