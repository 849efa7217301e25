"""A user's judgements of postings per profile (`asr-jobs rate`), and the default profile kept in the database."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from .connection import write_transaction
from .queries import find_posting
from .store import now_iso

RATINGS = ("good", "bad")
DEFAULT_PROFILE_KEY = "default_profile"  # its row in the meta table: the profile `jobs`, `show`, `update` use


def rate(db: sqlite_utils.Database, key: str, rating: str, profile: str) -> dict[str, Any]:
    """Record (or replace) a rating of the posting `key` names for `profile`; returns the posting's row."""
    if rating not in RATINGS:
        raise ValueError(f"rating {rating!r}: expected one of {', '.join(RATINGS)}")
    posting = find_posting(db, key)
    with write_transaction(db):
        db.execute("INSERT OR REPLACE INTO ratings (profile, posting_id, rating, rated_at) VALUES (?, ?, ?, ?)",
                   [profile, posting["id"], rating, now_iso()])
    return posting


def ratings(db: sqlite_utils.Database, profiles: list[str] | None = None) -> list[dict[str, Any]]:
    """Ratings (profile, posting_id, rating, rated_at, title, lab) of some profiles (all when None), oldest first."""
    if "ratings" not in db.table_names():
        return []
    where = f"WHERE r.profile IN ({', '.join('?' * len(profiles))})" if profiles is not None else ""
    if profiles is not None and not profiles:
        return []
    return list(db.query(
        "SELECT r.profile, r.posting_id, r.rating, r.rated_at, p.title, p.lab FROM ratings r "
        f"LEFT JOIN postings p ON p.id = r.posting_id {where} ORDER BY r.rated_at, r.posting_id", profiles or []))


def clear_ratings(db: sqlite_utils.Database, profile: str) -> int:
    """Forget every rating of a profile; returns how many there were."""
    if "ratings" not in db.table_names():
        return 0
    with write_transaction(db):
        return db.execute("DELETE FROM ratings WHERE profile = ?", [profile]).rowcount


def stored_default_profile(db: sqlite_utils.Database | None) -> str | None:
    """The default profile set with `profiles default NAME`, or None."""
    if db is None or "meta" not in db.table_names():
        return None
    row = db.execute("SELECT value FROM meta WHERE key = ?", [DEFAULT_PROFILE_KEY]).fetchone()
    return row[0] if row else None


def store_default_profile(db: sqlite_utils.Database, name: str | None) -> None:
    """Make `name` the database's default profile (None: forget the setting)."""
    with write_transaction(db):
        db.execute("DELETE FROM meta WHERE key = ?", [DEFAULT_PROFILE_KEY])
        if name:
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", [DEFAULT_PROFILE_KEY, name])
