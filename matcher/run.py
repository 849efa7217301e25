"""One `asr-jobs match` run: the profiles loaded and stored, the open postings scored, a row per profile."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from ..db import queries
from ..profiles import load_profiles, save_profiles
from . import MIN_SCORE, MatchSummary, match_db, user_vocabulary


@dataclass
class MatchRun:
    """What a run stored (`summary`: counts, mode and note) and a row per profile with its best posting."""

    summary: MatchSummary
    rows: list[dict[str, Any]] = field(default_factory=list)


def run_match(db: sqlite_utils.Database, names: Sequence[str] = (), *profile_dirs: str | Path,
              min_score: float = MIN_SCORE, refit: bool = False,
              on_rows: Callable[[int], None] | None = None) -> MatchRun:
    """Score the open postings against the named profiles (all when none), stored with the profiles."""
    profiles = load_profiles(*profile_dirs)
    save_profiles(db, profiles)
    summary = match_db(db, profiles, list(names) or None, min_score=min_score,
                       vocabulary=user_vocabulary(*profile_dirs), refit=refit, on_rows=on_rows)
    titles = queries.best_match_titles(db)
    rows = []
    for name, count in summary.items():
        best = summary.top.get(name) or []
        rows.append({"profile": name, "kind": profiles[name].kind, "matches": count,
                     "best score": best[0][1] if best else None,
                     "best posting": titles.get(best[0][0], "") if best else ""})
    return MatchRun(summary, rows)
