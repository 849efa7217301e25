"""What an adapter keeps about its lab between runs (e.g. the query id Meta's job search answered last),
so that a value found at some cost is reused until it fails."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils

from .connection import write_transaction

TABLE = "lab_state"  # declared in schema.py


def load(db: sqlite_utils.Database, lab: str) -> dict[str, str]:
    """key -> value of everything kept for the lab."""
    return dict(db.execute(f"SELECT key, value FROM {TABLE} WHERE lab = ?", [lab]).fetchall())


def save(db: sqlite_utils.Database, lab: str, state: dict[str, str]) -> None:
    """Replace what is kept for the lab with `state` (nothing written when it is unchanged)."""
    if load(db, lab) == state:
        return
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with write_transaction(db):
        db.execute(f"DELETE FROM {TABLE} WHERE lab = ?", [lab])
        db.conn.executemany(f"INSERT INTO {TABLE} (lab, key, value, updated_at) VALUES (?, ?, ?, ?)",
                            [(lab, key, value, now) for key, value in state.items()])
