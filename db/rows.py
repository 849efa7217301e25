"""The postings-table row of a posting: what the store writes, made wherever a posting is prepared.

Light to import (no SQLite library): the worker process that prepares an import's rows imports it.
"""

from __future__ import annotations

import json
from typing import Any

from ..models import Posting


def posting_row(posting: Posting, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """The postings-table row of a posting (lifecycle columns are set by save_postings).

    The posting is stored as given: ingestion sanitizes it first (asr_jobs.sanitize).
    """
    row = {name: getattr(posting, name) for name in (
        "lab", "source_id", "title", "company", "team", "location", "workplace", "employment_type", "url",
        "description", "posted_at", "updated_at", "salary_min", "salary_max", "salary_currency", "salary_period")}
    row["id"] = posting.id
    row["salary_source"] = "ats" if posting.salary_min is not None or posting.salary_max is not None else None
    row.update(fields or {})
    extra = dict(posting.extra)
    row["listing_key"] = extra.pop("listing_key", None)
    row["extra"] = json.dumps(extra, sort_keys=True, default=str) if extra else None
    row["content_hash"] = posting.content_hash()
    return row
