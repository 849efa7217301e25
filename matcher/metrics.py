"""Ranking metrics over one ranked pile with graded labels, and bootstrap intervals over the pile."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

Grades = Sequence[float] | np.ndarray  # grades of postings, in pile or ranked order

# Binary metrics (P@k, MAP) count a posting as relevant from this grade up; NDCG uses the grades themselves.
RELEVANT_GRADE = 2


def dcg(grades: Grades, k: int) -> float:
    """Discounted cumulative gain of the first k grades, gain = grade (linear, as trec_eval and scikit-learn)."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(list(grades)[:k]))


def ndcg(ranked: Grades, all_grades: Grades, k: int) -> float:
    """NDCG@k of a ranking (grades in ranked order) against the best order of all grades in the pile."""
    ideal = dcg(sorted(all_grades, reverse=True), k)
    return dcg(ranked, k) / ideal if ideal > 0 else 0.0


def precision(ranked: Grades, k: int, relevant: float = RELEVANT_GRADE) -> float:
    """Share of the first k postings that are relevant (grade >= relevant)."""
    return sum(1 for g in list(ranked)[:k] if g >= relevant) / k


def average_precision(ranked: Grades, relevant: float = RELEVANT_GRADE) -> float:
    """Mean of the precision at each relevant posting's rank, over all relevant postings of the pile."""
    hits = 0
    total = 0.0
    for position, grade in enumerate(ranked, 1):
        if grade >= relevant:
            hits += 1
            total += hits / position
    return total / hits if hits else 0.0


METRICS: dict[str, Callable[[Grades, Grades], float]] = {
    "ndcg@10": lambda ranked, grades: ndcg(ranked, grades, 10),
    "ndcg@20": lambda ranked, grades: ndcg(ranked, grades, 20),
    "p@10": lambda ranked, grades: precision(ranked, 10),
    "map": lambda ranked, grades: average_precision(ranked),
}


def ranked_grades(scores: np.ndarray, grades: np.ndarray) -> np.ndarray:
    """Grades in ranked order: score descending, ties in pile order (so ties never flatter a ranker)."""
    order = np.lexsort((np.arange(len(scores)), -scores))
    return grades[order]


def evaluate(scores: np.ndarray, grades: np.ndarray) -> dict[str, float]:
    """Every metric of one ranking of the whole pile (unlabeled postings have grade 0)."""
    ranked = ranked_grades(scores, grades)
    return {name: metric(ranked, grades) for name, metric in METRICS.items()}


def bootstrap(scores: np.ndarray, grades: np.ndarray, *, samples: int = 1000, seed: int = 0,
              level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile intervals of every metric over piles resampled with replacement (one query: resample postings).

    A resampled pile is the ranked pile with each posting repeated as often as drawn, so one ordering serves
    every sample; only the labeled postings' positions need computing.
    """
    rng = np.random.default_rng(seed)
    count = len(scores)
    order = np.lexsort((np.arange(count), -scores))
    ordered_grades = grades[order]
    labeled = np.flatnonzero(ordered_grades > 0)
    values: dict[str, list[float]] = {name: [] for name in METRICS}
    for _ in range(samples):
        drawn = np.bincount(rng.integers(0, count, count), minlength=count)[order]
        before = np.cumsum(drawn) - drawn  # postings ranked above each posting
        copies = drawn[labeled]
        # Every copy of a labeled posting: its position (1-based) and grade.
        offsets = np.arange(copies.sum()) - np.repeat(np.cumsum(copies) - copies, copies)
        positions = np.repeat(before[labeled], copies) + offsets + 1
        sample_grades = np.repeat(ordered_grades[labeled], copies).astype(float)
        for name, value in _sample_metrics(positions, sample_grades).items():
            values[name].append(value)
    tail = (1 - level) / 2 * 100
    return {name: (float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail))) for name, v in values.items()}


def _sample_metrics(positions: np.ndarray, grades: np.ndarray) -> dict[str, float]:
    """The metrics from the positions of the labeled copies (everything else is grade 0)."""
    ideal_grades = np.sort(grades)[::-1]
    result = {}
    for k in (10, 20):
        ideal = float(np.sum(ideal_grades[:k] / np.log2(np.arange(2, min(k, len(ideal_grades)) + 2))))
        top = positions <= k
        gain = float(np.sum(grades[top] / np.log2(positions[top] + 1)))
        result[f"ndcg@{k}"] = gain / ideal if ideal > 0 else 0.0
    relevant = np.sort(positions[grades >= RELEVANT_GRADE])
    result["p@10"] = float(np.sum(relevant <= 10)) / 10
    result["map"] = float(np.mean(np.arange(1, len(relevant) + 1) / relevant)) if len(relevant) else 0.0
    return result
