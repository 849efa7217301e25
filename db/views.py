"""SQL views for browsing in datasette: ranked matches, postings with pay and lab, pay against level bands."""

from __future__ import annotations

import sqlite_utils

from .store import write_transaction


def _money(value: str, symbol: str) -> str:
    """SQL for '$200K' (thousands rounded) or '$45.5' (hourly amounts), like queries.salary_text."""
    return (f"CASE WHEN {value} >= 1000 THEN {symbol} || CAST(round({value} / 1000.0) AS INTEGER) || 'K' "
            f"ELSE {symbol} || printf('%g', {value}) END")


def salary_sql(p: str = "p") -> str:
    """SQL for a posting's pay as '$200K–$280K/yr' text, NULL when it has none."""
    lo, hi = f"{p}.salary_min", f"{p}.salary_max"
    symbol = (f"(CASE {p}.salary_currency WHEN 'USD' THEN '$' WHEN 'EUR' THEN '€' WHEN 'GBP' THEN '£' "
              f"ELSE coalesce({p}.salary_currency || ' ', '') END)")
    period = (f"(CASE {p}.salary_period WHEN 'year' THEN '/yr' WHEN 'hour' THEN '/hr' WHEN 'month' THEN '/mo' "
              "ELSE '' END)")
    return (f"CASE WHEN {lo} IS NULL AND {hi} IS NULL THEN NULL "
            f"WHEN {lo} IS NOT NULL AND {hi} IS NOT NULL AND {lo} != {hi} "
            f"THEN {_money(lo, symbol)} || '–' || {_money(hi, symbol)} || {period} "
            f"ELSE {_money(f'coalesce({lo}, {hi})', symbol)} || {period} END")


def terms_sql(column: str = "m.terms", top: int = 8) -> str:
    """SQL turning the matcher's JSON [[term, share], ...] into 'term, term, ...' (first `top` terms)."""
    return (f"(SELECT group_concat(CASE WHEN j.type = 'array' THEN json_extract(j.value, '$[0]') ELSE j.value END, "
            f"', ') FROM json_each(CASE WHEN json_valid({column}) THEN {column} ELSE '[]' END) AS j "
            f"WHERE j.key < {top})")


# "New" has the same meaning as `asr-jobs jobs --new`: first seen in the lab's latest finished scrape.
IS_NEW_SQL = ("p.status != 'closed' AND p.first_seen >= coalesce((SELECT max(r.started_at) FROM scrape_runs r "
              "WHERE r.lab = p.lab AND r.status != 'running'), '')")

# Yearly pay, as matcher.fields.yearly counts it (2080 working hours, 12 months).
YEARLY_FACTOR = "(CASE p.salary_period WHEN 'hour' THEN 2080 WHEN 'month' THEN 12 ELSE 1 END)"


def bands_sql(profile_columns: set[str]) -> str:
    """One band per level from the level profiles, so bands live in one place (the profiles table)."""
    currency = ("upper(coalesce(nullif(min(salary_currency), ''), 'USD'))" if "salary_currency" in profile_columns
                else "'USD'")
    open_ended = "coalesce(max(salary_open), 0)" if "salary_open" in profile_columns else "0"
    return (f"SELECT level, min(salary_min) AS band_min, max(salary_max) AS band_max, {currency} AS currency, "
            f"{open_ended} AS open_ended FROM profiles WHERE kind = 'level' AND coalesce(level, '') != '' "
            "AND (salary_min IS NOT NULL OR salary_max IS NOT NULL) GROUP BY level")


def _band_text() -> str:
    symbol = "(CASE b.currency WHEN 'USD' THEN '$' WHEN 'EUR' THEN '€' WHEN 'GBP' THEN '£' ELSE b.currency || ' ' END)"
    return (f"CASE WHEN b.band_min IS NULL THEN 'up to ' || {_money('b.band_max', symbol)} "
            f"WHEN b.band_max IS NULL OR b.open_ended THEN {_money('b.band_min', symbol)} || '+' "
            f"ELSE {_money('b.band_min', symbol)} || '–' || {_money('b.band_max', symbol)} END || '/yr'")


# Above when all of the posted range is above the band, below when all of it is under: the rule of
# matcher.fields.band_comparison. Open-ended bands ("$350K+") have no above.
VS_BAND_SQL = """CASE WHEN b.band_max IS NOT NULL AND NOT b.open_ended AND pay.low > b.band_max THEN 'above'
            WHEN b.band_min IS NOT NULL AND pay.high < b.band_min THEN 'below' ELSE 'within' END"""


def pay_vs_band_sql(profile_columns: set[str]) -> str:
    return f"""
SELECT p.title, p.lab, p.seniority AS level, {salary_sql()} AS salary, {_band_text()} AS band,
       {VS_BAND_SQL} AS vs_band,
       CAST(round(100.0 * CASE WHEN {VS_BAND_SQL} = 'above' THEN (pay.low - b.band_max) / b.band_max
                              WHEN {VS_BAND_SQL} = 'below' THEN (pay.high - b.band_min) / b.band_min
                              ELSE 0 END) AS INTEGER) AS pct_outside_band,
       pay.low AS yearly_low, pay.high AS yearly_high, b.band_min, b.band_max, p.salary_source, p.url, p.status,
       p.id AS posting_id
FROM postings p
JOIN (SELECT p.id, coalesce(p.salary_min, p.salary_max) * {YEARLY_FACTOR} AS low,
             coalesce(p.salary_max, p.salary_min) * {YEARLY_FACTOR} AS high
      FROM postings p WHERE coalesce(p.salary_min, p.salary_max) IS NOT NULL) AS pay ON pay.id = p.id
JOIN ({bands_sql(profile_columns)}) AS b
  ON b.level = p.seniority AND upper(coalesce(nullif(p.salary_currency, ''), 'USD')) = b.currency"""


STATIC_VIEWS: dict[str, str] = {
    "ranked_matches": f"""
SELECT m.rank, round(m.score, 3) AS score, p.title, p.lab, {salary_sql()} AS salary,
       {terms_sql()} AS matched_terms, p.url, nullif(p.location, '') AS location,
       nullif(p.workplace, '') AS workplace, nullif(p.seniority, '') AS seniority, l.category AS lab_category,
       p.status, CASE WHEN {IS_NEW_SQL} THEN 'new' ELSE '' END AS new, substr(p.first_seen, 1, 10) AS first_seen,
       m.profile, p.id AS posting_id
FROM matches m JOIN postings p ON p.id = m.posting_id LEFT JOIN labs l ON l.name = p.lab""",
    "postings_overview": f"""
SELECT p.title, p.lab, round(best.score, 3) AS best_score, best.profile AS best_profile, {salary_sql()} AS salary,
       p.url, nullif(p.location, '') AS location, nullif(p.workplace, '') AS workplace,
       nullif(p.seniority, '') AS seniority, nullif(p.employment_type, '') AS employment_type,
       l.category AS lab_category, p.status, CASE WHEN {IS_NEW_SQL} THEN 'new' ELSE '' END AS new,
       substr(p.first_seen, 1, 10) AS first_seen, substr(p.closed_at, 1, 10) AS closed_at, p.id AS posting_id
FROM postings p LEFT JOIN labs l ON l.name = p.lab
LEFT JOIN matches best ON best.rowid = (SELECT rowid FROM matches WHERE posting_id = p.id ORDER BY score DESC LIMIT 1)""",
    "labs_overview": """
SELECT n.name AS lab, l.title, l.category,
       (SELECT count(*) FROM postings p WHERE p.lab = n.name AND p.status != 'closed') AS open_postings,
       (SELECT count(*) FROM postings p WHERE p.lab = n.name AND p.status != 'closed'
          AND p.first_seen >= coalesce((SELECT max(r.started_at) FROM scrape_runs r
                                        WHERE r.lab = n.name AND r.status != 'running'), '')) AS new_postings,
       (SELECT count(*) FROM postings p WHERE p.lab = n.name AND p.status = 'closed'
          AND julianday(p.closed_at) >= julianday('now') - 30) AS closed_last_30_days,
       run.started_at AS last_scrape, run.status AS last_scrape_status, run.error AS last_scrape_error,
       l.homepage
FROM (SELECT name FROM labs UNION SELECT DISTINCT lab FROM postings) AS n
LEFT JOIN labs l ON l.name = n.name
LEFT JOIN scrape_runs run ON run.id = (SELECT max(id) FROM scrape_runs WHERE lab = n.name)""",
}


VIEW_NAMES = ("ranked_matches", "postings_overview", "pay_vs_band", "labs_overview")


def views_sql(db: sqlite_utils.Database) -> dict[str, str]:
    """Each view's SELECT; the pay view follows the columns the profiles table has (currency, open bands)."""
    found = {**STATIC_VIEWS, "pay_vs_band": pay_vs_band_sql(set(db["profiles"].columns_dict))}
    return {name: found[name].strip() for name in VIEW_NAMES}


# Each posting's best match is looked up per row by the views; this index makes that a seek (5x faster pages).
BEST_MATCH_INDEX = "idx_matches_posting_id_score"


def ensure_views(db: sqlite_utils.Database) -> None:
    """Create or update the browsing views; writes nothing when they are current, so any process may call it."""
    current = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type IN ('view', 'index')").fetchall())
    stale = {name: sql for name, sql in views_sql(db).items() if not (current.get(name) or "").endswith(f" AS {sql}")}
    if not stale and BEST_MATCH_INDEX in current:
        return
    with write_transaction(db):
        for name, sql in stale.items():
            db.create_view(name, sql, replace=True)
        db.execute(f"CREATE INDEX IF NOT EXISTS {BEST_MATCH_INDEX} ON matches (posting_id, score)")
