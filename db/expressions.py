"""SQL expressions the browsing views are written with: pay as text, matched terms, "new"."""

from __future__ import annotations


def money_sql(value: str, symbol: str) -> str:
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
            f"THEN {money_sql(lo, symbol)} || '–' || {money_sql(hi, symbol)} || {period} "
            f"ELSE {money_sql(f'coalesce({lo}, {hi})', symbol)} || {period} END")


def terms_sql(column: str = "m.terms", top: int = 8) -> str:
    """SQL turning the matcher's JSON [[term, share], ...] into 'term, term, ...' (first `top` terms); the role
    signal's entry [name, delta, "role"] reads 'research role +0.08'."""
    return (f"(SELECT group_concat(CASE WHEN j.type = 'array' AND json_extract(j.value, '$[2]') = 'role' "
            f"THEN json_extract(j.value, '$[0]') || printf(' %+.2f', json_extract(j.value, '$[1]')) "
            f"WHEN j.type = 'array' THEN json_extract(j.value, '$[0]') ELSE j.value END, "
            f"', ') FROM json_each(CASE WHEN json_valid({column}) THEN {column} ELSE '[]' END) AS j "
            f"WHERE j.key < {top})")


# "New" has the same meaning as `asr-jobs jobs --new`: first seen in the lab's latest finished scrape.
IS_NEW_SQL = ("p.status != 'closed' AND p.first_seen >= coalesce((SELECT max(r.started_at) FROM scrape_runs r "
              "WHERE r.lab = p.lab AND r.status != 'running'), '')")
