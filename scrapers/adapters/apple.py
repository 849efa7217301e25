"""Apple careers (jobs.apple.com): a CSRF handshake, a paged JSON search per query, a detail per new posting."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

from ...models import Lab, ParseError, Posting, ScrapeError
from ..details import Listed, fetch_details
from ..fetch import LabContext
from ..html_text import html_to_text
from ..paging import Page, Totals, each, read_listing
from ..parsing import as_list, clean, load_json, require

BASE_URL = "https://jobs.apple.com"
PUBLIC_URL = "https://jobs.apple.com"  # job pages for humans stay on the real site when base_url points at a mirror
PAGE_SIZE = 20  # fixed by the search API
MAX_PAGES = 10  # per query; params.max_pages overrides
# Apple answers about one valid search in five with {"searchResults": [], "totalRecords": 0} (and every malformed
# one): a page 1 saying 0 is asked again this many times before the query is given up as unread (never "no jobs").
EMPTY_RETRIES = 4
# Page 1's totalRecords counts rows (one per location); later pages may say 0. A complete listing has that many.
PAGING = Totals(PAGE_SIZE, first_only=True, unit="rows")
# The search answers an empty result set when the body lacks `format` (reported by public scrapers).
DATE_FORMAT = {"longDate": "MMMM D, YYYY", "mediumDate": "MMM D, YYYY"}
SECTIONS = (
    ("jobSummary", ""),
    ("description", "Description"),
    ("responsibilities", "Responsibilities"),
    ("minimumQualifications", "Minimum Qualifications"),
    ("preferredQualifications", "Preferred Qualifications"),
)
LIST_SECTIONS = frozenset({"responsibilities", "minimumQualifications", "preferredQualifications"})


def base_url(lab) -> str:
    return str(lab.params.get("base_url", BASE_URL)).rstrip("/")


def locale(lab) -> str:
    return str(lab.params.get("locale", "en-us")).lower()


def locale_headers(lab) -> dict[str, str]:
    """The locale headers Apple's own pages send (`browserlocale: en-us`, `locale: EN_US`)."""
    value = locale(lab)
    return {"browserlocale": value, "locale": value.replace("-", "_").upper()}


def request_headers(lab) -> dict[str, str]:
    """What every request sends besides the lab's own headers (which win): the locale headers, and the search
    page as Referer (the API answers 404 without it) and Origin, as Apple's search page sends them."""
    own = {**locale_headers(lab), "Referer": f"{PUBLIC_URL}/{locale(lab)}/search", "Origin": PUBLIC_URL}
    set_by_lab = {name.lower() for name in lab.headers}
    return {name: value for name, value in own.items() if name.lower() not in set_by_lab}


def search_body(lab, query: str, page: int) -> dict[str, Any]:
    """The JSON body of POST /api/v1/search; team and location filters only when the lab sets them."""
    filters: dict[str, Any] = {}
    teams = lab.params.get("teams") or []
    if teams:
        filters["teams"] = [_team_filter(code) for code in teams]
    locations = lab.params.get("locations") or []
    if locations:
        filters["locations"] = list(locations)
    return {"query": query, "filters": filters, "page": page, "locale": locale(lab), "sort": "newest",
            "format": dict(DATE_FORMAT)}


def _team_filter(code: str) -> dict[str, str]:
    """"teamsAndSubTeams-MLAI" or "teamsAndSubTeams-MLAI/subTeam-NLP" as a search filter entry."""
    team, _, sub_team = str(code).partition("/")
    return {"team": team, "subTeam": sub_team} if sub_team else {"team": team}


async def scrape(ctx: LabContext) -> list[Posting]:
    base = base_url(ctx.lab)
    headers = await session_headers(ctx, base)
    # Queries are independent: all are requested at once (the host gate keeps the lab's limits).
    found = await each(ctx.lab.queries or [""], lambda query: _search(ctx, base, headers, query))
    rows = [row for query_rows in found for row in query_rows]
    listed = [Listed(p, p.extra["listing_key"]) for p in postings_from_rows(rows, ctx.lab)]
    return await fetch_details(ctx, listed, lambda item: _detail(ctx, headers, item.posting))


async def probe(ctx: LabContext) -> int | None:
    """The CSRF handshake and page 1 of the lab's first query: the totalRecords Apple reports for it."""
    base = base_url(ctx.lab)
    headers = await session_headers(ctx, base)
    query = (ctx.lab.queries or [""])[0]
    url = f"{base}/api/v1/search"
    rows, total = await _first_page(ctx, url, headers, query)
    if not rows and not total:
        raise ParseError(ctx.name, url, f"res.totalRecords is 0 on {EMPTY_RETRIES + 1} tries for query {query!r}: "
                                        "check the search body (format, filters) before reading this as no jobs")
    return total


async def session_headers(ctx: LabContext, base: str) -> dict[str, str]:
    """The headers of every search and detail request: request_headers, and the CSRF token when Apple gives one."""
    headers = request_headers(ctx.lab)
    token = await csrf_token(ctx, base)
    return {**headers, "x-apple-csrf-token": token} if token else headers


async def csrf_token(ctx: LabContext, base: str) -> str | None:
    """The session's CSRF token (the httpx client keeps the cookies that come with it), or None with a warning:
    the search answers without one, so a handshake Apple changed or dropped does not stop the lab."""
    url = f"{base}/api/v1/CSRFToken"
    try:
        # no-store: the token (a response header) must be fresh, never a stored answer revalidated by a 304.
        response = await ctx.send("GET", url, headers={**request_headers(ctx.lab), "Cache-Control": "no-store"})
    except ScrapeError as exc:
        if exc.status is None:
            raise  # no answer at all: the search would not answer either
        ctx.warn(f"no CSRF token ({exc.reason} from {url}): searching without one")
        return None
    token = response.headers.get("x-apple-csrf-token")
    if not token:
        ctx.warn(f"no x-apple-csrf-token header in the answer of {url}: searching without one")
    return token or None


async def _first_page(ctx: LabContext, url: str, headers: dict[str, str], query: str) -> tuple[list[dict], int]:
    """Page 1 of a query, asked again (EMPTY_RETRIES times at most) while it says totalRecords 0."""
    for _ in range(EMPTY_RETRIES + 1):
        body = search_body(ctx.lab, query, 1)
        rows, total = parse_search((await ctx.send("POST", url, json=body, headers=headers)).content, ctx.lab, url)
        if rows or total:
            break
    return rows, total


async def _search(ctx: LabContext, base: str, headers: dict[str, str], query: str) -> list[dict]:
    """All result rows of one query; once page 1 tells totalRecords, the other pages are requested at once."""
    url = f"{base}/api/v1/search"
    max_pages = int(ctx.param("max_pages", MAX_PAGES))

    async def page(index: int) -> tuple[list[dict], int]:
        if index == 0:
            return await _first_page(ctx, url, headers, query)
        body = search_body(ctx.lab, query, index + 1)
        return parse_search((await ctx.send("POST", url, json=body, headers=headers)).content, ctx.lab, url)

    first = await page(0)
    if not first[0] and not first[1]:
        ctx.warn(f"query {query!r}: page 1 said totalRecords 0 on {EMPTY_RETRIES + 1} tries (Apple answers "
                 "that to about one search in five): not read as no jobs; nothing closed this run")
        ctx.partial = True
        return []

    async def checked(index: int) -> Page[list[dict]]:
        rows, total = first if index == 0 else await page(index)
        return Page(f"{url} (page {index + 1})", [str(row.get("id") or position_id(row)) for row in rows], total, rows)

    return [row for rows in await read_listing(ctx, f"query {query!r}", checked, PAGING, max_pages) for row in rows]


async def _detail(ctx: LabContext, headers: dict[str, str], posting: Posting) -> Posting | None:
    """The posting completed from its jobDetails; None (and reported gone) when that answers 404."""
    url = detail_route(ctx.lab, posting)
    response = await ctx.detail(posting.source_id, url, headers=headers)
    if response is None:
        return None
    return apply_detail(posting, detail_res(response.content, ctx.lab, url))


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """Postings of a search response (`res.searchResults`) or of one jobDetails response (`res` object)."""
    res = _res(load_json(body, lab.name, url), lab, url)
    if "searchResults" in res:
        rows, _ = _search_rows(res, lab, url)
        return postings_from_rows(rows, lab, url)
    return [detail_posting(_checked_detail(res, lab, url), lab, url)]


def parse_search(body: bytes | str, lab, url: str) -> tuple[list[dict], int]:
    """The checked result rows of one search page and the query's totalRecords."""
    return _search_rows(_res(load_json(body, lab.name, url), lab, url), lab, url)


def _search_rows(res: dict, lab, url: str) -> tuple[list[dict], int]:
    results = require(res, "searchResults", list, lab.name, url)
    total = res.get("totalRecords", len(results))
    if not isinstance(total, int) or isinstance(total, bool):
        raise ParseError(lab.name, url, f"res.totalRecords should be a number, got {type(total).__name__}")
    for index, row in enumerate(results):
        _check_row(row, f"res.searchResults[{index}]", lab, url)
    return results, total


def _res(data: Any, lab, url: str) -> dict:
    if isinstance(data, dict) and "res" not in data and data.get("error"):
        raise ParseError(lab.name, url, f"Apple answered an error: {data['error']!r}")
    return require(data, "res", dict, lab.name, url)


def _check_row(row: Any, where: str, lab, url: str) -> None:
    if not isinstance(row, dict):
        raise ParseError(lab.name, url, f"{where} is {type(row).__name__}, not an object")
    if not (row.get("positionId") or row.get("id")):
        raise ParseError(lab.name, url, f"{where} has no 'positionId'")
    if not isinstance(row.get("postingTitle"), str) or not row["postingTitle"].strip():
        raise ParseError(lab.name, url, f"{where} has no 'postingTitle'")


def position_id(row: dict) -> str:
    """The posting's id; a row per location shares it (`id` is "<positionId>-<location code>")."""
    return str(row.get("positionId") or str(row["id"]).split("-")[0])


def postings_from_rows(rows: list[dict], lab, url: str = "") -> list[Posting]:
    """One posting per positionId, in first-seen order; a posting listed once per location is merged."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(position_id(row), []).append(row)
    return [_posting(group, lab) for group in groups.values()]


def _posting(rows: list[dict], lab) -> Posting:
    first = rows[0]
    source_id = position_id(first)
    title = clean(first["postingTitle"])
    locations = _unique(_location(loc) for row in rows for loc in as_list(row.get("locations")))
    ids = _unique(str(row["id"]) for row in rows if row.get("id"))
    posted = first.get("postDateInGMT")
    team = first.get("team")
    summary = first.get("jobSummary")
    extra: dict[str, Any] = {"listing_key": "|".join([title, str(posted or ""), *sorted(locations)])}
    if ids:
        extra["ids"] = ids
    if first.get("type"):
        extra["type"] = str(first["type"])
    return Posting(
        lab=lab.name,
        source_id=source_id,
        title=title,
        url=public_url(lab, source_id, first.get("transformedPostingTitle"), title),
        description=html_to_text(summary) if isinstance(summary, str) else "",
        location="; ".join(locations),
        team=clean(team.get("teamName")) if isinstance(team, dict) else "",
        workplace="remote" if any(row.get("homeOffice") is True for row in rows) else "",
        posted_at=iso_date(posted),
        company="Apple",
        extra=extra,
    )


def public_url(lab, source_id: str, slug: Any, title: str) -> str:
    slug = slug if isinstance(slug, str) and slug else re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return f"{PUBLIC_URL}/{locale(lab)}/details/{quote(source_id, safe='')}/{quote(slug, safe='-')}"


def _location(loc: Any) -> str:
    if not isinstance(loc, dict):
        return ""
    name = clean(loc.get("name")) or clean(loc.get("city"))
    country = clean(loc.get("countryName"))
    return f"{name}, {country}" if name and country and country != name else name or country


def detail_res(body: bytes | str, lab, url: str) -> dict:
    """The `res` object of a jobDetails response, checked for the fields a posting needs."""
    return _checked_detail(_res(load_json(body, lab.name, url), lab, url), lab, url)


def _checked_detail(res: dict, lab, url: str) -> dict:
    if not any(isinstance(res.get(key), str) for key, _ in SECTIONS):
        raise ParseError(lab.name, url, f"res has none of {', '.join(k for k, _ in SECTIONS)} "
                                        f"(keys: {', '.join(sorted(res)[:12])})")
    return res


def detail_text(res: dict) -> str:
    """Summary, description, responsibilities and qualifications (as '- ' items), then pay footers."""
    parts: list[str] = []
    seen: set[str] = set()
    for key, heading in SECTIONS:
        value = res.get(key)
        text = html_to_text(value) if isinstance(value, str) else ""
        if not text or text in seen:
            continue
        seen.add(text)
        if key in LIST_SECTIONS:
            text = "\n".join(line if line.startswith("- ") else f"- {line}" for line in text.splitlines() if line)
        parts.append(f"{heading}\n{text}" if heading else text)
    parts.extend(text for text in _footers(res) if text not in seen)
    return "\n\n".join(parts)


def _footers(res: dict) -> list[str]:
    """Footer texts (pay ranges by location): postingFooters[].localizations.{locale}[].content."""
    texts: list[str] = []
    for footer in as_list(res.get("postingFooters")):
        localizations = footer.get("localizations") if isinstance(footer, dict) else None
        for items in (localizations or {}).values() if isinstance(localizations, dict) else ():
            for item in as_list(items):
                content = item.get("content") if isinstance(item, dict) else None
                text = html_to_text(content) if isinstance(content, str) else ""
                if text and text not in texts:
                    texts.append(text)
    return texts


def apply_detail(posting: Posting, res: dict) -> Posting:
    """The search result completed with the detail's full text (and what the search lacked)."""
    teams = [clean(t) for t in as_list(res.get("teamNames")) if isinstance(t, str)]
    return dataclasses.replace(
        posting,
        description=detail_text(res) or posting.description,
        team=posting.team or ", ".join(t for t in teams if t),
        workplace="remote" if res.get("homeOffice") is True else posting.workplace,
        posted_at=posting.posted_at or iso_date(res.get("postDateInGMT")),
        extra=dict(posting.extra),
    )


def detail_posting(res: dict, lab, url: str) -> Posting:
    """A posting from a jobDetails response alone (no search result to start from)."""
    if not (res.get("positionId") or res.get("id")) or not isinstance(res.get("postingTitle"), str):
        raise ParseError(lab.name, url, "res has no 'positionId' and 'postingTitle'")
    source_id = str(res.get("positionId") or str(res["id"]).removeprefix("REQ-"))
    title = clean(res["postingTitle"])
    locations = _unique(_location(loc) for loc in as_list(res.get("locations")))
    base = Posting(lab=lab.name, source_id=source_id, title=title,
                   url=public_url(lab, source_id, res.get("transformedPostingTitle"), title),
                   location="; ".join(locations), company="Apple")
    return apply_detail(base, res)


def iso_date(value: Any) -> str | None:
    """Apple's "2026-09-27T01:01:18.561Z" as ISO 8601 to the second, in UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip()).isoformat(timespec="seconds")
    except ValueError:
        return None


def detect(data: Any, url: str = "") -> bool:
    if "jobs.apple.com" in url:
        return True
    res = data.get("res") if isinstance(data, dict) else None
    if not isinstance(res, dict):
        return False
    results = res.get("searchResults")
    if isinstance(results, list):
        return not results or (isinstance(results[0], dict) and "postingTitle" in results[0])
    return "postingTitle" in res and "positionId" in res



def _unique(values) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def detail_route(lab: Lab, posting: Posting) -> str:
    """GET jobDetails of the position in the lab's locale: description sections and pay."""
    return f"{base_url(lab)}/api/v1/jobDetails/{quote(posting.source_id, safe='')}?locale={locale(lab)}"
