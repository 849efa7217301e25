"""The steps between reading postings and saving them: keep, enrich, sanitize, and the rows they make.

`prepare` is what a scrape and an import both do to every posting before it is saved (asr_jobs.ingest).
This module is light to import (no HTTP, SQLite or scraping libraries): the worker process that prepares
a big import or board runs it, and starts the sooner for it.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from .db.rows import posting_row
from .enrich import posting_fields
from .models import Lab, Posting
from .sanitize import sanitized


@dataclass
class Prepared:
    """Postings ready to save (kept, enriched, sanitized) and what the lab's filters dropped."""

    postings: list[Posting]
    fields: dict[str, dict[str, Any]]  # posting id -> derived columns
    dropped: int = 0
    dropped_keys: dict[str, str] = field(default_factory=dict)  # source_id -> listing key of a dropped posting


def enrich(postings: list[Posting]) -> dict[str, dict[str, Any]]:
    """Derived columns (seniority, pay from text ...) per posting id."""
    return {p.id: posting_fields(p) for p in postings}


def prepare(lab: Lab, postings: list[Posting]) -> Prepared:
    """The steps before saving, in order: keep by the lab's filters, enrich, sanitize."""
    kept: list[Posting] = []
    dropped_keys: dict[str, str] = {}
    for posting in postings:
        if lab.keep(posting):
            kept.append(posting)
        elif posting.extra.get("listing_key"):
            dropped_keys[posting.source_id] = posting.extra["listing_key"]
    fields = enrich(kept)
    return Prepared([sanitized(p) for p in kept], fields, len(postings) - len(kept), dropped_keys)


@dataclass
class PreparedRows:
    """Postings of an import prepared as the rows to store (db.rows.posting_row), and how many were dropped."""

    rows: list[dict[str, Any]]
    dropped: int = 0
    # (row, posting) positions of the rows sent back from the worker without their description (None):
    # it is the posting's own, which the process that sent the postings still has (`with_descriptions`).
    left_out: list[tuple[int, int]] = field(default_factory=list)


def prepare_rows(lab: Lab, postings: list[Posting]) -> PreparedRows:
    """`prepare`, then each posting's row: the whole of an import's work before SQLite, done in one place."""
    prepared = prepare(lab, postings)
    return PreparedRows([posting_row(p, prepared.fields.get(p.id)) for p in prepared.postings], prepared.dropped)


def prepare_rows_away(lab: Lab, postings: list[Posting]) -> PreparedRows:
    """`prepare_rows` in the worker process, each description the sanitize step kept as it was left out.

    Descriptions are most of a row's bytes. The worker's answer is read by a thread of the main process,
    64 KB at a time and each time only once it gets the interpreter lock, which the main process holds
    while it reads the file: answers without the texts it sent arrive at once, and the worker goes on.
    """
    prepared = prepare_rows(lab, postings)
    # The very string a posting came with (identity: equal by value, found without comparing texts); ids
    # are safe keys while `postings` holds every one of those strings.
    sent_texts = {id(posting.description): number for number, posting in enumerate(postings)}
    for number, row in enumerate(prepared.rows):
        sent = sent_texts.get(id(row["description"]))
        if sent is not None:
            row["description"] = None
            prepared.left_out.append((number, sent))
    return prepared


def with_descriptions(future: Future[PreparedRows], postings: list[Posting]) -> PreparedRows:
    """The rows of a prepared chunk, with the descriptions `prepare_rows_away` left out put back."""
    prepared = future.result()
    for number, sent in prepared.left_out:
        prepared.rows[number]["description"] = postings[sent].description
    prepared.left_out = []
    return prepared
