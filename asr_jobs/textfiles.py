"""Saved files read as text, gzipped or not, and the read-through check of a JSON-lines file.

Light to import (no HTTP or SQLite libraries): the check runs first thing in the worker process.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Generator
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


# What reading a gzip cut short or damaged raises. An EOFError reaching the command line would be printed by
# click as a bare "Aborted!": every read of a saved file turns these into an error naming the file.
_BROKEN_GZIP = (EOFError, zlib.error, gzip.BadGzipFile)


def _broken_gzip(path: str | Path, exc: Exception, lab: Lab | None) -> Exception:
    """The error naming the file (and the lab, when there is one) for a gzip cut short or damaged."""
    reason = f"the gzip file is cut short or damaged ({exc})"
    return ValueError(f"{path}: {reason}") if lab is None else ParseError(lab.name, file_url(path), reason)


def read_text(path: str | Path) -> str:
    """A file's whole text, a .gz file decompressed; ValueError naming the file when the gzip is broken."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except _BROKEN_GZIP as exc:
            raise _broken_gzip(path, exc, None) from None
    return raw.decode("utf-8-sig")


def text_lines(path: str | Path, lab: Lab | None = None) -> Generator[str, None, None]:
    """The lines of a saved file, read as a stream; a broken gzip is an error naming the file (a ParseError
    naming the lab too, when given)."""
    try:
        with open_text(path) as lines:
            yield from lines
    except _BROKEN_GZIP as exc:
        raise _broken_gzip(path, exc, lab) from None


def check_jsonl(path: str | Path, lab: Lab) -> None:
    """ParseError at the first bad line of a JSON-lines file (read as a stream, no posting made)."""
    jsonl.check(text_lines(path, lab), lab, file_url(path))
