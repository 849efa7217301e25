"""Pay bands of the snapshot's level profiles, and a posting's pay compared with its level's band."""

from __future__ import annotations

from functools import lru_cache

from ..db import pay
from . import BUILTIN_DIR, read_profile


@lru_cache(maxsize=1)
def level_bands() -> dict[str, tuple[float | None, float | None, str, bool]]:
    """seniority -> (band min, band max, currency, open-ended) from the built-in level profiles."""
    bands = {}
    for path in sorted(BUILTIN_DIR.glob("*.toml")):
        if path.name.endswith(".extra.toml") or path.stem == "vocabulary":
            continue
        profile = read_profile(path)
        if profile.kind == "level" and profile.level:
            bands[profile.level] = (profile.salary_min, profile.salary_max, profile.salary_currency or "USD",
                                    profile.salary_open)
            bands[profile.name] = bands[profile.level]
    return bands


def band_comparison(level: str, salary_min: float | None, salary_max: float | None, *,
                    currency: str | None = "USD", period: str | None = "year") -> str | None:
    """A posting's pay against the snapshot's band for its level: 'above', 'within', 'below' or None.

    The rule is the pay_vs_band view's own SQL (db/pay.py), so the two cannot disagree.
    """
    band = level_bands().get(level or "")
    if band is None:
        return None
    return pay.band_comparison(level, salary_min, salary_max, currency, period, band)
