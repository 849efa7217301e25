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

from ..db.store import now_iso, write_transaction
from .model import FieldVectorizer, Settings

MODEL_TABLE = "match_model"
POSTINGS_TABLE = "match_postings"
REFIT_SHARE = 0.10  # postings new, changed or closed since the fit, as a share of the postings fitted on
OPEN = "(status != 'closed' OR status IS NULL)"


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
        "profiles": [[p.name, p.kind, p.level, p.within, p.match_text, sorted((p.weights or {}).items())]
                     for p in profiles],
        "terms": sorted((name, repr(term)) for name, term in vocabulary.terms.items()),
        "boilerplate": list(vocabulary.boilerplate),
    }
    return hashlib.sha1(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()


def load_state(db: sqlite_utils.Database) -> dict[str, Any] | None:
    if MODEL_TABLE not in db.table_names():
        return None
    row = db.execute(f"SELECT signature, fitted_at, documents, changed_since_fit, tokens, idf FROM {MODEL_TABLE} "
                     "WHERE name = 'postings'").fetchone()
    if row is None:
        return None
    return dict(zip(("signature", "fitted_at", "documents", "changed_since_fit", "tokens", "idf"), row, strict=True))


def plan(db: sqlite_utils.Database, sig: str, *, refit: bool = False) -> Plan:
    """Update or refit: refit when asked, without a stored fit, when what scores depend on changed, or on drift."""
    if refit:
        return Plan(False, "refit as asked: vocabulary and idf fitted on all open postings")
    state = load_state(db)
    if state is None:
        return Plan(False, "first match: vocabulary and idf fitted on all open postings")
    if state["signature"] != sig:
        return Plan(False, "profiles, vocabulary or settings changed since the last fit: refitted")
    current = dict(db.execute(f"SELECT id, content_hash FROM postings WHERE {OPEN}").fetchall())
    scored = dict(db.execute(f"SELECT posting_id, content_hash FROM {POSTINGS_TABLE}").fetchall())
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


def _ensure_tables(db: sqlite_utils.Database) -> None:
    if MODEL_TABLE not in db.table_names():
        db[MODEL_TABLE].create({"name": str, "signature": str, "fitted_at": str, "documents": int,
                                "changed_since_fit": int, "tokens": str, "idf": bytes}, pk="name")
    if POSTINGS_TABLE not in db.table_names():
        db[POSTINGS_TABLE].create({"posting_id": str, "content_hash": str}, pk="posting_id")


def save_fit(db: sqlite_utils.Database, sig: str, vectorizer: FieldVectorizer, hashes: dict[str, str]) -> None:
    """Keep a full fit: its vocabulary and idf, and the content each posting was scored as."""
    with write_transaction(db):
        _ensure_tables(db)
        db.execute(f"DELETE FROM {POSTINGS_TABLE}")
        db.conn.executemany(f"INSERT INTO {POSTINGS_TABLE} (posting_id, content_hash) VALUES (?, ?)",
                            hashes.items())
        db.execute(f"INSERT OR REPLACE INTO {MODEL_TABLE} (name, signature, fitted_at, documents, changed_since_fit, "
                   "tokens, idf) VALUES ('postings', ?, ?, ?, 0, ?, ?)",
                   [sig, now_iso(), len(hashes), json.dumps(vectorizer.tokens, ensure_ascii=False),
                    np.asarray(vectorizer.idf, dtype=np.float64).tobytes()])


def forget(db: sqlite_utils.Database) -> None:
    """Drop the stored fit (after a run over some profiles only, whose scores came from another fit)."""
    if MODEL_TABLE in db.table_names():
        with write_transaction(db):
            db.execute(f"DELETE FROM {MODEL_TABLE}")


def note_update(db: sqlite_utils.Database, changed: dict[str, str], removed: list[str]) -> None:
    """After an update (inside its transaction): new content hashes, closed postings gone, drift counted."""
    for start in range(0, len(removed), 900):
        chunk = removed[start:start + 900]
        db.execute(f"DELETE FROM {POSTINGS_TABLE} WHERE posting_id IN ({', '.join('?' * len(chunk))})", chunk)
    db.conn.executemany(f"INSERT OR REPLACE INTO {POSTINGS_TABLE} (posting_id, content_hash) VALUES (?, ?)",
                        changed.items())
    db.execute(f"UPDATE {MODEL_TABLE} SET changed_since_fit = changed_since_fit + ? WHERE name = 'postings'",
               [len(changed) + len(removed)])


def rerank(db: sqlite_utils.Database, profile: str) -> None:
    """Number a profile's matches 1, 2, ... by score (ties by posting id), writing only ranks that moved."""
    db.execute("""
        UPDATE matches SET rank = ranked.position
        FROM (SELECT posting_id, ROW_NUMBER() OVER (ORDER BY score DESC, posting_id) AS position
              FROM matches WHERE profile = :profile) AS ranked
        WHERE matches.profile = :profile AND matches.posting_id = ranked.posting_id
          AND matches.rank IS NOT ranked.position""", {"profile": profile})
