"""`asr-jobs eval --feedback K`: what rating the top K teaches the ranking, measured on the postings not yet seen.

A simulated user reads the matcher's top K and rates each by its label: grade >= RELEVANT_GRADE good,
grade 0 bad, grade 1 (somewhat relevant) left unrated, as a reader unsure of it would. The profile is moved
by those ratings (Rocchio, matcher/feedback.py) and the pile ranked again. Both rankings are scored on the
residual pile, the postings outside the K already seen: ranking them again at the top would flatter the
feedback run with postings the user has read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..profiles.manage import find_profile
from . import combine_scores, needed, user_vocabulary
from .evaluate import load_labels, load_pile
from .feedback import rocchio
from .metrics import RELEVANT_GRADE, evaluate
from .model import DEFAULT_SETTINGS, FieldVectorizer, scores


def simulated_ratings(base: np.ndarray, grades: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The top k of a ranking (ties in pile order) and the signs a user rates them with (+1, -1, 0 unrated)."""
    seen = np.lexsort((np.arange(len(base)), -base))[:k]
    signs = np.where(grades[seen] >= RELEVANT_GRADE, 1, np.where(grades[seen] == 0, -1, 0))
    return seen, signs


def feedback_gain(db, labels: dict[str, int], profile, k: int, *, available: dict | None = None, vocabulary=None,
                  on_step: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Metrics of the residual ranking (postings outside the top k) without and with the top k's ratings."""
    step = on_step or (lambda name: None)
    if k < 1:
        raise ValueError(f"--feedback {k}: rate at least the top 1")
    step("reading postings")
    pile = load_pile(db, labels)
    if not np.any(pile.grades > 0):
        raise ValueError("none of the labeled ids matches a posting's source_id: import the labeled postings first")
    step("ranking")
    vectorizer = FieldVectorizer(vocabulary or user_vocabulary(), DEFAULT_SETTINGS)
    postings = vectorizer.fit_transform(list(zip(pile.titles, pile.descriptions, strict=True)))
    scored = needed([profile], available or {})
    vectors = vectorizer.profile_vectors(scored)
    base = combine_scores(scores(postings, vectors), scored, pile.levels)[:, 0]
    seen, signs = simulated_ratings(base, pile.grades, k)
    step("ranking with feedback")
    rated = signs != 0
    moved = vectors.tolil()
    moved[0] = rocchio(vectors[0], postings[seen[rated]], signs[rated])
    taught = combine_scores(scores(postings, moved.tocsr()), scored, pile.levels)[:, 0]
    rest = np.setdiff1d(np.arange(len(base)), seen)
    return {
        "profile": profile.name, "postings": len(pile.source_ids), "feedback": k,
        "rated_good": int(np.sum(signs > 0)), "rated_bad": int(np.sum(signs < 0)),
        "unrated": int(np.sum(signs == 0)), "residual_postings": len(rest),
        "residual_labeled": int(np.sum(pile.grades[rest] > 0)),
        "rankers": {"matcher": _rounded(evaluate(base[rest], pile.grades[rest])),
                    "matcher + feedback": _rounded(evaluate(taught[rest], pile.grades[rest]))},
    }


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {name: round(float(value), 4) for name, value in values.items()}


def evaluate_feedback(db, labels_path: str | Path, profile_name: str, k: int, *profile_dirs: str | Path,
                      on_step: Callable[[str], None] | None = None) -> dict[str, Any]:
    """`asr-jobs eval LABELS --feedback K` for one loaded profile."""
    profile, profiles = find_profile(profile_name, *profile_dirs)
    return feedback_gain(db, load_labels(labels_path), profile, k, available=profiles,
                         vocabulary=user_vocabulary(*profile_dirs), on_step=on_step)
