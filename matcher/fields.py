"""Fields read from a posting's text: seniority, pay, degree and venues."""

from __future__ import annotations

import re
from typing import Any

from ..scrapers.base import Posting

# Ordered: the first pattern that matches the title decides; the description is a fallback.
SENIORITY_PATTERNS: list[tuple[str, str]] = [
    ("intern", r"\bintern(ship)?s?\b|\bco-?op\b"),
    ("student-researcher", r"\bstudent researcher\b|\bph\.?d\.? (student|candidate|researcher)\b|\bpredoctoral\b|\bpre-doctoral\b|\bresidency\b|\bresident\b"),
    ("postdoc", r"\bpost-?doc(toral)?\b|\bpost-doc\b"),
    ("manager", r"\b(manager|head of|director|lead(er)? of)\b"),
    ("principal-staff", r"\b(principal|staff|distinguished|fellow)\b"),
    ("senior", r"\b(senior|sr\.?|lead)\b"),
    ("research-scientist", r"\b(research scientist|scientist|researcher)\b"),
    ("research-engineer", r"\b(research engineer|engineer|developer)\b"),
]


def seniority(title: str, description: str = "") -> str:
    """The level a posting is for, from its title first, else ''."""
    for level, pattern in SENIORITY_PATTERNS:
        if re.search(pattern, title, re.I):
            return level
    return ""


_AMOUNT = r"\$?\s?(\d{1,3}(?:[,.]\d{3})+|\d+(?:\.\d+)?)\s?([kK])?"
_RANGE = re.compile(
    rf"(?P<cur>[$€£])\s?(?P<lo>\d{{1,3}}(?:[,.]\d{{3}})+|\d+(?:\.\d+)?)\s?(?P<lok>[kK])?\s*(?:-|–|—|to)\s*"
    rf"[$€£]?\s?(?P<hi>\d{{1,3}}(?:[,.]\d{{3}})+|\d+(?:\.\d+)?)\s?(?P<hik>[kK])?(?P<tail>[^\n]{{0,40}})"
)
CURRENCIES = {"$": "USD", "€": "EUR", "£": "GBP"}


def _number(text: str, k: str | None) -> float:
    value = float(text.replace(",", "")) if text.count(".") <= 1 and "," in text or "." not in text else float(text.replace(".", ""))
    return value * 1000 if k else value


def salary_from_text(text: str) -> dict[str, Any] | None:
    """The first pay range in a text, as yearly or hourly min/max with currency, or None."""
    for match in _RANGE.finditer(text or ""):
        lo = _number(match["lo"], match["lok"] or match["hik"])
        hi = _number(match["hi"], match["hik"])
        tail = match["tail"].lower()
        period = "hour" if re.search(r"(per|an|/)\s?(hour|hr)\b|hourly", tail) else "year"
        if period == "year" and hi < 1000:
            continue  # "$5 - $10" is not a salary
        if lo > hi:
            lo, hi = hi, lo
        return {"salary_min": lo, "salary_max": hi, "salary_currency": CURRENCIES[match["cur"]], "salary_period": period}
    return None


def posting_fields(posting: Posting) -> dict[str, Any]:
    """Columns derived from a posting's text, stored beside what the site gave."""
    fields: dict[str, Any] = {"seniority": seniority(posting.title, posting.description)}
    if posting.salary_min is None and posting.salary_max is None:
        pay = salary_from_text(posting.description)
        if pay:
            fields.update(pay, salary_source="text")
    return fields
