"""Which career system a URL or a careers page uses, and the adapter params that reach its board.

`from_url` reads the host and path alone (no request): the board URLs of Greenhouse, Ashby, Lever, Workable,
Workday, Eightfold, SmartRecruiters, Recruitee, Personio and Teamtailor, their API URLs and their embed URLs. `from_page` reads a company's own careers page:
embedded board scripts and iframes first (the board the page shows), then links to a board (the one linked
most often). A page with neither may still hold schema.org JobPostings: `jsonld_count` says how many.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from ..models import Lab

SYSTEMS = ("greenhouse", "ashby", "lever", "workable", "workday", "eightfold", "smartrecruiters", "recruitee", "personio",
           "teamtailor")
GREENHOUSE_HOSTS = {"boards.greenhouse.io", "job-boards.greenhouse.io", "boards.eu.greenhouse.io",
                    "job-boards.eu.greenhouse.io"}
LEVER_HOSTS = {"jobs.lever.co": "", "jobs.eu.lever.co": "eu", "api.lever.co": "", "api.eu.lever.co": "eu"}
# Eightfold PCSX sites on an employer's own host: the domain their search takes (the built-in labs' own).
EIGHTFOLD_HOSTS = {"apply.careers.microsoft.com": "microsoft.com", "hiring.jhu.edu": "jhu.edu"}
# Recruitee's own subdomains (its app, API, site and docs), not a company's careers site.
RECRUITEE_OWN_HOSTS = {"www", "app", "api", "careers", "docs", "support", "blog"}
_WORKDAY_HOST = re.compile(r"^([a-z0-9-]+)\.(wd\d+)\.myworkdayjobs\.com$", re.I)
_PERSONIO_HOST = re.compile(r"^([a-z0-9-]+)\.jobs\.personio\.(de|com)$", re.I)
_LOCALE = re.compile(r"^[a-z]{2}(-[a-z]{2,4})?$", re.I)
# Board URLs inside scripts (`Grnhse.Settings`, inline embed loaders) that are neither src nor href.
_BOARD_URL = re.compile(r"https?://[a-z0-9.-]*(?:greenhouse\.io|ashbyhq\.com|lever\.co|workable\.com|"
                        r"myworkdayjobs\.com|eightfold\.ai|smartrecruiters\.com|recruitee\.com|teamtailor\.com|"
                        r"jobs\.personio\.(?:de|com))/[^\s\"'<>\\)]*", re.I)


@dataclass(frozen=True)
class Detected:
    """A career system found: its adapter, the params reaching the board, a name for the lab, and how it was found."""

    adapter: str
    params: dict[str, Any] = field(default_factory=dict)
    slug: str = ""
    how: str = ""


def from_url(url: str) -> Detected | None:
    """The board a URL points at, from its host and path alone; None when it names no supported system."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    segments = [unquote(s) for s in parts.path.split("/") if s]
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if v}
    for reader in (_greenhouse, _ashby, _lever, _workable, _workday, _eightfold, _smartrecruiters, _recruitee, _personio,
                   _teamtailor):
        found = reader(host, segments, query)
        if found is not None:
            return found
    return None


def _greenhouse(host: str, segments: list[str], query: dict[str, str]) -> Detected | None:
    if host == "boards-api.greenhouse.io" and len(segments) >= 3 and segments[:2] == ["v1", "boards"]:
        return _board("greenhouse", {"token": segments[2]}, segments[2])
    if host not in GREENHOUSE_HOSTS:
        return None
    if segments[:1] == ["embed"]:  # embed/job_board?for=TOKEN, embed/job_board/js?for=TOKEN, embed/job_app?for=
        token = query.get("for", "")
        return _board("greenhouse", {"token": token}, token) if token else None
    return _board("greenhouse", {"token": segments[0]}, segments[0]) if segments else None


def _ashby(host: str, segments: list[str], query: dict[str, str]) -> Detected | None:
    if host == "api.ashbyhq.com" and len(segments) >= 3 and segments[:2] == ["posting-api", "job-board"]:
        return _board("ashby", {"board": segments[2]}, segments[2])
    if host == "jobs.ashbyhq.com" and segments and segments[0] != "api":
        return _board("ashby", {"board": segments[0]}, segments[0])
    return None


def _lever(host: str, segments: list[str], query: dict[str, str]) -> Detected | None:
    if host not in LEVER_HOSTS:
        return None
    if host.startswith("api."):
        segments = segments[2:] if segments[:2] == ["v0", "postings"] else []
    if not segments:
        return None
    region = LEVER_HOSTS[host]
    params = {"company": segments[0], **({"region": region} if region else {})}
    return _board("lever", params, segments[0])


def _workable(host: str, segments: list[str], query: dict[str, str]) -> Detected | None:
    if host != "apply.workable.com" or not segments:
        return None
    if segments[0] == "api":  # api/v1/widget/accounts/ACCOUNT, api/v3/accounts/ACCOUNT/jobs
        account = next((segments[i + 1] for i, s in enumerate(segments[:-1]) if s == "accounts"), "")
        return _board("workable", {"account": account}, account) if account else None
    if segments[0] in ("j", "embed"):
        return None  # a job's own short link or the embed loader: no account in the path
    return _board("workable", {"account": segments[0]}, segments[0])


def _workday(host: str, segments: list[str], query: dict[str, str]) -> Detected | None:
    match = _WORKDAY_HOST.match(host)
    if not match:
        return None
    tenant, wd = match.group(1), match.group(2).lower()
    if segments[:2] == ["wday", "cxs"] and len(segments) >= 4:
        site = segments[3]
    else:
        rest = segments[1:] if segments and _LOCALE.match(segments[0]) else segments
        site = rest[0] if rest else ""
    if not site or site in ("job", "details"):
        return None
    return Detected("workday", {"tenant": tenant, "host": wd, "site": site}, tenant, "the URL's host and path")


def _eightfold(host: str, segments: list[str], query: dict[str, str]) -> Detected | None:
    if not (host.endswith(".eightfold.ai") or host in EIGHTFOLD_HOSTS):
        return None
    domain = query.get("domain") or EIGHTFOLD_HOSTS.get(host, "")
    if not domain:
        return None
    return Detected("eightfold", {"host": host, "domain": domain}, domain.split(".")[0], "the URL's host and path")


def _smartrecruiters(host: str, segments: list[str], query: dict[str, str]) -> Detected | None:
    if host == "api.smartrecruiters.com" and len(segments) >= 3 and segments[:2] == ["v1", "companies"]:
        return _board("smartrecruiters", {"company": segments[2]}, segments[2])
    if host in ("jobs.smartrecruiters.com", "careers.smartrecruiters.com") and segments:
        return _board("smartrecruiters", {"company": segments[0]}, segments[0])
    return None


def _recruitee(host: str, segments: list[str], query: dict[str, str]) -> Detected | None:
    company = host.removesuffix(".recruitee.com")
    if company == host or "." in company or company in RECRUITEE_OWN_HOSTS:
        return None
    return _board("recruitee", {"company": company}, company)


def _personio(host: str, segments: list[str], query: dict[str, str]) -> Detected | None:
    """COMPANY.jobs.personio.de (or .com): the careers site, its /job/ID pages and its /xml feed."""
    found = _PERSONIO_HOST.match(host)
    if found is None:
        return None
    params = {"company": found[1], **({"domain": "com"} if found[2] == "com" else {})}
    return _board("personio", params, found[1])


# Teamtailor's own hosts that are no career site.
TEAMTAILOR_HOSTS = {"teamtailor.com", "www.teamtailor.com", "api.teamtailor.com", "app.teamtailor.com",
                    "career.teamtailor.com", "support.teamtailor.com", "docs.teamtailor.com"}


def _teamtailor(host: str, segments: list[str], query: dict[str, str]) -> Detected | None:
    """COMPANY.teamtailor.com takes params.company; a longer host (COMPANY.career.teamtailor.com, COMPANY.na.
    teamtailor.com) is kept whole as params.host."""
    if not host.endswith(".teamtailor.com") or host in TEAMTAILOR_HOSTS or host.startswith("api."):
        return None
    company = host.split(".")[0]
    params = {"company": company} if host.count(".") == 2 else {"host": host}
    return _board("teamtailor", params, company)


def _board(adapter: str, params: dict[str, Any], slug: str) -> Detected:
    return Detected(adapter, params, slug, "the URL's host and path")


def eightfold_without_domain(url: str) -> bool:
    """Whether a URL is on an Eightfold host but says no `domain` (which the search needs)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return host.endswith(".eightfold.ai") and "domain" not in parse_qs(parts.query)


def from_page(html: str, page_url: str) -> Detected | None:
    """The board a careers page embeds (scripts, iframes) or, failing that, links to most often; None if neither."""
    tree = LexborHTMLParser(html)
    embedded = [node.attributes.get("src") or "" for node in tree.css("script[src], iframe[src]")]
    embedded += _BOARD_URL.findall(" ".join(node.text() or "" for node in tree.css("script:not([src])")))
    found = _first_board(embedded, page_url)
    if found is not None:
        return Detected(found.adapter, found.params, found.slug, "a board embedded in the page (script or iframe)")
    linked = [node.attributes.get("href") or "" for node in tree.css("a[href], link[href]")]
    boards = [b for link in linked if (b := from_url(urljoin(page_url, link))) is not None]
    if not boards:
        return None
    counts = Counter((b.adapter, tuple(sorted(b.params.items()))) for b in boards)
    best = next(b for b in boards if (b.adapter, tuple(sorted(b.params.items()))) == counts.most_common(1)[0][0])
    return Detected(best.adapter, best.params, best.slug, "links on the page to a board")


def _first_board(urls: list[str], page_url: str) -> Detected | None:
    for url in urls:
        found = from_url(urljoin(page_url, url.strip()))
        if found is not None:
            return found
    return None


def jsonld_count(html: str, page_url: str, lab: Lab) -> int:
    """How many schema.org JobPostings the page holds (0 when none)."""
    from .adapters.jsonld import postings_from_html

    return len(postings_from_html(html, lab, page_url))


def slug_of(text: str) -> str:
    """A lab name from a board name: lower case letters, digits and hyphens ('Rox Data Corp' -> 'rox-data-corp')."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
