"""The research signal: how much a posting reads as a research role rather than an engineering one.

Read from the title (research scientist, postdoc, PhD, research intern ... against software engineer,
developer, SWE ...; management and product titles are non-research and decide alone) and from what enrich.py
already extracted from the text (the degree asked for, the publication expectation, the venues named). A
research profile's score is multiplied by 1 + RESEARCH_WEIGHT x signal, an engineering profile's by
1 - RESEARCH_WEIGHT x signal: the signal only reorders postings that match the profile's topic (a posting
with cosine 0 stays at 0).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np

# How far the signal moves a score: a factor between 1 - w and 1 + w (0.2, 0.3, 0.4, 0.5 tried on the dev set;
# 0.5 since management titles are non-research: with 0.4 a speech manager stays 9th, above two research roles).
RESEARCH_WEIGHT = 0.5
# The title says more than the text: a research engineer asks for papers, a software engineer rarely does.
TITLE_SHARE, TEXT_SHARE = 0.6, 0.4
# Profile kinds whose default role is research (the built-in profiles from the research-roles snapshot).
RESEARCH_KINDS = ("overall", "skill", "area", "level")
# The title part of a management or product role: as far from research as a title goes; it alone decides.
MANAGEMENT = -1.0

# Managing or selling a product is not research, whatever the product: these titles are non-research even
# when they say "research" (a "Research Program Manager" runs a program; an "Engineering Manager" manages
# engineers). Their text part is not read either: the PhD or papers a manager's posting asks for describe
# whom the manager leads, not what the role does (see research_signal).
_FUNCTION_ROLES = (r"\b(?:product|program(?:me)?|project|engineering|account|marketing|sales|operations"
                   r"|community|partner(?:ship)?s?|delivery|release) (?:manager|management|owner|lead|director)\b"
                   r"|\bproduct owner\b|\btpm\b|\brecruit(?:er|ing)\b|\btalent\b|\bcustomer success\b"
                   r"|\bbusiness development\b")
# People management and leadership of a product area: manager, director, head of, VP, chief, a team/tech
# lead or a "Lead, <area>" / "<area> Lead" title. A title that names research as what it leads ("Research
# Manager", "Research Lead", "Head of Speech Research", "Director of Research") is decided earlier, by the
# "research" rule: leading researchers is a research-track role (hired from researchers, asks for a PhD
# and papers), so it keeps a research title's 0.8 and its text part.
_MANAGEMENT = (r"\bmanager\b|\bdirector\b|\bhead of\b|\bhead,|\bvp\b|\bvice president\b|\bchief\b"
               r"|\b(?:team|tech|technical|group) lead\b|^\s*lead\s*[,:\-\u2013]|\blead\s*(?:$|[,(/\-\u2013]|of\b|for\b)")
# Title words, strongest first; the first pattern that matches decides the title's part in [-1, 1]. Matched
# against the lower-cased title: a third faster than re.I (titles rarely repeat, so the cache misses).
_TITLE_RULES: tuple[tuple[re.Pattern[str], float], ...] = tuple((re.compile(p), v) for p, v in (
    (_FUNCTION_ROLES, MANAGEMENT),
    (r"\bresearch (?:scientist|fellow|intern(?:ship)?|associate|staff)\b|\bresearcher\b"
     r"|\bchercheur|\bchercheuse|\bpost[- ]?doc|\bpostdoctoral|\bph\.? ?d\b|\bdoctoral|\bdoctorant|\bth[e\u00e8]se\b"
     r"|\bstudent researcher\b|\bresearch scientist\b", 1.0),
    (r"\b(?:applied |machine learning |ml |research |senior |staff |principal )?scientist\b", 0.8),
    (r"\bresearch\b|\brecherche\b", 0.8),
    (_MANAGEMENT, MANAGEMENT),
    (r"\bsoftware engineer|\bsoftware developer|\bdeveloper\b|\bswe\b|\bdevops\b|\bsre\b|\bback[- ]?end\b"
     r"|\bfront[- ]?end\b|\bfull[- ]?stack\b|\bplatform engineer|\binfrastructure engineer|\bsoftware architect"
     r"|\bprogrammer\b|\bqa\b|\btest engineer", -1.0),
    (r"\bengineer(?:ing)?\b|\barchitect\b|\bconsultant\b|\btechnician\b", -0.5),
    (r"\bintern(?:ship)?\b|\bstage\b|\bstagiaire\b", 0.5),  # not an engineering internship: a study
))
_MANAGEMENT_WORDS = re.compile(f"{_FUNCTION_ROLES}|{_MANAGEMENT}", re.I)
_DEGREE = {"phd-required": 1.0, "phd-preferred": 0.6, "ms": 0.0}
_PUBLICATIONS = {"first-author": 1.0, "track-record": 1.0, "expected": 0.6}


@lru_cache(maxsize=16384)  # titles repeat (one role in several cities, a lab's standard titles)
def title_part(title: str) -> tuple[float, str]:
    """The title's part of the signal in [-1, 1], with the words that decided it (lower-cased; '' when none)."""
    title = (title or "").lower()
    for pattern, value in _TITLE_RULES:
        found = pattern.search(title)
        if found:
            return value, found.group(0).strip()
    return 0.0, ""


def is_management(words: str) -> bool:
    """Whether the words that decided a title are a management or product role's (not a software engineer's)."""
    return bool(words) and bool(_MANAGEMENT_WORDS.search(words))


def text_part(degree: str, publications: str, venues: str) -> float:
    """The text's part in [0, 1]: a PhD, papers and venues asked for are what research roles ask."""
    value = _DEGREE.get(degree or "", 0.0) + _PUBLICATIONS.get(publications or "", 0.0) + (0.5 if venues else 0.0)
    return min(1.0, value / 2.0)


def research_signal(row: Mapping[str, Any]) -> float:
    """How much a posting (title, degree, publications, venues) reads as research: -1 engineering .. 1 research."""
    title, words = title_part(row.get("title") or "")
    if title == MANAGEMENT and is_management(words):
        return MANAGEMENT  # a manager's posting: its degree and paper asks describe the team, not the role
    text = text_part(row.get("degree") or "", row.get("publications") or "", row.get("venues") or "")
    return max(-1.0, min(1.0, TITLE_SHARE * title + TEXT_SHARE * text))


def signals(rows: Iterable[Mapping[str, Any]]) -> np.ndarray:
    """The research signal of each row."""
    return np.fromiter((research_signal(row) for row in rows), dtype=float)


def profile_role(profile) -> str:
    """'research', 'engineering' or 'none': the profile's `role`, else research for the built-in kinds."""
    role = getattr(profile, "role", "") or ""
    if role:
        return role
    return "research" if profile.kind in RESEARCH_KINDS else "none"


def role_factors(research: np.ndarray, profiles: list, weight: float = RESEARCH_WEIGHT) -> np.ndarray:
    """Postings x profiles factors on the score: 1 + w x signal (research), 1 - w x signal (engineering), 1
    (none); research level profiles take only the negative side."""
    direction = np.array([{"research": 1.0, "engineering": -1.0}.get(profile_role(p), 0.0) for p in profiles])
    factors = 1.0 + weight * np.outer(research, direction)
    # Level profiles: the level fit decides between research roles (a research engineer is the
    # research-engineer profile's own level), so the signal only pushes engineering roles down there.
    for column, profile in enumerate(profiles):
        if profile.kind == "level" and direction[column] > 0:
            factors[:, column] = 1.0 + weight * np.minimum(research, 0.0)
    return factors


def role_label(signal: float, delta: float) -> list:
    """The explanation entry of a score's role adjustment: ["research role", 0.08, "role"] (shown "+0.08")."""
    return ["research role" if signal >= 0 else "engineering role", round(float(delta), 3), "role"]

