"""Calibrated match levels: strong, good or weak next to a score, with thresholds from the development set.

On the dev set (README "Matching quality"), of the `asr-research` scores: at 0.25 and above 10 postings,
all speech or audio roles (grade >= 2), all ten speech-research roles among them; from 0.15 to 0.25,
18 postings, 22% speech or audio, 83% machine learning or speech-adjacent (grade >= 1); below 0.15, no
speech or audio role and 34% grade 1. Other profiles' scores are on the same cosine scale and read with the
same thresholds (their own precision is not measured).
"""

from __future__ import annotations

# (level, lowest score), strongest first; below the last threshold a match is weak.
MATCH_LEVELS: tuple[tuple[str, float], ...] = (("strong", 0.25), ("good", 0.15))
WEAK = "weak"


def match_level(score: float | None) -> str:
    """'strong', 'good' or 'weak' for a score ('' without one)."""
    if score is None:
        return ""
    return next((level for level, lowest in MATCH_LEVELS if score >= lowest), WEAK)


def match_level_sql(column: str = "m.score") -> str:
    """The same as SQL over a score column."""
    cases = " ".join(f"WHEN {column} >= {lowest} THEN '{level}'" for level, lowest in MATCH_LEVELS)
    return f"CASE WHEN {column} IS NULL THEN NULL {cases} ELSE '{WEAK}' END"
