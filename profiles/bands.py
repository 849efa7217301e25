"""Pay bands of the snapshot's level profiles, and a posting's pay compared with its level's band."""

from __future__ import annotations

from functools import lru_cache

from ..enrich import yearly
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
    """A posting's pay against the snapshot's band for its level: 'above', 'within', 'below' or None."""
    band = level_bands().get(level or "")
    if band is None or (salary_min is None and salary_max is None):
        return None
    band_min, band_max, band_currency, open_ended = band
    if (currency or "USD") != band_currency:
        return None  # no exchange rates: other currencies are not compared
    low = yearly(salary_min if salary_min is not None else salary_max, period)
    high = yearly(salary_max if salary_max is not None else salary_min, period)
    if band_max is not None and not open_ended and low > band_max:
        return "above"
    if band_min is not None and high < band_min:
        return "below"
    return "within"
