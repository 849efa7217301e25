"""Validators (ETag, Last-Modified) and bodies of earlier GET answers, so a re-scrape can ask "changed since?".

A server that supports conditional requests answers 304 Not Modified without a body when nothing
changed; the stored body then stands in for the answer. Bodies are stored zlib-compressed.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils

from .store import write_transaction

TABLE = "http_cache"
# Entries not used for this long (a posting's page that is long gone) are dropped by prune().
KEEP_DAYS = 30
# A body over this size is not worth a copy in the database.
MAX_BODY = 32 * 1024 * 1024


@dataclass
class Stored:
    """One cached answer: its validators and its body."""

    etag: str | None
    last_modified: str | None
    content_type: str | None
    body: bytes


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class HttpCache:
    """The http_cache table of a database: url -> validators and body of the last 200 answer."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        if TABLE not in db.table_names():
            with write_transaction(db):
                db[TABLE].create({"url": str, "etag": str, "last_modified": str, "content_type": str,
                                  "body": bytes, "stored_at": str, "used_at": str}, pk="url", if_not_exists=True)

    def validators(self, url: str) -> dict[str, str]:
        """The conditional-request headers for a URL (If-None-Match / If-Modified-Since), or {}."""
        row = self.db.execute(f"SELECT etag, last_modified FROM {TABLE} WHERE url = ?", [url]).fetchone()
        if row is None:
            return {}
        headers = {}
        if row[0]:
            headers["If-None-Match"] = row[0]
        if row[1]:
            headers["If-Modified-Since"] = row[1]
        return headers

    def get(self, url: str) -> Stored | None:
        """The stored answer for a URL (its body decompressed), or None."""
        row = self.db.execute(f"SELECT etag, last_modified, content_type, body FROM {TABLE} WHERE url = ?",
                              [url]).fetchone()
        if row is None:
            return None
        try:
            body = zlib.decompress(row[3])
        except (zlib.error, TypeError):
            self.forget(url)  # a damaged entry is worth nothing; the next answer replaces it
            return None
        return Stored(row[0], row[1], row[2], body)

    def revalidated(self, url: str, etag: str | None = None, last_modified: str | None = None) -> None:
        """Note that a 304 confirmed the entry (and take the validators it sent, if any)."""
        with write_transaction(self.db):
            self.db.execute(f"UPDATE {TABLE} SET used_at = ?, etag = coalesce(?, etag), "
                            "last_modified = coalesce(?, last_modified) WHERE url = ?",
                            [_now(), etag, last_modified, url])

    def remember(self, url: str, etag: str | None, last_modified: str | None, content_type: str | None,
                 body: bytes) -> None:
        """Store a 200 answer that has validators; an answer without any makes the old entry useless."""
        if not (etag or last_modified) or len(body) > MAX_BODY:
            self.forget(url)
            return
        now = _now()
        with write_transaction(self.db):
            self.db[TABLE].upsert({"url": url, "etag": etag, "last_modified": last_modified,
                                   "content_type": content_type, "body": zlib.compress(body, 1),
                                   "stored_at": now, "used_at": now}, pk="url")

    def forget(self, url: str) -> None:
        if self.db.execute(f"SELECT 1 FROM {TABLE} WHERE url = ?", [url]).fetchone():
            with write_transaction(self.db):
                self.db.execute(f"DELETE FROM {TABLE} WHERE url = ?", [url])

    def prune(self, keep_days: int = KEEP_DAYS) -> int:
        """Drop entries unused for `keep_days`; returns how many."""
        cutoff = (datetime.now(UTC) - timedelta(days=keep_days)).isoformat(timespec="seconds")
        with write_transaction(self.db):
            return self.db.execute(f"DELETE FROM {TABLE} WHERE used_at < ?", [cutoff]).rowcount
