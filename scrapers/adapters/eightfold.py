"""Eightfold PCSX career sites (Microsoft, JHU): search pages of 10 per query, then one detail per new or changed position.

Requests carry the careers page as `Referer` (as public PCSX clients send it). A 429 or 403 is answered once per
run by bootstrapping a session: GET the careers page, read its `<meta name="_csrf">`, and send that token as
`X-CSRF-Token` from then on (the session's cookies stay in the client's jar). Eightfold's firewall (AWS WAF)
answering 405 with `x-amzn-waf-action: captcha` is a block, reported as such: the lab fails with nothing
closed, and the next run tries again.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from ...models import Lab, ParseError, Posting, ScrapeError
from ..details import Listed, fetch_details, listing_match
from ..fetch import GONE_STATUSES, LabContext
from ..html_text import html_to_text, safe_url
from ..paging import Page, Totals, each, read_listing
from ..parsing import clean, iso_from_epoch, load_json, require

PAGE_SIZE = 10  # fixed by the API; it ignores larger page sizes
CAREERS_PATH = "/careers?hl=en"  # the page a browser searches from: the Referer, and the session's bootstrap
CSRF_META = re.compile(r"""<meta\s+(?:name=["']_csrf["']\s+content=["']([^"']+)["']|content=["']([^"']+)["']\s+name=["']_csrf["'])""",
                       re.I)
SESSION_STATUSES = frozenset({403, 429})  # answered once per run by bootstrapping a session
FIREWALL_STATUS = 405
DEFAULT_MAX_PAGES = 10  # per query, newest first: 100 positions
# Every page says `count`, the query's whole count; a complete listing has exactly that many positions.
PAGING = Totals(PAGE_SIZE, unit="positions")
# Statuses whose body says why (e.g. {"message": "Not authorized for PCSX"}); retrying does not help them.
ERROR_STATUSES = frozenset({400, 401, 403, 404})
WORKPLACES = {"onsite": "onsite", "on-site": "onsite", "hybrid": "hybrid", "remote": "remote", "remote_local": "remote"}
_INTERN = re.compile(r"\bintern(ship)?s?\b", re.I)
# The older /api/apply/v2/jobs records, renamed to the PCSX keys they correspond to.
V2_KEYS = {"id": "id", "name": "name", "locations": "locations", "location": "location", "department": "department",
           "work_location_option": "workLocationOption", "t_create": "postedTs", "t_update": "updatedTs",
           "display_job_id": "displayJobId", "canonicalPositionUrl": "publicUrl", "job_description": "jobDescription"}


def params(lab) -> tuple[str, str]:
    """(host, domain) of a lab, or a ParseError naming what is missing."""
    missing = [k for k in ("host", "domain") if not lab.params.get(k)]
    if missing:
        raise ParseError(lab.name, "", f"an eightfold lab needs params {', '.join(missing)}")
    return lab.params["host"], lab.params["domain"]


def api_base(lab) -> str:
    """https://{host}, or params.base_url."""
    host, _ = params(lab)
    return lab.params.get("base_url", f"https://{host}").rstrip("/")


def search_url(lab, query: str, start: int) -> str:
    _, domain = params(lab)
    query_string = urlencode({"domain": domain, "query": query, "start": start, "sort_by": "timestamp"})
    return f"{api_base(lab)}/api/pcsx/search?{query_string}"


def careers_url(lab) -> str:
    """The careers page on the lab's API host (where a browser's search runs)."""
    return api_base(lab) + CAREERS_PATH


def detail_url(lab, position_id: str) -> str:
    _, domain = params(lab)
    query_string = urlencode({"position_id": position_id, "domain": domain, "hl": "en"})
    return f"{api_base(lab)}/api/pcsx/position_details?{query_string}"


class Session:
    """One lab run's requests: the careers page as Referer, and the CSRF token once a session is bootstrapped."""

    def __init__(self, lab):
        self.headers = {"Referer": careers_url(lab), "Accept": "application/json, text/plain, */*"}
        self.bootstrapped = False  # tried already this run (whether a token came back or not)
        self._lock = asyncio.Lock()

    async def bootstrap(self, ctx: LabContext) -> None:
        """GET the careers page once and keep its `_csrf` token (concurrent callers wait for the one request)."""
        async with self._lock:
            if self.bootstrapped:
                return
            self.bootstrapped = True
            page = careers_url(ctx.lab)
            try:
                if not await ctx.allowed(page, listing=False):
                    return
                response = await ctx.send("GET", page, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
            except ScrapeError as exc:  # best effort: the request is asked again without a token
                ctx.warn(f"{ctx.name}: no session from {page} ({exc.reason}): asking again without a token")
                return
            found = CSRF_META.search(response.text)
            if found is None:
                ctx.warn(f"{ctx.name}: no <meta name=\"_csrf\"> on {page}: asking again without a token")
                return
            self.headers = {**self.headers, "X-CSRF-Token": found.group(1) or found.group(2)}

    async def get(self, ctx: LabContext, url: str, allowed: frozenset[int]) -> httpx.Response:
        """GET with the session's headers; a first 429/403 bootstraps the session and asks again.

        Statuses in `allowed` come back to the caller; a firewall block raises ScrapeError(kind="firewall").
        """
        answered = allowed | {FIREWALL_STATUS} | (SESSION_STATUSES if not self.bootstrapped else frozenset())
        response = await ctx.send("GET", url, ok_statuses=answered, headers=self.headers)
        firewall_check(ctx, url, response)
        if response.status_code == 429:
            ctx.stats.rate_limited = True  # as when the fetcher retries one: this run closes nothing
        if needs_session(ctx, url, response) and not self.bootstrapped:
            await self.bootstrap(ctx)
            # Asked again: a 429 now goes through the fetcher's backoff and retries.
            response = await ctx.send("GET", url, ok_statuses=allowed | {FIREWALL_STATUS}, headers=self.headers)
            firewall_check(ctx, url, response)
        elif response.status_code == 429:  # another request bootstrapped meanwhile: ask again, with backoff
            response = await ctx.send("GET", url, ok_statuses=allowed | {FIREWALL_STATUS}, headers=self.headers)
            firewall_check(ctx, url, response)
        return response


def needs_session(ctx: LabContext, url: str, response: httpx.Response) -> bool:
    """A 429, or a 403 that is not the tenant's own refusal of PCSX (which no session changes)."""
    if response.status_code not in SESSION_STATUSES:
        return False
    if response.status_code == 429:
        return True
    try:
        message = _message(load_json(response.content, ctx.name, url))
    except ParseError:
        message = ""
    return "pcsx" not in message.lower()


def firewall_check(ctx: LabContext, url: str, response: httpx.Response) -> None:
    """Raise ScrapeError(kind="firewall") for a firewall's block (AWS WAF: 405 + x-amzn-waf-action: captcha)."""
    if response.status_code != FIREWALL_STATUS:
        return
    action = response.headers.get("x-amzn-waf-action", "").strip().lower()
    if action in ("captcha", "challenge", "block"):
        raise ScrapeError(ctx.name, url, f"blocked by the site's firewall (HTTP 405, x-amzn-waf-action: {action}); "
                          "nothing is closed, the next run tries again", status=FIREWALL_STATUS, kind="firewall")
    raise _http_error(ctx.lab, url, FIREWALL_STATUS, response.content)


async def scrape(ctx: LabContext) -> list[Posting]:
    session = Session(ctx.lab)
    listed: dict[str, Listed] = {}
    # Queries are independent: all are requested at once (the host gate keeps the lab's limits).
    for found in await each(ctx.lab.queries or [""], lambda query: _search(ctx, query, session)):
        for item in found:
            listed.setdefault(item.posting.source_id, item)  # first sighting of a position wins
    # Search results carry the department: title and team filters apply before the detail requests.
    wanted = [item for item in listed.values() if listing_match(ctx.lab, item.posting)]
    return await fetch_details(ctx, wanted, lambda item: _detail(ctx, item, session))


async def probe(ctx: LabContext) -> int | None:
    """The count the first search page reports for the lab's first query (one request, no details)."""
    query = (ctx.lab.queries or [""])[0]
    url = search_url(ctx.lab, query, 0)
    data = envelope_data(await _get(ctx, url, Session(ctx.lab)), ctx.lab, url)
    positions = require(data, "positions", list, ctx.name, url)
    return data["count"] if isinstance(data.get("count"), int) else len(positions)


async def _search(ctx: LabContext, query: str, session: Session) -> list[Listed]:
    """All pages of one query, in order; once page one tells the count, the other pages are requested at once."""

    async def page(index: int) -> Page[list[Listed]]:
        url = search_url(ctx.lab, query, index * PAGE_SIZE)
        data = envelope_data(await _get(ctx, url, session), ctx.lab, url)
        positions = require(data, "positions", list, ctx.name, url)
        listed = [Listed(position_posting(p, ctx.lab, url, i), listing_key(p), p) for i, p in enumerate(positions)]
        count = data["count"] if isinstance(data.get("count"), int) else None
        return Page(url, [item.posting.source_id for item in listed], count, listed)

    max_pages = int(ctx.param("max_pages", DEFAULT_MAX_PAGES))
    return [item for items in await read_listing(ctx, f"query {query!r}", page, PAGING, max_pages) for item in items]


async def _get(ctx: LabContext, url: str, session: Session) -> Any:
    response = await session.get(ctx, url, ERROR_STATUSES)
    if response.status_code in ERROR_STATUSES:
        raise _http_error(ctx.lab, url, response.status_code, response.content)
    return load_json(response.content, ctx.name, url)


async def _detail(ctx: LabContext, item: Listed, session: Session) -> Posting | None:
    url = detail_route(ctx.lab, item.posting)
    response = await session.get(ctx, url, ERROR_STATUSES | GONE_STATUSES)
    if response.status_code in ERROR_STATUSES - GONE_STATUSES:
        raise _http_error(ctx.lab, url, response.status_code, response.content)
    payload = load_json(response.content, ctx.name, url) if response.status_code not in GONE_STATUSES else None
    if response.status_code in GONE_STATUSES or _gone(payload):
        ctx.gone(item.posting.source_id, url)  # the store closes it, even when the run is partial
        ctx.warn(f"{item.posting.title!r} was listed but its details are gone; left out: {url}")
        return None
    detail = envelope_data(payload, ctx.lab, url)
    # Detail values win, but a null in the detail must not erase what the listing said.
    merged = {**item.ref, **{k: v for k, v in detail.items() if v not in (None, "", [])}}
    return position_posting(merged, ctx.lab, url)


def _gone(payload: Any) -> bool:
    """A details envelope for a position that no longer exists (status 404 or no data)."""
    return isinstance(payload, dict) and (payload.get("status") == 404 or ("status" in payload and not payload.get("data")))


def _http_error(lab, url: str, status: int, body: bytes) -> ScrapeError:
    try:
        payload = load_json(body, lab.name, url)
    except ParseError:
        payload = None
    message = _message(payload)
    if message:
        return ScrapeError(lab.name, url, _refusal(message, status), status=status)
    snippet = " ".join(body[:120].decode("utf-8", "replace").split())
    return ScrapeError(lab.name, url, f"HTTP {status}: {snippet or 'empty body'}", status=status)


def _message(payload: Any) -> str:
    """The error text of an Eightfold body: top-level `message` or `error.message`."""
    if not isinstance(payload, dict):
        return ""
    error = payload.get("error")
    if isinstance(error, dict):
        return clean(error.get("message")) or clean(payload.get("message"))
    return clean(payload.get("message")) or clean(error)


def _refusal(message: str, status: Any) -> str:
    reason = f"Eightfold refused the request (status {status}): {message}"
    if "pcsx" in message.lower():
        reason += ("; this tenant may only offer the older /api/apply/v2/jobs interface, "
                   "or params host/domain do not name a PCSX site")
    return reason


def envelope_data(payload: Any, lab, url: str) -> dict:
    """`data` of a PCSX envelope (`status`, `error`, `data`), or a ScrapeError with the site's message."""
    if not isinstance(payload, dict):
        raise ParseError(lab.name, url, f"expected a PCSX envelope object, got {type(payload).__name__}")
    status = payload.get("status")
    message = _message(payload)
    if ("data" not in payload and message) or (isinstance(status, int) and status >= 400):
        raise ScrapeError(lab.name, url, _refusal(message or "no message", status),
                          status=status if isinstance(status, int) else None)
    return require(payload, "data", dict, lab.name, url)


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """Postings of a PCSX search page or position details body, or of an older /api/apply/v2/jobs page."""
    payload = load_json(body, lab.name, url)
    if isinstance(payload, dict) and "positions" in payload and "data" not in payload:
        positions = require(payload, "positions", list, lab.name, url)
        return [position_posting(_from_v2(p, lab, url, i), lab, url, i) for i, p in enumerate(positions)]
    data = envelope_data(payload, lab, url)
    if "positions" in data:
        positions = require(data, "positions", list, lab.name, url)
        return [position_posting(p, lab, url, i) for i, p in enumerate(positions)]
    if "id" in data and "name" in data:
        return [position_posting(data, lab, url)]
    raise ParseError(lab.name, url, "expected PCSX search results ('positions') or position details, got data with "
                     f"keys {', '.join(sorted(data)[:8])}")


def position_posting(position: Any, lab, url: str, index: int = 0) -> Posting:
    """A posting from a PCSX position (search result, details, or both merged)."""
    where = f"positions[{index}]"
    if not isinstance(position, dict):
        raise ParseError(lab.name, url, f"{where} is {type(position).__name__}, not an object")
    if position.get("id") in (None, "") or isinstance(position.get("id"), bool | dict | list):
        raise ParseError(lab.name, url, f"{where} has no 'id'")
    if not isinstance(position.get("name"), str) or not position["name"].strip():
        raise ParseError(lab.name, url, f"{where} has no 'name' text")
    source_id = str(position["id"])
    title = clean(position["name"])
    description = position.get("jobDescription")
    option = position.get("workLocationOption")
    extra = {"display_job_id": str(position["displayJobId"])} if position.get("displayJobId") else {}
    return Posting(
        lab=lab.name,
        source_id=source_id,
        title=title,
        url=_public_url(position, lab, url, source_id),
        description=html_to_text(description) if isinstance(description, str) else "",
        location="; ".join(_locations(position)),
        team=clean(position.get("department")),
        workplace=WORKPLACES.get(option.lower(), "") if isinstance(option, str) else "",
        employment_type=_employment(title, position.get("efcustomTextEmploymentType")),
        posted_at=iso_from_epoch(_number(position.get("postedTs")) or _number(position.get("creationTs"))),
        updated_at=iso_from_epoch(_number(position.get("updatedTs"))),
        extra=extra,
    )


def listing_key(position: dict) -> str:
    """What a search result says about a position; a change means its details must be fetched again."""
    return "|".join((clean(position.get("name")), str(position.get("postedTs", "")), "; ".join(_locations(position)),
                     clean(position.get("department")), str(position.get("workLocationOption") or "")))


def _locations(position: dict) -> list[str]:
    """The site's own location names ("United States, Washington, Redmond"), else the standardized ones."""
    for key in ("locations", "standardizedLocations"):
        values = position.get(key)
        if isinstance(values, list):
            names = [clean(v) for v in values if clean(v)]
            if names:
                return names
    single = clean(position.get("location"))
    return [single] if single else []


def _public_url(position: dict, lab, url: str, source_id: str) -> str:
    """The page for humans: publicUrl, else positionUrl (relative) on the lab's public host."""
    public = safe_url(position.get("publicUrl"))
    if public:
        return public
    host = lab.params.get("host") or urlsplit(url).hostname or ""
    path = position.get("positionUrl")
    if not isinstance(path, str) or not path.startswith("/"):
        path = f"/careers/job/{source_id}"
    return safe_url(f"https://{host}{path}") if host else ""


def _employment(title: str, kinds: Any) -> str:
    values = kinds if isinstance(kinds, list) else [kinds]
    text = " ".join(v.lower() for v in values if isinstance(v, str))
    if "intern" in text or _INTERN.search(title):
        return "intern"
    for word, kind in (("part", "part-time"), ("full", "full-time"), ("contract", "contract"), ("temp", "temporary")):
        if word in text:
            return kind
    return ""


def _number(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else None


def _from_v2(record: Any, lab, url: str, index: int) -> dict:
    if not isinstance(record, dict):
        raise ParseError(lab.name, url, f"positions[{index}] is {type(record).__name__}, not an object")
    return {new: record[old] for old, new in V2_KEYS.items() if old in record}


def detect(data: Any, url: str = "") -> bool:
    if "/api/pcsx/" in url or "/api/apply/v2/jobs" in url or ".eightfold.ai" in url:
        return True
    if not isinstance(data, dict):
        return False
    inner = data.get("data")
    if isinstance(inner, dict):
        return isinstance(inner.get("positions"), list) or ("positionUrl" in inner and "jobDescription" in inner)
    positions = data.get("positions")
    return isinstance(positions, list) and bool(positions) and isinstance(positions[0], dict) and "t_create" in positions[0]


def detail_route(lab: Lab, posting: Posting) -> str:
    """GET position_details of the posting's position id: its description and the fields search leaves out."""
    return detail_url(lab, posting.source_id)
