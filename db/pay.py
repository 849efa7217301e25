"""The pay-band rule, written once in SQL: the pay_vs_band view runs it, and so does Python (band_comparison).

A posting's pay is above its level's band when all of the posted range is above the band, below when all
of it is under, within otherwise; open-ended bands ("$350K+") have no above. Hourly and monthly pay count
as yearly (2080 working hours, 12 months). Pay in another currency than the band's is not compared (no
exchange rates), and neither is a posting without pay or whose level has no band.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

from .expressions import money_sql

# Working hours and months in a year, as asr_jobs.enrich counts them.
YEARLY_FACTOR = "(CASE p.salary_period WHEN 'hour' THEN 2080 WHEN 'month' THEN 12 ELSE 1 END)"


def currency_sql(value: str) -> str:
    """A currency as compared: upper-case, USD when none is given."""
    return f"upper(coalesce(nullif({value}, ''), 'USD'))"


# One band per level from the level profiles, so bands live in one place (the profiles table).
BANDS_SQL = (f"SELECT level, min(salary_min) AS band_min, max(salary_max) AS band_max, "
             f"{currency_sql('min(salary_currency)')} AS currency, coalesce(max(salary_open), 0) AS open_ended "
             "FROM profiles WHERE kind = 'level' AND coalesce(level, '') != '' "
             "AND (salary_min IS NOT NULL OR salary_max IS NOT NULL) GROUP BY level")

VS_BAND_SQL = """CASE WHEN c.band_max IS NOT NULL AND NOT c.open_ended AND c.yearly_low > c.band_max THEN 'above'
            WHEN c.band_min IS NOT NULL AND c.yearly_high < c.band_min THEN 'below' ELSE 'within' END"""


def comparison_sql(postings: str, bands: str) -> str:
    """The rule as a SELECT over `postings` (id, seniority, salary_min, salary_max, salary_currency,
    salary_period) and `bands` (level, band_min, band_max, currency, open_ended): one row per comparable
    posting with its yearly pay, its band, vs_band and how far outside the band it is in percent."""
    return f"""
SELECT c.posting_id, c.yearly_low, c.yearly_high, c.band_min, c.band_max, c.currency, c.open_ended,
       {VS_BAND_SQL} AS vs_band,
       CAST(round(100.0 * CASE WHEN {VS_BAND_SQL} = 'above' THEN (c.yearly_low - c.band_max) / c.band_max
                              WHEN {VS_BAND_SQL} = 'below' THEN (c.yearly_high - c.band_min) / c.band_min
                              ELSE 0 END) AS INTEGER) AS pct_outside_band
FROM (SELECT p.id AS posting_id, coalesce(p.salary_min, p.salary_max) * {YEARLY_FACTOR} AS yearly_low,
             coalesce(p.salary_max, p.salary_min) * {YEARLY_FACTOR} AS yearly_high,
             b.band_min, b.band_max, b.currency, b.open_ended
      FROM {postings} AS p
      JOIN {bands} AS b ON b.level = p.seniority AND {currency_sql('p.salary_currency')} = b.currency
      WHERE coalesce(p.salary_min, p.salary_max) IS NOT NULL) AS c"""


def band_text_sql(b: str = "c") -> str:
    """SQL for a band as '$200K–$280K/yr', '$350K+/yr' (open-ended) or 'up to $100K/yr'."""
    symbol = (f"(CASE {b}.currency WHEN 'USD' THEN '$' WHEN 'EUR' THEN '€' WHEN 'GBP' THEN '£' "
              f"ELSE {b}.currency || ' ' END)")
    low, high = money_sql(f"{b}.band_min", symbol), money_sql(f"{b}.band_max", symbol)
    return (f"CASE WHEN {b}.band_min IS NULL THEN 'up to ' || {high} "
            f"WHEN {b}.band_max IS NULL OR {b}.open_ended THEN {low} || '+' "
            f"ELSE {low} || '–' || {high} END || '/yr'")


# One posting and one band as the rule's inputs, bound from Python.
_ONE_POSTING = ("(SELECT '' AS id, :level AS seniority, :salary_min AS salary_min, :salary_max AS salary_max, "
                ":currency AS salary_currency, :period AS salary_period)")
_ONE_BAND = (f"(SELECT :level AS level, :band_min AS band_min, :band_max AS band_max, "
             f"{currency_sql(':band_currency')} AS currency, :open_ended AS open_ended)")
_ONE_COMPARISON = f"SELECT vs_band FROM ({comparison_sql(_ONE_POSTING, _ONE_BAND)})"


def band_comparison(level: str, salary_min: float | None, salary_max: float | None, currency: str | None,
                    period: str | None, band: tuple[float | None, float | None, str, bool]) -> str | None:
    """'above', 'within' or 'below' for one posting's pay and its level's band (min, max, currency,
    open-ended), by the view's own SQL; None when the rule does not compare them."""
    band_min, band_max, band_currency, open_ended = band
    params = {"level": level, "salary_min": salary_min, "salary_max": salary_max, "currency": currency,
              "period": period, "band_min": band_min, "band_max": band_max, "band_currency": band_currency,
              "open_ended": int(open_ended)}
    with closing(sqlite3.connect(":memory:")) as conn:
        row = conn.execute(_ONE_COMPARISON, params).fetchone()
    return row[0] if row else None
