"""Validators (ETag, Last-Modified) and bodies of earlier GET answers, so a re-scrape can ask "changed since?".

A server that supports conditional requests answers 304 Not Modified without a body when nothing
changed; the stored body then stands in for the answer. Bodies are stored zlib-compressed.

The validators are read once into memory, and new answers are written in batches (flush()), so that a
scrape does not pay a database round trip and a commit for every request.
"""

from __future__ import annotations

import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils

from .connection import write_transaction

TABLE = "http_cache"  # declared in schema.py
# Entries not used for this long (a posting's page that is long gone) are dropped by prune().
KEEP_DAYS = 30
# A body over this size is not worth a copy in the database.
MAX_BODY = 32 * 1024 * 1024
# Pending answers are written when they hold this many bytes (or at flush()).
FLUSH_BYTES = 32 * 1024 * 1024


@dataclass
class Stored:
    """One cached answer: its validators and its body."""

    etag: str | None
    last_modified: str | None
    content_type: str | None
    body: bytes


_pool: ThreadPoolExecutor | None = None


def _compressor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="http-cache-zlib")
    return _pool


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class HttpCache:
    """The http_cache table of a database: url -> validators and body of the last 200 answer."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self._validators: dict[str, tuple[str | None, str | None]] = {
            url: (etag, modified) for url, etag, modified in db.execute(f"SELECT url, etag, last_modified FROM {TABLE}")}
        self._pending: dict[str, tuple | None] = {}  # url -> row to write, or None to delete
        self._pending_bytes = 0
        self._used: list[tuple[str, str | None, str | None]] = []  # revalidated: url, new etag, new last_modified

    def validators(self, url: str) -> dict[str, str]:
        """The conditional-request headers for a URL (If-None-Match / If-Modified-Since), or {}."""
        etag, modified = self._validators.get(url, (None, None))
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        return headers

    def get(self, url: str) -> Stored | None:
        """The stored answer for a URL (its body decompressed), or None."""
        if url in self._pending:
            row = self._pending[url]
            return None if row is None else Stored(row[1], row[2], row[3], row[7])
        found = self.db.execute(f"SELECT etag, last_modified, content_type, body FROM {TABLE} WHERE url = ?",
                                [url]).fetchone()
        if found is None:
            return None
        try:
            body = zlib.decompress(found[3])
        except (zlib.error, TypeError):
            self.forget(url)  # a damaged entry is worth nothing; the next answer replaces it
            return None
        return Stored(found[0], found[1], found[2], body)

    def revalidated(self, url: str, etag: str | None = None, last_modified: str | None = None) -> None:
        """Note that a 304 confirmed the entry (and take the validators it sent, if any)."""
        old_etag, old_modified = self._validators.get(url, (None, None))
        self._validators[url] = (etag or old_etag, last_modified or old_modified)
        self._used.append((url, etag, last_modified))

    def remember(self, url: str, etag: str | None, last_modified: str | None, content_type: str | None,
                 body: bytes) -> None:
        """Keep a 200 answer that has validators; an answer without any makes the old entry useless."""
        if not (etag or last_modified) or len(body) > MAX_BODY:
            self.forget(url)
            return
        now = _now()
        self._validators[url] = (etag, last_modified)
        # Compressed in a thread meanwhile (zlib lets go of the interpreter lock): the scrape does not wait.
        packed = _compressor().submit(zlib.compress, body, 1)
        self._pending[url] = (url, etag, last_modified, content_type, packed, now, now, body)
        self._pending_bytes += len(body)
        if self._pending_bytes >= FLUSH_BYTES:
            self.flush()

    def forget(self, url: str) -> None:
        if url in self._validators or url in self._pending:
            self._validators.pop(url, None)
            self._pending[url] = None

    def flush(self) -> None:
        """Write pending answers, deletions and revalidations in one transaction."""
        if not (self._pending or self._used):
            return
        rows = [(*row[:4], row[4].result(), *row[5:7]) for row in self._pending.values() if row is not None]
        gone = [(url,) for url, row in self._pending.items() if row is None]
        now = _now()
        with write_transaction(self.db):
            if gone:
                self.db.conn.executemany(f"DELETE FROM {TABLE} WHERE url = ?", gone)
            if rows:
                self.db.conn.executemany(f"INSERT OR REPLACE INTO {TABLE} (url, etag, last_modified, content_type, "
                                         "body, stored_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            if self._used:
                self.db.conn.executemany(f"UPDATE {TABLE} SET used_at = ?, etag = coalesce(?, etag), "
                                         "last_modified = coalesce(?, last_modified) WHERE url = ?",
                                         [(now, etag, modified, url) for url, etag, modified in self._used])
        self._pending.clear()
        self._used.clear()
        self._pending_bytes = 0

    def prune(self, keep_days: int = KEEP_DAYS) -> int:
        """Drop entries unused for `keep_days`; returns how many."""
        self.flush()
        cutoff = (datetime.now(UTC) - timedelta(days=keep_days)).isoformat(timespec="seconds")
        with write_transaction(self.db):
            stale = [r[0] for r in self.db.execute(f"SELECT url FROM {TABLE} WHERE used_at < ?", [cutoff])]
            self.db.conn.executemany(f"DELETE FROM {TABLE} WHERE url = ?", [(u,) for u in stale])
        for url in stale:
            self._validators.pop(url, None)
        return len(stale)
