"""What a match run can reuse: the fitted vocabulary and idf, and the content each posting was scored as.

After a scrape that added a few postings, only those (and changed or closed ones) need scoring: the
vocabulary and idf of the last full fit are reused, so their scores are comparable with the stored
ones. Each reuse lets the scores drift a little from what a refit would give (idf moves as the pile
grows; words new to the pile are not in the vocabulary), so once the postings new, changed or closed
since the fit reach REFIT_SHARE of the pile, the next run refits on everything and says so.

When only the profiles changed (their text or weights, likes, ratings, the minimum score) and no posting
did, the fit itself still holds: the next run rescores every posting from its kept token counts with the
stored vocabulary and idf (matcher.rescore), the same scores a refit gives, without reading a description.
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
from .feedback import Personal
from .model import FieldVectorizer, Settings
from .token_cache import vocabulary_digest

__all__ = ["Plan", "fitted_idf", "load_state", "plan", "postings_signature", "profile_signatures", "restored",
           "save_fit", "signature"]

REFIT_SHARE = 0.10  # postings new, changed or closed since the fit, as a share of the postings fitted on
# Part of postings_signature: bump it whenever a posting's research signal (signals.py) or level (enrich) is read
# differently, so that a rescore does not reuse the signals and levels the fit kept (the next profile edit refits).
SIGNALS_VERSION = "1"


@dataclass
class Plan:
    """Whether a run may update the stored matches, why (or why not), and what to update."""

    update: bool
    reason: str
    changed: list[str] = field(default_factory=list)  # ids of open postings new or changed since scored
    removed: list[str] = field(default_factory=list)  # ids scored before, now closed or gone
    state: dict[str, Any] | None = None
    rescore: bool = False  # only the profiles changed: every posting rescored from the stored fit (no update)


def signature(profiles: list, settings: Settings, min_score: float, vocabulary: Any) -> str:
    """A hash of everything scores depend on besides the postings: profiles, settings, vocabulary."""
    described = {
        "settings": asdict(settings),
        "min_score": min_score,
        "profiles": [_described(p) for p in profiles],
        "terms": sorted((name, repr(term)) for name, term in vocabulary.terms.items()),
        "boilerplate": list(vocabulary.boilerplate),
    }
    return hashlib.sha1(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()


def _described(profile: Any) -> list:
    """What a profile's own vector and score adjustments are made of, for a signature."""
    return [profile.name, profile.kind, profile.level, profile.within, getattr(profile, "role", ""),
            profile.match_text, sorted((profile.weights or {}).items())]


def profile_signatures(chosen: list, scored: list, settings: Settings, min_score: float, vocabulary: Any,
                       personal: Personal | None = None) -> dict[str, str]:
    """Per chosen profile, a hash of everything its matches depend on besides the postings: settings, vocabulary,
    the profile and the one it is within (text, weights, kind, level, role), their likes and ratings. A rescore
    rewrites only the matches of profiles whose hash changed: the others' are already what a refit stores."""
    base = signature([], settings, min_score, vocabulary)
    by_name = {profile.name: profile for profile in scored}
    signatures = {}
    for profile in chosen:
        group = [profile, *([by_name[profile.within]] if profile.within in by_name else [])]
        names = [p.name for p in group]
        own = Personal({n: personal.likes[n] for n in names if n in personal.likes},
                       {n: personal.rated[n] for n in names if n in personal.rated}) if personal else None
        described = [base, [_described(p) for p in group], own.digest() if own else ""]
        signatures[profile.name] = hashlib.sha1(json.dumps(described, default=str).encode()).hexdigest()
    return signatures


def postings_signature(settings: Settings, vocabulary: Any) -> str:
    """A hash of what the postings' vectors and signals depend on besides their texts: settings, vocabulary,
    tokenizer, signals."""
    described = {"settings": asdict(settings), "tokens": vocabulary_digest(vocabulary), "signals": SIGNALS_VERSION}
    return hashlib.sha1(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()


def plan(db: sqlite_utils.Database, sig: str, *, postings: str, refit: bool = False) -> Plan:
    """Update, rescore or refit: refit when asked, without a stored fit, when what scores depend on changed
    (rescore instead when only the profiles did: `postings` is postings_signature()), or on drift."""
    if refit:
        return Plan(False, "refit as asked: vocabulary and idf fitted on all open postings")
    state = load_state(db)
    if state is None:
        return Plan(False, "first match: vocabulary and idf fitted on all open postings")
    if state["signature"] != sig:
        return _rescore_plan(db, state, postings)
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


def _rescore_plan(db: sqlite_utils.Database, state: dict[str, Any], postings: str) -> Plan:
    """After a change in what scores depend on: rescore when only the profiles changed, else refit (saying why)."""
    changed = "profiles, vocabulary or settings changed since the last fit: refitted"
    if state["postings_signature"] != postings:
        reason = "vocabulary or settings changed since the last fit: refitted" if state["postings_signature"] else (
            f"{changed} (the fit kept nothing to rescore from)")
        return Plan(False, reason)
    current, scored = matching.content_hashes(db)
    moved = state["changed_since_fit"] + sum(scored.get(pid) != (digest or "") for pid, digest in current.items())
    moved += sum(pid not in current for pid in scored)
    if moved:
        return Plan(False, f"profiles changed since the last fit, and {moved:,} postings were new, changed or "
                           "closed since: refitted")
    return Plan(False, f"profiles changed since the fit on {state['documents']:,} postings at {state['fitted_at']}, "
                       "no posting did: each rescored from its kept token counts with that fit's vocabulary and "
                       "idf", state=state, rescore=True)


def restored(state: dict[str, Any], vocabulary: Any, settings: Settings) -> FieldVectorizer:
    """The vectorizer of the stored fit."""
    vectorizer = FieldVectorizer(vocabulary, settings)
    vectorizer.tokens = json.loads(state["tokens"])
    vectorizer._columns = {token: column for column, token in enumerate(vectorizer.tokens) if column}
    vectorizer.idf = np.frombuffer(state["idf"], dtype=np.float64).copy()
    return vectorizer


def fitted_idf(state: dict[str, Any], tokens: list[str]) -> np.ndarray | None:
    """The stored fit's idf with its columns in the order of `tokens`; None unless they are the fit's tokens."""
    stored = json.loads(state["tokens"])
    if len(stored) != len(tokens):
        return None
    column = {token: i for i, token in enumerate(stored)}
    order = np.fromiter((column.get(token, -1) for token in tokens), dtype=np.int64, count=len(tokens))
    if len(column) != len(stored) or (order < 0).any():
        return None
    return np.frombuffer(state["idf"], dtype=np.float64)[order]


def save_fit(db: sqlite_utils.Database, sig: str, postings: str, profiles: dict[str, str], vectorizer: FieldVectorizer,
             scored: list[tuple[str, str, str | None, float, str]]) -> None:
    """Keep a full fit: its vocabulary and idf, and each posting as scored (id, content hash, key of its kept
    token counts, research signal, level); `postings` is postings_signature(), `profiles` profile_signatures()."""
    matching.save_fit(db, sig, postings, json.dumps(profiles, sort_keys=True), now_iso(),
                      json.dumps(vectorizer.tokens, ensure_ascii=False),
                      np.asarray(vectorizer.idf, dtype=np.float64).tobytes(), scored)
