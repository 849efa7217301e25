"""Personal profile vectors: snapshot profiles blended in (`--like`), and ratings fed back by Rocchio.

A profile's vector q (TF-IDF of its text, unit length) first takes in the profiles it is like:
q = normalize(q + sum(w_i * v_i)). Then its ratings move it (Rocchio, 1971):

    q' = normalize(max(0, ALPHA * q + BETA * mean(good postings) - GAMMA * mean(bad postings)))

with each mean cut to its FEEDBACK_TERMS heaviest terms.
Every vector is unit length, so the feedback part is at most BETA + GAMMA = 0.75 long against ALPHA = 1 for
the profile: however many ratings there are, the original profile dominates. Negative weights are cut at
0 (a profile says what is wanted; "not this" lives only as the lowered weight of a term).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
import sqlite_utils
from sklearn.preprocessing import normalize

from ..db import matching
from ..db.ratings import ratings
from .model import FieldVectorizer

ALPHA, BETA, GAMMA = 1.0, 0.5, 0.25
# Only the heaviest terms of each mean are fed back (term selection, as in pseudo-relevance feedback): one
# posting's incidental words ("dozen", "depend") would otherwise enter the profile with every rating.
FEEDBACK_TERMS = 20
SIGN = {"good": 1, "bad": -1}


@dataclass
class Personal:
    """What moves profile vectors beyond their own text: liked profiles and rated postings, per profile name."""

    likes: dict[str, list[tuple[Any, float]]] = field(default_factory=dict)  # name -> [(Profile, weight)]
    rated: dict[str, list[tuple[dict[str, Any], int]]] = field(default_factory=dict)  # name -> [(row, +1/-1)]

    def __bool__(self) -> bool:
        return bool(self.likes or self.rated)

    def digest(self) -> str:
        """A hash of the likes and ratings, for the match signature: a new rating makes the next match rescore."""
        described = {
            "likes": {name: [[p.name, p.match_text, sorted(p.weights.items()), w] for p, w in liked]
                      for name, liked in self.likes.items()},
            "rated": {name: sorted([row["id"], row.get("content_hash") or "", sign] for row, sign in rows)
                      for name, rows in self.rated.items()},
        }
        return hashlib.sha1(json.dumps(described, sort_keys=True).encode()).hexdigest()

    def adjusted(self, vectorizer: FieldVectorizer, profiles: list, vectors: sp.csr_matrix,
                 feedback: bool = True) -> sp.csr_matrix:
        """The profiles' vectors with liked profiles blended in and (with feedback) moved by their ratings."""
        if not self:
            return vectors
        rows = [self.vector(vectorizer, profile, vectors[i], feedback) for i, profile in enumerate(profiles)]
        return sp.vstack(rows, format="csr") if rows else vectors

    def vector(self, vectorizer: FieldVectorizer, profile: Any, vector: sp.csr_matrix,
               feedback: bool = True) -> sp.csr_matrix:
        """One profile's vector, blended and moved."""
        liked = self.likes.get(profile.name) or []
        if liked:
            others = vectorizer.profile_vectors([p for p, _ in liked])
            vector = normalize(vector + sp.csr_matrix(np.array([w for _, w in liked])) @ others)
        rated = self.rated.get(profile.name) or [] if feedback else []
        if not rated:
            return vector
        postings = vectorizer.transform((_text(row) for row, _ in rated))
        return rocchio(vector, postings, np.array([sign for _, sign in rated]))


def rocchio(query: sp.csr_matrix, postings: sp.csr_matrix, signs: np.ndarray) -> sp.csr_matrix:
    """ALPHA * query + BETA * mean(good) - GAMMA * mean(bad) (means cut to their heaviest terms), negatives
    cut at 0, unit length."""
    moved = np.asarray(query.todense()).ravel() * ALPHA
    for sign, factor in ((1, BETA), (-1, -GAMMA)):
        chosen = np.flatnonzero(signs == sign)
        if len(chosen):
            mean = np.asarray(postings[chosen].mean(axis=0)).ravel()
            mean[np.argsort(-mean)[FEEDBACK_TERMS:]] = 0
            moved += mean * factor
    dense = np.clip(moved, 0, None)[np.newaxis, :]
    return normalize(sp.csr_matrix(dense))


def _text(row: dict[str, Any]) -> tuple[str, str]:
    from . import row_text

    return row_text(row)


def personal(db: sqlite_utils.Database | None, chosen: list, available: dict) -> Personal:
    """The likes of the chosen profiles (resolved among `available`) and their ratings stored in `db`."""
    likes: dict[str, list[tuple[Any, float]]] = {}
    for profile in chosen:
        missing = [name for name in profile.like if name not in available]
        if missing:
            raise ValueError(f"profile {profile.name!r} is like {', '.join(missing)}, which is not loaded "
                             f"({profile.path})")
        if profile.like:
            likes[profile.name] = [(available[name], weight) for name, weight in profile.like.items()]
    return Personal(likes, rated_rows(db, [p.name for p in chosen]) if db is not None else {})


def rated_rows(db: sqlite_utils.Database, names: list[str]) -> dict[str, list[tuple[dict[str, Any], int]]]:
    """Per profile, the rated postings (closed ones too: a judgement stays one) with +1 for good, -1 for bad."""
    found = ratings(db, names)
    rows = {row["id"]: row for row in matching.posting_rows(db, {r["posting_id"] for r in found})}
    rated: dict[str, list[tuple[dict[str, Any], int]]] = {}
    for rating in found:
        if rating["posting_id"] in rows:
            rated.setdefault(rating["profile"], []).append((rows[rating["posting_id"]], SIGN[rating["rating"]]))
    return rated


def term_changes(vectorizer: FieldVectorizer, before: sp.csr_matrix, after: sp.csr_matrix,
                 limit: int = 8) -> tuple[list[list], list[list]]:
    """Terms feedback raised most and lowered most: ([[term, change], ...], [[term, change], ...])."""
    delta = np.asarray((after - before).todense()).ravel()
    raised = [[vectorizer.show(int(c)), round(float(delta[c]), 3)] for c in np.argsort(-delta)[:limit]
              if delta[c] > 0.005]
    lowered = [[vectorizer.show(int(c)), round(float(delta[c]), 3)] for c in np.argsort(delta)[:limit]
               if delta[c] < -0.005]
    return raised, lowered


def top_terms(vectorizer: FieldVectorizer, vector: sp.csr_matrix, limit: int = 15) -> list[list]:
    """The heaviest terms of a profile vector: [[term, weight], ...]."""
    dense = np.asarray(vector.todense()).ravel()
    return [[vectorizer.show(int(c)), round(float(dense[c]), 3)] for c in np.argsort(-dense)[:limit] if dense[c] > 0]
