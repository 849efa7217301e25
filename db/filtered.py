"""Listing keys of postings a lab's filters dropped, so that their details are not fetched again and again.

A posting the filters drop is not stored, so without this memory every run would fetch its detail
again only to drop it again. The memory holds for the filters it was made with: a lab whose filters
change starts afresh.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlite_utils

from .connection import write_transaction

TABLE = "filtered_listings"  # declared in schema.py


def signature(lab: Any) -> str:
    """A short hash of a lab's filters."""
    return hashlib.sha1(json.dumps(lab.filters, sort_keys=True).encode()).hexdigest()[:12]


def load(db: sqlite_utils.Database, lab: Any) -> dict[str, str]:
    """source_id -> listing key of the lab's postings its current filters dropped last time."""
    rows = db.execute(f"SELECT source_id, listing_key FROM {TABLE} WHERE lab = ? AND filters = ?",
                      [lab.name, signature(lab)])
    return dict(rows.fetchall())


def save(db: sqlite_utils.Database, lab: Any, dropped: dict[str, str]) -> None:
    """Replace the lab's memory with the postings this run dropped (and still lists)."""
    with write_transaction(db):
        db.execute(f"DELETE FROM {TABLE} WHERE lab = ?", [lab.name])
        db.conn.executemany(f"INSERT INTO {TABLE} (lab, source_id, listing_key, filters) VALUES (?, ?, ?, ?)",
                            [(lab.name, sid, key, signature(lab)) for sid, key in dropped.items() if key])
