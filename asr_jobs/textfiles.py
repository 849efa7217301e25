"""Saved files read as text, gzipped or not, and the read-through check of a JSON-lines file.

Light to import (no HTTP or SQLite libraries): the check runs first thing in the worker process.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .models import Lab, ParseError
from .scrapers.adapters import jsonl


def open_text(path: str | Path) -> IO[str]:
    """A text stream of a file; .gz (by its magic number) decompressed on the fly."""
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt", encoding="utf-8-sig") if gzipped else open(path, encoding="utf-8-sig")


def file_url(path: str | Path) -> str:
    """The file:// URL errors about a saved file name it by."""
    return f"file://{Path(path).resolve()}"


def text_lines(path: str | Path, lab: Lab) -> Iterator[str]:
    """The lines of a saved file, read as a stream; a gzip cut short or damaged is a ParseError naming the file.

    (Else the end of a truncated gzip, an EOFError, would reach the command line as click's bare "Aborted!".)
    """
    try:
        with open_text(path) as lines:
            yield from lines
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise ParseError(lab.name, file_url(path), f"the gzip file is cut short or damaged ({exc})") from None


def check_jsonl(path: str | Path, lab: Lab) -> None:
    """ParseError at the first bad line of a JSON-lines file (read as a stream, no posting made)."""
    jsonl.check(text_lines(path, lab), lab, file_url(path))
