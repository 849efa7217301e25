"""The browsing views datasette shows; they are declared with the rest of the database in schema.py."""

from __future__ import annotations

import sqlite_utils

from .schema import BEST_MATCH_INDEX, VIEW_NAMES, ensure_db_shape

__all__ = ["BEST_MATCH_INDEX", "VIEW_NAMES", "ensure_views"]


def ensure_views(db: sqlite_utils.Database) -> None:
    """The views as this release declares them (with the whole shape); writes nothing when they are current."""
    ensure_db_shape(db)
