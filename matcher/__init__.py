"""Scoring postings against profiles: TF-IDF over the whole pile, sparse cosine, explained by terms."""

from __future__ import annotations

if __name__ != "asr_jobs.matcher":  # the folder also sits at the repository root: one importable copy only
    raise ImportError(f"import asr_jobs.matcher, not {__name__}: matcher/ is installed as part of the asr_jobs package")

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..db import grouping, matching
from ..db.connection import write_transaction
from ..db.store import now_iso
from ..enrich import posting_fields, seniority
from . import boilerplate, feedback, incremental, parallel, signals, token_cache
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
    research: np.ndarray = field(default_factory=lambda: np.zeros(0))  # each posting's research signal
    factors: np.ndarray = field(default_factory=lambda: np.ones((0, 0)))  # postings x profiles role factors
    cache: token_cache.TokenCache | None = None  # the token counts used and made by the fit, to keep

    def explain_many(self, rows: np.ndarray, column: int, limit: int = TERMS_SHOWN) -> list[list[list]]:
        """Top terms of postings for one profile, from one sparse product: [[term, share], ...] per posting.

        Shares are of the profile's own cosine (before the geometric mean and the level fit).
        """
        products = self.postings[rows].multiply(self.profiles[column]).tocsr()  # this profile's own cosine
        cosines = np.asarray(products.sum(axis=1)).ravel()
        explained = []
        by_name = self.vectorizer.name_order()
        for i in range(len(rows)):
            start, end = products.indptr[i], products.indptr[i + 1]
            data, indices = products.data[start:end], products.indices[start:end]
            best = np.lexsort((by_name[indices], -data))[:limit]  # equal shares in the order of their names
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
        from ..scrapers.registry import did_you_mean

        hints = "; ".join(f"{n}: {hint}" for n in unknown if (hint := did_you_mean(n, profiles)))
        raise ValueError(f"unknown profile(s): {', '.join(unknown)} ({hints or 'known: ' + ', '.join(profiles)})")
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


def combine_scores(cosines: np.ndarray, profiles: list, levels: list[str],
                   factors: np.ndarray | None = None) -> np.ndarray:
    """Final scores from raw cosines (columns in profiles order): geometric mean with the profile a profile
    is within, times the level fit for level profiles, times the role factors (signals.role_factors)."""
    column = {p.name: i for i, p in enumerate(profiles)}
    result = cosines.copy()
    for i, profile in enumerate(profiles):
        if profile.within:
            base = cosines[:, column[profile.within]]
            result[:, i] = np.sqrt(np.clip(cosines[:, i], 0, None) * np.clip(base, 0, None))
        if profile.kind == "level" and profile.level and len(levels):
            fits = {level: level_fit(profile.level, level) for level in set(levels)}  # a few levels, many postings
            result[:, i] *= np.fromiter((fits[level] for level in levels), dtype=float, count=len(levels))
    if factors is not None and factors.size:
        result *= factors
        np.minimum(result, 1.0, out=result)  # a lifted score stays a score (a cosine is at most 1)
    return result


def row_text(row: dict[str, Any]) -> tuple[str, str]:
    """What a posting row is vectorized from: (title and team, description)."""
    title, team = row.get("title") or "", row.get("team") or ""
    return (f"{title}\n{team}" if team else title), row.get("description") or ""


def row_level(row: dict[str, Any]) -> str:
    return row.get("seniority") or seniority(row.get("title") or "", row.get("description") or "")


def learned_text(row: dict[str, Any], learned: boilerplate.Boilerplate | None) -> tuple[str, str]:
    """row_text with the company's learned boilerplate lines moved apart (boilerplate.py)."""
    title, description = row_text(row)
    return title, learned.moved(boilerplate.company(row), description) if learned else description


def rank(rows: Iterator[dict[str, Any]], profiles: list, *, available: dict | None = None,
         settings: Settings = DEFAULT_SETTINGS, vocabulary=None,
         learned: boilerplate.Boilerplate | None = None, personal: feedback.Personal | None = None,
         db=None) -> Ranking:
    """Fit once over the rows (id, lab, company, title, team, description, seniority, degree, venues,
    publications), score every profile; `learned` is the boilerplate learned from the same postings,
    `personal` the liked profiles and ratings that adjust the profiles' vectors. With `db` (whose open postings
    the rows are), texts whose token counts it keeps are not tokenized again; the new counts are kept, and those
    of texts no longer open dropped, as counting goes (token_cache.py), not with the matches."""
    vectorizer = FieldVectorizer(vocabulary or user_vocabulary(), settings)
    cache = token_cache.TokenCache(db, vectorizer.vocabulary) if db is not None else None
    ids: list[str] = []
    levels: list[str] = []
    research: list[float] = []

    def texts() -> Iterator[tuple[str, str]]:
        for row in rows:
            ids.append(row["id"])
            levels.append(row_level(row))
            research.append(signals.research_signal(row))
            yield learned_text(row, learned)

    scored = needed(profiles, available or {})
    counts = vectorizer.fit(texts(), parallel.workers(), cache)
    if cache is not None:
        # Counts are keyed by their text: right whatever the run's outcome, so kept apart from the matches.
        with write_transaction(db):
            cache.save(prune=True)
    postings = vectorizer.combine(counts)
    del counts
    ranking = _ranking(vectorizer, postings, ids, levels, np.asarray(research, dtype=float), profiles, scored, personal)
    ranking.cache = cache
    return ranking


def _ranking(vectorizer: FieldVectorizer, postings, ids: list[str], levels: list[str], research: np.ndarray,
             profiles: list, scored: list, personal: feedback.Personal | None = None) -> Ranking:
    vectors = vectorizer.profile_vectors(scored)
    if personal:  # liked profiles blended in, ratings fed back (matcher/feedback.py)
        vectors = personal.adjusted(vectorizer, scored, vectors)
    cosines = scores(postings, vectors) if postings.shape[0] else np.zeros((0, len(scored)))
    factors = signals.role_factors(research, scored, vectorizer.settings.research_weight)
    result = combine_scores(cosines, scored, levels, factors)[:, : len(profiles)]
    return Ranking(ids, levels, result, vectorizer, postings, vectors[: len(profiles)], [p.name for p in profiles],
                   research, factors[:, : len(profiles)])


def learned_boilerplate(db, settings: Settings, companies: Iterable[str] | None = None) -> boilerplate.Boilerplate | None:
    """The boilerplate the open postings' companies repeat (of the `companies` given, else of all; None when the
    settings switch it off): a company's boilerplate is learned from its own postings alone."""
    if not settings.learned_boilerplate:
        return None
    return boilerplate.learn(matching.company_texts(db, boilerplate.MIN_TITLES, companies))


class MatchSummary(dict):
    """Matches stored per profile (name -> count), with the number of postings scored and each top three.

    `mode` is "full" (fitted on all open postings), "incremental" (only what changed, with the stored fit)
    or "rescore" (every posting, from its kept token counts with the stored fit); `note` says why. `reused`: the
    postings of a full fit whose token counts were kept (from an earlier fit, or a twin text met earlier in it).
    """

    def __init__(self, postings: int, counts: dict[str, int], top: dict[str, list[tuple[str, float]]],
                 mode: str = "full", note: str = "", reused: int = 0):
        super().__init__(counts)
        self.postings = postings
        self.reused = reused
        self.top = top  # profile -> [(posting id, score)], best first
        self.mode = mode
        self.note = note


def match_rows(ranking: Ranking, column: int, profile, min_score: float, now: str) -> list[dict[str, Any]]:
    """The matches rows of one profile, best first, ranked 1, 2, ... (ties by posting id, as rerank does)."""
    rounded = np.round(ranking.scores[:, column], 6)  # stored scores are rounded: rank by what is stored
    kept = np.flatnonzero(ranking.scores[:, column] > min_score)
    order = kept[np.lexsort((kept, -rounded[kept]))]  # rows come in posting id order: ties by id
    terms = ranking.explain_many(order, column) if len(order) else []
    for i, explained in zip(order, terms, strict=True):
        factor = ranking.factors[i, column] if ranking.factors.size else 1.0
        delta = rounded[i] - rounded[i] / factor if factor else 0.0
        if abs(delta) >= 0.0005:  # shown with the terms: "research role +0.08"
            explained.insert(0, signals.role_label(float(ranking.research[i]), delta))
    return [{"profile": profile.name, "posting_id": ranking.ids[i], "score": float(rounded[i]),
             "rank": position, "terms": json.dumps(explained, ensure_ascii=False), "matched_at": now}
            for position, (i, explained) in enumerate(zip(order, terms, strict=True), 1)]


def match_db(db, profiles: dict, names: list[str] | None = None, *, settings: Settings = DEFAULT_SETTINGS,
             min_score: float = MIN_SCORE, vocabulary=None, now: str | None = None,
             refit: bool = False, on_rows: Callable[[int], None] | None = None) -> MatchSummary:
    """Score the open postings against the chosen profiles and replace their rows in the matches table.

    Over all profiles, a run reuses the last fit while few postings changed since (incremental.plan):
    only new, changed and closed postings are scored then; when only the profiles changed, every posting is
    rescored from its kept token counts with that fit (rescore). summary.mode and summary.note say which,
    and why. `on_rows` hears each posting read for a full fit (for a progress bar).
    """
    chosen = choose(profiles, names)
    vocabulary = vocabulary or user_vocabulary()
    now = now or now_iso()
    personal = feedback.personal(db, needed(chosen, profiles), profiles)
    sig = incremental.signature(needed(chosen, profiles), settings, min_score, vocabulary)
    sig = f"{sig}+{personal.digest()}" if personal else sig
    postings_sig = incremental.postings_signature(settings, vocabulary)
    if names:
        plan = incremental.Plan(False, "some profiles only: fitted on all open postings (the next run over all "
                                       "profiles refits too)")
    else:
        plan = incremental.plan(db, sig, postings=postings_sig, refit=refit)
    if plan.update and plan.state is not None:
        return _update(db, plan, plan.state, chosen, profiles, settings, min_score, vocabulary, now, personal)
    reason = plan.reason
    scored = needed(chosen, profiles)
    signatures = incremental.profile_signatures(chosen, scored, settings, min_score, vocabulary, personal)
    if plan.rescore and plan.state is not None:
        rescored = rescore(db, plan.state, (sig, signatures), chosen, scored, settings, min_score, vocabulary, now,
                           personal)
        if isinstance(rescored, MatchSummary):
            rescored.note = f"{plan.reason}; {rescored.note}"
            return rescored
        reason = f"profiles, vocabulary or settings changed since the last fit: refitted ({rescored})"
    hashes: dict[str, str] = {}

    def tracked(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for row in rows:
            hashes[row["id"]] = row["content_hash"] or ""
            if on_rows:
                on_rows(1)
            yield row

    ranking = rank(tracked(matching.open_posting_rows(db)), chosen, available=profiles, settings=settings,
                   vocabulary=vocabulary, learned=learned_boilerplate(db, settings), personal=personal, db=db)
    stored = {profile.name: match_rows(ranking, column, profile, min_score, now)
              for column, profile in enumerate(chosen)}
    # Every profile's matches and the fit in one transaction: a run killed at any moment leaves the
    # matches of the run before, never some profiles of each (which no later incremental run would mend).
    with write_transaction(db):
        if names:
            matching.forget_fit(db)
        for name, rows in stored.items():
            matching.replace_matches(db, name, rows)
        if not names:
            incremental.save_fit(db, sig, postings_sig, signatures, ranking.vectorizer,
                                 scored_postings(ranking, hashes))
        grouping.refresh_groups(db)
    counts = {name: len(rows) for name, rows in stored.items()}
    top = {name: [(r["posting_id"], r["score"]) for r in rows[:3]] for name, rows in stored.items()}
    reused = ranking.cache.hits if ranking.cache is not None else 0
    return MatchSummary(len(ranking.ids), counts, top, "full", reason, reused)


def scored_postings(ranking: Ranking, hashes: dict[str, str]) -> list[tuple[str, str, str | None, float, str]]:
    """Each posting as a full fit scored it: (id, content hash, key of its kept token counts, research signal,
    level). The keys are those the token cache looked up, row by row; counts it could not keep are missing
    under their key, and a rescore then refits instead."""
    keys: list[str | None] = list(ranking.cache.used) if ranking.cache is not None else []
    if len(keys) != len(ranking.ids):
        keys = [None] * len(ranking.ids)
    return list(zip(ranking.ids, (hashes[i] for i in ranking.ids), keys, ranking.research.tolist(),
                    ranking.seniority, strict=True))


def rescore(db, state: dict[str, Any], signatures: tuple[str, dict[str, str]], chosen: list, scored: list,
            settings: Settings, min_score: float, vocabulary, now: str,
            personal: feedback.Personal | None = None) -> MatchSummary | str:
    """Every posting rescored with the stored fit from its kept token counts, signals and level (no posting is
    read): the matches a refit stores when only the profiles changed. Only the profiles whose signature changed
    (incremental.profile_signatures) have their matches rewritten. Else why not, writing nothing.

    `signatures` is the run's (signature, profile signatures); `scored` the chosen profiles and those they are within.
    """
    kept = kept_postings(db, state, vocabulary, settings)
    if isinstance(kept, str):
        return kept
    vectorizer, postings, ids, levels, research = kept
    sig, profile_sigs = signatures
    before = json.loads(state["profile_signatures"] or "{}")
    ranking = _ranking(vectorizer, postings, ids, levels, research, chosen, scored, personal)
    stored = {profile.name: match_rows(ranking, column, profile, min_score, now)
              for column, profile in enumerate(chosen) if before.get(profile.name) != profile_sigs[profile.name]}
    with write_transaction(db):
        # Groups are left as the fit left them: they follow the open postings, and none changed since.
        if not matching.note_rescore(db, sig, json.dumps(profile_sigs, sort_keys=True), state["fitted_at"]):
            return "another run changed the stored fit meanwhile"
        for name, rows in stored.items():
            matching.replace_matches(db, name, rows)
    names = [profile.name for profile in chosen]
    top = {name: matching.top_matches(db, name) for name in names}
    return MatchSummary(len(ids), matching.match_counts(db, names), top, "rescore",
                        f"the matches of {len(stored)} of {len(names)} profiles rewritten (the others' are unchanged)")


def kept_postings(db, state: dict[str, Any], vocabulary, settings: Settings
                  ) -> tuple[FieldVectorizer, Any, list[str], list[str], np.ndarray] | str:
    """The stored fit's vectorizer with the postings' vectors, ids, levels and research signals, rebuilt from
    what the fit kept (no posting is read); else why not."""
    vectorizer = FieldVectorizer(vocabulary, settings)
    with db.atomic():  # one snapshot: the kept counts and the token ids they are written in, read together
        fitted = list(matching.fitted_postings(db))
        cache = token_cache.TokenCache(db, vectorizer.vocabulary)
    ids: list[str] = []
    levels: list[str] = []
    research: list[float] = []
    blobs: list[bytes] = []
    for posting_id, signal, level, blob in fitted:
        if blob is None or signal is None or level is None:
            return "the token counts, signals or levels of some postings are not kept"
        ids.append(posting_id)
        research.append(signal)
        levels.append(level)
        blobs.append(blob)
    del fitted
    chunk = cache.counts_of(blobs)
    del blobs
    # Merged as a refit merges the same kept counts: the same columns, so the very same sums and scores.
    counts = vectorizer._merged([chunk], grow=True)
    del chunk
    vectorizer.idf = incremental.fitted_idf(state, vectorizer.tokens)
    if vectorizer.idf is None:
        return "the kept token counts no longer give the fit's vocabulary"
    return vectorizer, vectorizer.combine(counts), ids, levels, np.asarray(research, dtype=float)


def _update(db, plan: incremental.Plan, state: dict[str, Any], chosen: list, profiles: dict, settings: Settings,
            min_score: float, vocabulary, now: str, personal: feedback.Personal | None = None) -> MatchSummary:
    """Score only the postings new or changed since the stored fit, drop closed ones, renumber the ranks."""
    rows = list(matching.posting_rows(db, plan.changed))
    hashes = {row["id"]: row["content_hash"] or "" for row in rows}
    gone = plan.changed + plan.removed
    added: list[dict[str, Any]] = []
    if rows:  # scored before the transaction: the write lock is held only while rows are written
        vectorizer = incremental.restored(state, vocabulary, settings)
        learned = learned_boilerplate(db, settings, {boilerplate.company(row) for row in rows})
        postings = vectorizer.transform((learned_text(row, learned) for row in rows), parallel.workers())
        ranking = _ranking(vectorizer, postings, [r["id"] for r in rows], [row_level(r) for r in rows],
                           signals.signals(rows), chosen, needed(chosen, profiles), personal)
        for column, profile in enumerate(chosen):
            added.extend(match_rows(ranking, column, profile, min_score, now))
    if gone:
        with write_transaction(db):
            matching.drop_matches(db, gone)
            matching.add_matches(db, added)
            for profile in chosen:
                matching.rerank(db, profile.name)
            matching.note_update(db, hashes, plan.removed)
            grouping.refresh_groups(db, gone)
    names = [p.name for p in chosen]
    top = {name: matching.top_matches(db, name) for name in names}
    return MatchSummary(matching.open_posting_count(db), matching.match_counts(db, names), top, "incremental",
                        plan.reason)
