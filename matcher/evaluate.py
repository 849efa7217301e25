"""`asr-jobs eval`: the matcher, baselines and ablations ranking the whole pile, scored against graded labels."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..db.grouping import near_duplicate_groups
from ..db.matching import every_posting_row
from ..profiles.manage import find_profile
from . import boilerplate, combine_scores, needed, signals, user_vocabulary
from .metrics import RELEVANT_GRADE, bootstrap, evaluate
from .model import DEFAULT_SETTINGS, FieldVectorizer, Settings, scores
from .text import STOP_WORDS

# Ablations: the matcher with one part switched off (the same tokenization where possible).
ABLATIONS: dict[str, Settings] = {
    "no boilerplate removal": replace(DEFAULT_SETTINGS, boilerplate=False),
    "no title weight": replace(DEFAULT_SETTINGS, title_apart=False),
    "no field vocabulary": replace(DEFAULT_SETTINGS, field_terms=False),
    "no learned boilerplate": replace(DEFAULT_SETTINGS, learned_boilerplate=False),
    "no research signal": replace(DEFAULT_SETTINGS, research_weight=0.0),
}
_WORD = re.compile(r"(?u)\b\w\w+\b")


@dataclass
class Pile:
    """The postings to rank, in database order, with their grades (0 when unlabeled)."""

    source_ids: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)  # company, else lab: whose boilerplate a posting shares
    research: np.ndarray = field(default_factory=lambda: np.zeros(0))  # signals.research_signal per posting
    grades: np.ndarray = field(default_factory=lambda: np.zeros(0))
    missing: list[str] = field(default_factory=list)  # labeled ids found in no posting


def load_labels(path: str | Path) -> dict[str, int]:
    """{"id": ..., "grade": 0-3} per line -> {id: grade}; a ValueError names the line that is wrong."""
    labels: dict[str, int] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
        if not isinstance(row, dict) or "id" not in row or row.get("grade") not in (0, 1, 2, 3):
            raise ValueError(f'{path}:{number}: expected {{"id": ..., "grade": 0-3}}, got {line.strip()[:80]}')
        labels[str(row["id"])] = int(row["grade"])
    if not labels:
        raise ValueError(f"{path}: no labels")
    return labels


def load_pile(db, labels: dict[str, int]) -> Pile:
    """Every posting of the database (labels match postings.source_id)."""
    from ..enrich import seniority

    pile = Pile()
    grades = []
    research = []
    for source_id, title, team, description, level, degree, venues, publications, company in every_posting_row(db):
        pile.companies.append(company or "")
        research.append(signals.research_signal({"title": title, "degree": degree, "venues": venues,
                                                 "publications": publications}))
        pile.source_ids.append(source_id)
        pile.titles.append(f"{title}\n{team}" if team else title or "")
        pile.descriptions.append(description or "")
        pile.levels.append(level or seniority(title or "", description or ""))
        grades.append(labels.get(source_id, 0))
    pile.grades = np.asarray(grades, dtype=float)
    pile.research = np.asarray(research, dtype=float)
    found = set(pile.source_ids)
    pile.missing = sorted(i for i in labels if i not in found)
    return pile


def matcher_rankings(pile: Pile, profile, available: dict | None = None, vocabulary=None) -> dict[str, np.ndarray]:
    """Scores of the matcher and of its ablations; one tokenization serves all but the vocabulary ablation."""
    vocabulary = vocabulary or user_vocabulary()
    plain_rows = list(zip(pile.titles, pile.descriptions, strict=True))
    learned = boilerplate.learn_lists(pile.companies, pile.titles, pile.descriptions)
    rows = [(title, learned.moved(company, description))
            for company, (title, description) in zip(pile.companies, plain_rows, strict=True)]
    scored = needed([profile], available or {})
    vectorizer = FieldVectorizer(vocabulary, DEFAULT_SETTINGS)
    counts = vectorizer.fit(rows)
    profile_vectors = vectorizer.profile_vectors(scored)
    result = {}
    for name, settings in [("matcher", DEFAULT_SETTINGS), *ABLATIONS.items()]:
        if settings.field_terms and settings.learned_boilerplate:
            cosines = scores(vectorizer.combine(counts, settings), profile_vectors)
        else:  # another tokenization: without the vocabulary, or without the learned boilerplate
            plain = FieldVectorizer(vocabulary, settings)
            cosines = scores(plain.fit_transform(rows if settings.learned_boilerplate else plain_rows),
                             plain.profile_vectors(scored))
        factors = signals.role_factors(pile.research, scored, settings.research_weight)
        result[name] = combine_scores(cosines, scored, pile.levels, factors)[:, 0]
    return result


def distinct_postings(pile: Pile) -> tuple[np.ndarray, np.ndarray]:
    """A mask keeping one posting (the first) of each group of near-identical postings (db/grouping.py), and
    the grades with each kept posting graded as its group's best."""
    keys = [f"{company}\x1f{title.split(chr(10))[0].strip().lower()}" for company, title in
            zip(pile.companies, pile.titles, strict=True)]
    recurring = {key for key, n in Counter(keys).items() if n > 1}
    rows = ((str(i), key, f"{pile.titles[i]}\n{pile.descriptions[i]}") for i, key in enumerate(keys)
            if key in recurring)
    keep = np.ones(len(keys), dtype=bool)
    grades = pile.grades.copy()
    for members in near_duplicate_groups(rows):
        indices = [int(i) for i in members]
        grades[indices[0]] = grades[indices].max()
        keep[indices[1:]] = False
    return keep, grades


def bm25_scores(pile: Pile, query: str) -> np.ndarray:
    """Okapi BM25 (bm25s, Lucene variant, English stop words) of the profile text over title + description."""
    import bm25s

    corpus = [f"{title}\n{description}" for title, description in zip(pile.titles, pile.descriptions, strict=True)]
    tokens = bm25s.tokenize(corpus, stopwords="en", show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    query_tokens = [t for t in bm25s.tokenize([query], stopwords="en", show_progress=False, return_ids=False)[0]
                    if t in tokens.vocab]
    if not query_tokens:
        return np.zeros(len(corpus))
    return np.asarray(retriever.get_scores(query_tokens), dtype=float)


def keyword_scores(pile: Pile, query: str) -> np.ndarray:
    """How many times a posting says any word of the profile text (stop words aside)."""
    keywords = {w for w in _WORD.findall(query.lower()) if w not in STOP_WORDS}
    result = []
    for title, description in zip(pile.titles, pile.descriptions, strict=True):
        counts = Counter(_WORD.findall(f"{title}\n{description}".lower()))
        result.append(sum(n for word, n in counts.items() if word in keywords))
    return np.asarray(result, dtype=float)


BASELINES: dict[str, Callable[[Pile, str], np.ndarray]] = {"BM25": bm25_scores, "keyword count": keyword_scores}


def run_eval(db, labels: dict[str, int], profile, *, available: dict | None = None, samples: int = 1000,
             seed: int = 0, vocabulary=None, on_step: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Metrics with bootstrap intervals for the matcher, the baselines and the ablations.

    `on_step` hears the name of each step as it starts (for a progress bar: 2 + the number of rankers).
    """
    step = on_step or (lambda name: None)
    step("reading postings")
    pile = load_pile(db, labels)
    if not pile.source_ids:
        raise ValueError("the database holds no postings: import the labeled postings first")
    if not np.any(pile.grades > 0):
        raise ValueError("none of the labeled ids matches a posting's source_id: import the postings with "
                         "`asr-jobs import FILE --format jsonl --lab NAME` first")
    step("ranking (matcher and ablations)")
    rankings = matcher_rankings(pile, profile, available, vocabulary)
    for name, baseline in BASELINES.items():
        rankings[name] = baseline(pile, profile.match_text)
    # Near-identical postings of one company and title count once (as ranked lists show them), for every ranker.
    keep, grades = distinct_postings(pile)
    rankings = {name: scores[keep] for name, scores in rankings.items()}
    grades = grades[keep]
    order = ["matcher", *BASELINES, *ABLATIONS]
    rankers = {}
    for name in order:
        step(f"bootstrap: {name}")
        values = evaluate(rankings[name], grades)
        intervals = bootstrap(rankings[name], grades, samples=samples, seed=seed)
        rankers[name] = {metric: {"value": round(float(value), 4),
                                  "ci95": [round(intervals[metric][0], 4), round(intervals[metric][1], 4)]}
                         for metric, value in values.items()}
    return {
        "profile": profile.name, "postings": int(keep.sum()), "duplicates": int(len(keep) - keep.sum()),
        "labeled": int(np.sum(grades > 0)),
        "labels_not_found": len(pile.missing), "relevant_grade": RELEVANT_GRADE, "bootstrap_samples": samples,
        "rankers": rankers,
    }


def evaluate_profile(db, labels_path: str | Path, profile_name: str, *profile_dirs: str | Path,
                     samples: int = 1000, seed: int = 0, on_step: Callable[[str], None] | None = None) -> dict[str, Any]:
    """`asr-jobs eval`: the graded labels of a file scored against the rankings of one loaded profile."""
    profile, profiles = find_profile(profile_name, *profile_dirs)
    return run_eval(db, load_labels(labels_path), profile, available=profiles, samples=samples, seed=seed,
                    vocabulary=user_vocabulary(*profile_dirs), on_step=on_step)
