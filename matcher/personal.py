"""What a personal profile matches on: its heaviest terms, what ratings changed, and a posting's gap against it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlite_utils

from ..db import matching
from ..db.ratings import ratings
from ..profiles import load_profiles
from . import feedback, incremental, user_vocabulary
from .model import DEFAULT_SETTINGS, FieldVectorizer
from .text import TOKEN, Vocabulary

GAP_SHOWN = 10  # terms listed as a posting's gap


def fitted(db: sqlite_utils.Database, vocabulary: Vocabulary) -> FieldVectorizer | None:
    """The vectorizer of the last `match` (stored fit), else one fitted on the open postings; None without any."""
    state = incremental.load_state(db) if "match_model" in db.table_names() else None
    if state is not None:
        return incremental.restored(state, vocabulary, DEFAULT_SETTINGS)
    vectorizer = FieldVectorizer(vocabulary, DEFAULT_SETTINGS)
    from . import row_text

    rows = [row_text(row) for row in matching.open_posting_rows(db)]
    if not rows:
        return None
    vectorizer.fit(rows)
    return vectorizer


def profile_terms(db: sqlite_utils.Database | None, name: str, *profile_dirs: str | Path,
                  limit: int = 15) -> dict[str, Any]:
    """A profile's heaviest terms as matched (likes and ratings applied), its ratings, the terms they moved.

    Weights need the postings' idf: without a database with postings, "terms" is [] and "note" says why.
    """
    profiles = load_profiles(*profile_dirs)
    profile = profiles[name]
    report: dict[str, Any] = {"terms": [], "raised": [], "lowered": [], "note": "",
                              "ratings": ratings(db, [name]) if db is not None else []}
    vectorizer = fitted(db, user_vocabulary(*profile_dirs)) if db is not None else None
    if vectorizer is None:
        report["note"] = "term weights need postings: give --db with a scraped or demo database"
        return report
    personal = feedback.personal(db, [profile], profiles)
    own = vectorizer.profile_vectors([profile])
    before = personal.adjusted(vectorizer, [profile], own, feedback=False)
    after = personal.adjusted(vectorizer, [profile], own)
    report["terms"] = feedback.top_terms(vectorizer, after, limit)
    report["raised"], report["lowered"] = feedback.term_changes(vectorizer, before, after)
    return report


def gap(posting: dict[str, Any], profile_text: str, vocabulary: Vocabulary, limit: int = GAP_SHOWN) -> list[str]:
    """Field terms the posting's role text asks for that the profile's text never mentions, most mentioned first."""
    title, role, _ = vocabulary.fields(posting.get("title") or "", posting.get("description") or "")
    known = set(vocabulary.count(profile_text))
    field_terms = {term.token for term in vocabulary.terms.values()}
    asked: dict[str, int] = {}
    for word in TOKEN.findall(f"{title}\n{role}"):  # fields() gives normalized text: each term one word
        token = vocabulary.token(word)
        if token in field_terms and token not in known:
            asked[token] = asked.get(token, 0) + 1
    return [vocabulary.show(token) for token in sorted(asked, key=lambda t: -asked[t])[:limit]]


def posting_gap(posting: dict[str, Any], name: str, *profile_dirs: str | Path) -> list[str]:
    """The gap of a posting against the named profile (its own text and terms; liked profiles' not counted)."""
    profile = load_profiles(*profile_dirs).get(name)
    if profile is None:
        return []
    return gap(posting, profile.match_text, user_vocabulary(*profile_dirs))

