"""What a match run can reuse: the fitted vocabulary and idf, and the content each posting was scored as.

After a scrape that added a few postings, only those (and changed or closed ones) need scoring: the
vocabulary and idf of the last full fit are reused, so their scores are comparable with the stored
ones. Each reuse lets the scores drift a little from what a refit would give (idf moves as the pile
grows; words new to the pile are not in the vocabulary), so once the postings new, changed or closed
since the fit reach REFIT_SHARE of the pile, the next run refits on everything and says so.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import sqlite_utils

from ..db import matching
from ..db.matching import load_fit as load_state
from ..db.store import now_iso
from .model import FieldVectorizer, Settings

__all__ = ["Plan", "load_state", "plan", "restored", "save_fit", "signature"]

REFIT_SHARE = 0.10  # postings new, changed or closed since the fit, as a share of the postings fitted on


@dataclass
class Plan:
    """Whether a run may update the stored matches, why (or why not), and what to update."""

    update: bool
    reason: str
    changed: list[str] = field(default_factory=list)  # ids of open postings new or changed since scored
    removed: list[str] = field(default_factory=list)  # ids scored before, now closed or gone
    state: dict[str, Any] | None = None


def signature(profiles: list, settings: Settings, min_score: float, vocabulary: Any) -> str:
    """A hash of everything scores depend on besides the postings: profiles, settings, vocabulary."""
    described = {
        "settings": asdict(settings),
        "min_score": min_score,
        "profiles": [[p.name, p.kind, p.level, p.within, getattr(p, "role", ""), p.match_text, sorted((p.weights or {}).items())]
                     for p in profiles],
        "terms": sorted((name, repr(term)) for name, term in vocabulary.terms.items()),
        "boilerplate": list(vocabulary.boilerplate),
    }
    return hashlib.sha1(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()


def plan(db: sqlite_utils.Database, sig: str, *, refit: bool = False) -> Plan:
    """Update or refit: refit when asked, without a stored fit, when what scores depend on changed, or on drift."""
    if refit:
        return Plan(False, "refit as asked: vocabulary and idf fitted on all open postings")
    state = load_state(db)
    if state is None:
        return Plan(False, "first match: vocabulary and idf fitted on all open postings")
    if state["signature"] != sig:
        return Plan(False, "profiles, vocabulary or settings changed since the last fit: refitted")
    current, scored = matching.content_hashes(db)
    changed = [pid for pid, digest in current.items() if scored.get(pid, "") != digest]
    removed = [pid for pid in scored if pid not in current]
    documents = max(1, state["documents"])
    drift = state["changed_since_fit"] + len(changed) + len(removed)
    if drift > REFIT_SHARE * documents:
        return Plan(False, f"{drift:,} postings new, changed or closed since the vocabulary was fitted on "
                           f"{documents:,} ({drift / documents:.0%}, over {REFIT_SHARE:.0%}): refitted so that "
                           "scores do not drift")
    reason = (f"{len(changed):,} new or changed and {len(removed):,} closed postings scored with the vocabulary "
              f"fitted on {documents:,} postings at {state['fitted_at']} (drift {drift / documents:.1%}; "
              f"a refit comes at {REFIT_SHARE:.0%})")
    return Plan(True, reason, changed, removed, state)


def restored(state: dict[str, Any], vocabulary: Any, settings: Settings) -> FieldVectorizer:
    """The vectorizer of the stored fit."""
    vectorizer = FieldVectorizer(vocabulary, settings)
    vectorizer.tokens = json.loads(state["tokens"])
    vectorizer._columns = {token: column for column, token in enumerate(vectorizer.tokens) if column}
    vectorizer.idf = np.frombuffer(state["idf"], dtype=np.float64).copy()
    return vectorizer


def save_fit(db: sqlite_utils.Database, sig: str, vectorizer: FieldVectorizer, hashes: dict[str, str]) -> None:
    """Keep a full fit: its vocabulary and idf, and the content each posting was scored as."""
    matching.save_fit(db, sig, now_iso(), json.dumps(vectorizer.tokens, ensure_ascii=False),
                      np.asarray(vectorizer.idf, dtype=np.float64).tobytes(), hashes)
