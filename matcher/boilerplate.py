"""Boilerplate learned from the labs themselves: paragraphs one company repeats across its postings.

A company's mission statement, benefits, equal-opportunity and AI-policy text come back, word for word, in
posting after posting of different roles; the paragraphs that say what the role is do not. At match time every
paragraph of every posting is hashed per company (the `company` column, else the lab); a paragraph is boilerplate
when it stands in postings of at least MIN_TITLES different titles making up at least MIN_SHARE of the
company's titles. Distinct titles, not postings, count: one role posted in five cities repeats its own role
text five times. Boilerplate paragraphs are moved under a boilerplate heading before vectorizing, so they
weigh as boilerplate (Settings.rest_weight) wherever they stood. Nothing is listed by hand.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from ..db import matching, queries
from .text import _looks_html, html_lines

MIN_TITLES = 3  # a paragraph of fewer distinct titles may be the role's own text, repeated by duplicates
MIN_SHARE = 0.5  # of the company's distinct titles: what most of its postings say is about the company
MIN_WORDS = 6  # shorter paragraphs (headings, "Python", "Remote") say too little to be called boilerplate
# A heading split_boilerplate reads as boilerplate ("company"): what follows it weighs as boilerplate.
HEADING = "\n\n**Company boilerplate**\n"


def paragraph_key(paragraph: str) -> int | None:
    """A paragraph as compared across postings (case and outer spaces evened out, hashed: the keys of a whole
    database are held at once); None when too short."""
    key = paragraph.strip().lower()
    return hash(key) if _long_enough(key) else None


def _long_enough(paragraph: str) -> bool:
    return paragraph.count(" ") >= MIN_WORDS - 1


def text_paragraphs(description: str) -> list[str]:
    """A description's paragraphs (separated by a blank line; an HTML description's blocks)."""
    if _looks_html(description):
        return html_lines(description).split("\n")
    return (description or "").split("\n\n")


def _keys(paragraphs: list[str]) -> list[int]:
    """paragraph_key of each paragraph, short ones included (callers check the length of the few that count).

    Built from C-level maps: this runs on every paragraph of every posting at each match."""
    return list(map(hash, map(str.strip, map(str.lower, paragraphs))))


def _long_keys(paragraphs: list[str]) -> set[int]:
    """The paragraph_key of each paragraph long enough to have one."""
    least = MIN_WORDS - 1  # _long_enough, inlined: this runs on every paragraph of every posting
    return {hash(key) for key in map(str.strip, map(str.lower, paragraphs)) if key.count(" ") >= least}


@dataclass
class Boilerplate:
    """The paragraphs each company repeats: {company: {paragraph key, ...}}."""

    paragraphs: dict[str, set[int]] = field(default_factory=dict)

    def found(self, company: str, description: str) -> list[str]:
        """The paragraphs of a description that are its company's boilerplate, as written."""
        repeated = self.paragraphs.get(company or "")
        if not repeated:
            return []
        paragraphs = text_paragraphs(description)
        return [paragraph.strip() for paragraph, key in zip(paragraphs, _keys(paragraphs), strict=True)
                if key in repeated and _long_enough(paragraph.strip())]

    def moved(self, company: str, description: str) -> str:
        """The description with its company's boilerplate paragraphs moved under a boilerplate heading at the end."""
        repeated = self.paragraphs.get(company or "")
        if not repeated or not description:
            return description
        paragraphs = text_paragraphs(description)
        keys = _keys(paragraphs)
        if repeated.isdisjoint(keys):
            return description
        role: list[str] = []
        boiler: list[str] = []
        for paragraph, key in zip(paragraphs, keys, strict=True):
            (boiler if key in repeated and _long_enough(paragraph.strip()) else role).append(paragraph)
        if not boiler:
            return description
        return "\n\n".join(role) + HEADING + "\n\n".join(boiler)


def learn(rows: Iterable[tuple[str, str, str]]) -> Boilerplate:
    """The boilerplate of (company, title, description) rows: paragraphs most of a company's titles repeat.

    Rows of companies with fewer than MIN_TITLES distinct titles may be left out by the caller (they
    cannot have boilerplate): db.matching.company_texts does so in SQL.
    """
    # company -> title -> the keys of its postings' paragraphs: a paragraph counts once per distinct title.
    seen: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for company, title, description in rows:
        seen[company or ""][(title or "").strip().lower()].update(_long_keys(text_paragraphs(description)))
    learned: dict[str, set[int]] = {}
    for company, titles in seen.items():
        needed = max(MIN_TITLES, MIN_SHARE * len(titles))
        if len(titles) < needed:
            continue
        spread = Counter(chain.from_iterable(titles.values()))  # key -> distinct titles holding it
        repeated = {key for key, count in spread.items() if count >= needed}
        if repeated:
            learned[company] = repeated
    return Boilerplate(learned)


def learn_lists(companies: list[str], titles: list[str], descriptions: list[str]) -> Boilerplate:
    """learn() over parallel lists, skipping the companies with too few distinct titles to have boilerplate."""
    distinct: dict[str, set[str]] = defaultdict(set)
    for company, title in zip(companies, titles, strict=True):
        distinct[company].add((title or "").strip().lower())
    return learn(row for row in zip(companies, titles, descriptions, strict=True)
                 if len(distinct[row[0]]) >= MIN_TITLES)


def company(row: dict) -> str:
    """Whose boilerplate a posting row shares: its company, else its lab."""
    return row.get("company") or row.get("lab") or ""


def posting_detail(db, key: str) -> dict[str, Any]:
    """`show`: queries.posting_detail with "boilerplate", the paragraphs its company repeats (learned now)."""
    posting = queries.posting_detail(db, key)
    who = company(posting)
    learned = learn(matching.one_company_texts(db, who))
    return {**posting, "boilerplate": learned.found(who, posting.get("description") or "")}
