"""Scoring postings against profiles: TF-IDF over the whole pile, sparse cosine, explained by terms."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..db.store import now_iso
from . import parallel
from .fields import posting_fields, seniority
from .model import DEFAULT_SETTINGS, TERMS_SHOWN, FieldVectorizer, Settings, scores
from .text import load_vocabulary

__all__ = ["MatchSummary", "Settings", "match_db", "posting_fields", "rank", "MIN_SCORE", "LEVEL_FIT"]

# Postings scoring below this against a profile are not stored: they share only common words with it.
MIN_SCORE = 0.03
# Level profiles: the cosine times how well the posting's seniority fits the level.
LEVEL_ORDER = ("research-engineer", "research-scientist", "senior", "principal-staff")
LEVEL_FIT = {"same": 1.0, "adjacent": 0.6, "unknown": 0.7, "other": 0.35}


@dataclass
class Ranking:
    """Scores of every posting against every chosen profile, with what is needed to explain them."""

    ids: list[str]
    seniority: list[str]
    scores: np.ndarray  # postings x profiles
    vectorizer: FieldVectorizer
    postings: Any  # sparse posting vectors
    profiles: Any  # sparse profile vectors
    names: list[str] = field(default_factory=list)

    def explain_many(self, rows: np.ndarray, column: int, limit: int = TERMS_SHOWN) -> list[list[list]]:
        """Top terms of postings for one profile, from one sparse product: [[term, share], ...] per posting.

        Shares are of the profile's own cosine (before the geometric mean and the level fit).
        """
        products = self.postings[rows].multiply(self.profiles[column]).tocsr()  # this profile's own cosine
        cosines = np.asarray(products.sum(axis=1)).ravel()
        explained = []
        for i in range(len(rows)):
            start, end = products.indptr[i], products.indptr[i + 1]
            data, indices = products.data[start:end], products.indices[start:end]
            best = np.argsort(-data, kind="stable")[:limit]
            total = cosines[i] or 1.0
            explained.append([[self.vectorizer.show(int(indices[k])), round(float(data[k] / total), 3)]
                              for k in best if data[k] > 0])
        return explained


def user_vocabulary(*extra_dirs):
    """The field vocabulary with the additions of the user's profile directories (vocabulary.toml)."""
    from ..profiles import profile_dirs

    return load_vocabulary(*profile_dirs(*extra_dirs)[1:])


def level_fit(profile_level: str, posting_level: str) -> float:
    """How well a posting's seniority fits a level profile (1 = the same level)."""
    if not posting_level:
        return LEVEL_FIT["unknown"]
    if posting_level == profile_level:
        return LEVEL_FIT["same"]
    if posting_level in LEVEL_ORDER and profile_level in LEVEL_ORDER:
        if abs(LEVEL_ORDER.index(posting_level) - LEVEL_ORDER.index(profile_level)) == 1:
            return LEVEL_FIT["adjacent"]
    return LEVEL_FIT["other"]


def choose(profiles: dict, names: list[str] | None) -> list:
    """The profiles named (all when none), or a ValueError listing the known names."""
    if not profiles:
        raise ValueError("no profiles: run `asr-jobs profiles build SNAPSHOT` or add one with `profiles add`")
    if not names:
        return list(profiles.values())
    unknown = [n for n in names if n not in profiles]
    if unknown:
        raise ValueError(f"unknown profile(s): {', '.join(unknown)} (known: {', '.join(profiles)})")
    return [profiles[n] for n in dict.fromkeys(names)]


def needed(chosen: list, available: dict) -> list:
    """The chosen profiles followed by the profiles they are within (scored too, not stored)."""
    profiles = {p.name: p for p in chosen}
    for profile in chosen:
        if profile.within and profile.within not in profiles:
            if profile.within not in available:
                raise ValueError(f"profile {profile.name!r} is within {profile.within!r}, which is not loaded")
            profiles[profile.within] = available[profile.within]
    return list(profiles.values())


def combine_scores(cosines: np.ndarray, profiles: list, levels: list[str]) -> np.ndarray:
    """Final scores from raw cosines (columns in profiles order): geometric mean with the profile a profile
    is within, times the level fit for level profiles."""
    column = {p.name: i for i, p in enumerate(profiles)}
    result = cosines.copy()
    for i, profile in enumerate(profiles):
        if profile.within:
            base = cosines[:, column[profile.within]]
            result[:, i] = np.sqrt(np.clip(cosines[:, i], 0, None) * np.clip(base, 0, None))
        if profile.kind == "level" and profile.level and len(levels):
            result[:, i] *= np.array([level_fit(profile.level, level) for level in levels])
    return result


def rank(rows: Iterator[dict[str, Any]], profiles: list, *, available: dict | None = None,
         settings: Settings = DEFAULT_SETTINGS, vocabulary=None) -> Ranking:
    """Fit once over the rows (id, title, team, description, seniority), score every profile."""
    vectorizer = FieldVectorizer(vocabulary or user_vocabulary(), settings)
    ids: list[str] = []
    levels: list[str] = []

    def texts() -> Iterator[tuple[str, str]]:
        for row in rows:
            ids.append(row["id"])
            title = row.get("title") or ""
            levels.append(row.get("seniority") or seniority(title, row.get("description") or ""))
            team = row.get("team") or ""
            yield (f"{title}\n{team}" if team else title), row.get("description") or ""

    scored = needed(profiles, available or {})
    postings = vectorizer.fit_transform(texts(), parallel.workers())
    vectors = vectorizer.profile_vectors(scored)
    cosines = scores(postings, vectors) if postings.shape[0] else np.zeros((0, len(scored)))
    result = combine_scores(cosines, scored, levels)[:, : len(profiles)]
    return Ranking(ids, levels, result, vectorizer, postings, vectors[: len(profiles)], [p.name for p in profiles])


def open_postings(db) -> Iterator[dict[str, Any]]:
    """Postings that are not closed, streamed from SQLite."""
    cursor = db.execute("SELECT id, title, team, description, seniority FROM postings WHERE status != 'closed' "
                        "OR status IS NULL ORDER BY id")
    columns = [c[0] for c in cursor.description]
    for values in cursor:
        yield dict(zip(columns, values, strict=True))


class MatchSummary(dict):
    """Matches stored per profile (name -> count), with the number of postings scored and each top three."""

    def __init__(self, postings: int, counts: dict[str, int], top: dict[str, list[tuple[str, float]]]):
        super().__init__(counts)
        self.postings = postings
        self.top = top  # profile -> [(posting id, score)], best first


def match_db(db, profiles: dict, names: list[str] | None = None, *, settings: Settings = DEFAULT_SETTINGS,
             min_score: float = MIN_SCORE, vocabulary=None, now: str | None = None) -> MatchSummary:
    """Score the open postings against the chosen profiles and replace their rows in the matches table."""
    chosen = choose(profiles, names)
    ranking = rank(open_postings(db), chosen, available=profiles, settings=settings, vocabulary=vocabulary)
    now = now or now_iso()
    counts: dict[str, int] = {}
    top: dict[str, list[tuple[str, float]]] = {}
    for column, profile in enumerate(chosen):
        column_scores = ranking.scores[:, column]
        kept = np.flatnonzero(column_scores > min_score)
        order = kept[np.lexsort((kept, -column_scores[kept]))]
        terms = ranking.explain_many(order, column) if len(order) else []
        rows = [{"profile": profile.name, "posting_id": ranking.ids[i], "score": round(float(column_scores[i]), 6),
                 "rank": position, "terms": json.dumps(explained, ensure_ascii=False), "matched_at": now}
                for position, (i, explained) in enumerate(zip(order, terms, strict=True), 1)]
        with db.atomic():
            db.execute("DELETE FROM matches WHERE profile = ?", [profile.name])
            if rows:
                db["matches"].insert_all(rows, pk=("profile", "posting_id"), batch_size=150)
        counts[profile.name] = len(rows)
        top[profile.name] = [(r["posting_id"], r["score"]) for r in rows[:3]]
    return MatchSummary(len(ranking.ids), counts, top)
