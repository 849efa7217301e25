"""Workday CXS career sites: a search POST per query and page, then one detail GET per new or changed posting.

Postings are keyed by their job requisition id. A Workday externalPath ends in the posting id, which is
the requisition id plus a `-N` suffix when the requisition was posted again (`..._JR2026107-1` next to
`bulletFields: ["JR2026107"]`; the detail says `jobReqId: "JR2026107"`). Keying on the requisition
makes a reposted job update its stored posting instead of appearing as a new one, and merges the same
job found by several queries; its externalPath is kept in the listing key, so a repost refetches the detail.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from ...models import Lab, ParseError, Posting, ScrapeError
from ..details import Listed, fetch_details
from ..fetch import GONE_STATUSES, LabContext
from ..html_text import html_to_text, safe_url
from ..paging import Page, Totals, each, read_listing
from ..parsing import clean, load_json, require, shape_of

PAGE_SIZE = 20  # the largest `limit` Workday accepts
DEFAULT_MAX_PAGES = 50  # per query: 1,000 postings
# Statuses whose body is a Workday error object worth reporting as is (no retry helps them).
ERROR_STATUSES = frozenset({400, 404, 422})
# What Workday answers a search on a tenant, host or site that does not exist: the lab's params are wrong.
CONFIG_STATUSES = frozenset({404, 422})
_SITE_IN_URL = re.compile(r"https?://([^./]+)\.([^./]+)\.myworkdayjobs\.com/wday/cxs/[^/]+/([^/?#]+)", re.I)
_POSTED = re.compile(r"^posted\s+(?:(today)|(yesterday)|(\d+)\s+days?\s+ago)$", re.I)
_COUNTED = re.compile(r"^\d+\s+locations?$", re.I)
_INTERN = re.compile(r"\bintern(ship)?s?\b", re.I)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def site(lab) -> tuple[str, str, str]:
    """(tenant, host, site) of a lab, or a ParseError naming what is missing."""
    missing = [k for k in ("tenant", "host", "site") if not lab.params.get(k)]
    if missing:
        raise ParseError(lab.name, "", f"a workday lab needs params {', '.join(missing)}", kind="config")
    return lab.params["tenant"], lab.params["host"], lab.params["site"]


def public_base(lab) -> str:
    tenant, host, _ = site(lab)
    return f"https://{tenant}.{host}.myworkdayjobs.com"


def api_base(lab) -> str:
    """`{base}/wday/cxs/{tenant}/{site}`; params.base_url replaces the scheme and host."""
    tenant, _, site_id = site(lab)
    base = lab.params.get("base_url", public_base(lab)).rstrip("/")
    return f"{base}/wday/cxs/{quote(tenant, safe='')}/{quote(site_id, safe='')}"


def jobs_url(lab) -> str:
    return api_base(lab) + "/jobs"


def search_body(query: str, offset: int) -> dict[str, Any]:
    return {"appliedFacets": {}, "limit": PAGE_SIZE, "offset": offset, "searchText": query}


async def scrape(ctx: LabContext) -> list[Posting]:
    listed: dict[str, Listed] = {}
    # Queries are independent: all are requested at once (the host gate keeps the lab's limits).
    for found in await each(ctx.lab.queries or [""], lambda query: _search(ctx, query)):
        for item in found:
            listed.setdefault(item.posting.source_id, item)  # first sighting of a requisition wins
    return await fetch_details(ctx, list(listed.values()), lambda item: _detail(ctx, item))


async def _search(ctx: LabContext, query: str) -> list[Listed]:
    """All pages of one query, in order; once page one tells the total, the other pages are requested at once."""
    url = jobs_url(ctx.lab)
    today = datetime.now(UTC).date()

    async def page(index: int) -> Page[list[Listed]]:
        data = await _list_page(ctx, url, query, index * PAGE_SIZE)
        items = require(data, "jobPostings", list, ctx.name, url)
        postings = [list_posting(item, ctx.lab, url, i) for i, item in enumerate(items)]
        total = data.get("total") if isinstance(data.get("total"), int) else None
        where = f"{url} (offset {index * PAGE_SIZE})"  # a POST: the offset is in the body
        return Page(where, [p.extra["external_path"] for p in postings], total,
                    [Listed(p, listing_key(item, today), p.extra["external_path"]) for p, item in zip(postings, items, strict=True)])

    max_pages = int(ctx.param("max_pages", DEFAULT_MAX_PAGES))
    return [item for items in await read_listing(ctx, f"query {query!r}", page, paging(), max_pages) for item in items]


def paging() -> Totals:
    """Only the first page's `total` counts (later pages say 0); a complete listing has exactly that many."""
    return Totals(PAGE_SIZE, first_only=True)


async def _list_page(ctx: LabContext, url: str, query: str, offset: int) -> dict:
    response = await ctx.send("POST", url, json=search_body(query, offset), ok_statuses=ERROR_STATUSES)
    if response.status_code in ERROR_STATUSES:
        raise _http_error(ctx.lab, url, response.status_code, response.content)
    data = load_json(response.content, ctx.name, url)
    check_error(data, ctx.lab, url)
    if not isinstance(data, dict):
        raise ctx.parse_error(url, f"expected a Workday jobs page object, got {type(data).__name__}")
    return data


async def _detail(ctx: LabContext, item: Listed) -> Posting | None:
    url = detail_route(ctx.lab, item.posting)
    response = await ctx.send("GET", url, ok_statuses=GONE_STATUSES)
    if response.status_code in GONE_STATUSES:
        ctx.gone(item.posting.source_id, url)  # the store closes it, even when the run is partial
        ctx.warn(f"{item.posting.title!r} was listed but its detail is gone (HTTP {response.status_code}); left out: {url}")
        return None
    return detail_posting(load_json(response.content, ctx.name, url), ctx.lab, url, item.posting)


def _http_error(lab, url: str, status: int, body: bytes) -> ScrapeError:
    """A ScrapeError for an error status, with Workday's own message when the body has one."""
    try:
        data = load_json(body, lab.name, url)
    except ParseError:
        data = None
    if isinstance(data, dict) and data.get("message"):
        return _workday_error(lab, url, data, status)
    snippet = " ".join(body[:120].decode("utf-8", "replace").split())
    reason = f"HTTP {status}: {snippet or 'empty body'}"
    if status in CONFIG_STATUSES:
        return ScrapeError(lab.name, url, reason + _site_hint(lab), status=status, kind="config")
    return ScrapeError(lab.name, url, reason, status=status, kind="http")


def check_error(data: Any, lab, url: str) -> None:
    """Raise a clear ScrapeError for a Workday error object (`errorCode`, `httpStatus`, `message`)."""
    if isinstance(data, dict) and "errorCode" in data and "jobPostings" not in data and "jobPostingInfo" not in data:
        status = data.get("httpStatus")
        raise _workday_error(lab, url, data, status if isinstance(status, int) else None)


def _workday_error(lab, url: str, data: dict, status: int | None) -> ScrapeError:
    code = clean(str(data.get("errorCode") or "")) or "?"
    message = clean(str(data.get("message") or "")) or "no message"
    reason = f"Workday error {code} (HTTP {status or data.get('httpStatus') or '?'}): {message}"
    if status in CONFIG_STATUSES or "not found" in message.lower():
        return ScrapeError(lab.name, url, reason + _site_hint(lab), status=status, kind="config")
    return ScrapeError(lab.name, url, reason, status=status, kind="http")


def _site_hint(lab) -> str:
    """What to check when Workday does not know the lab's site."""
    params = lab.params
    return (f"; check params tenant={params.get('tenant')!r}, host={params.get('host')!r}, "
            f"site={params.get('site')!r} (Workday moves tenants between wdN hosts)")


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """Postings of a jobs page (`jobPostings`, without descriptions), a bare item list, or one job detail."""
    data = load_json(body, lab.name, url)
    check_error(data, lab, url)
    if isinstance(data, dict) and "jobPostingInfo" in data:
        return [detail_posting(data, lab, url)]
    if isinstance(data, dict) and "jobPostings" in data:
        items = require(data, "jobPostings", list, lab.name, url)
    elif isinstance(data, list):
        items = data
    else:
        raise ParseError(lab.name, url, "expected a Workday jobs page ('jobPostings') or job detail "
                         f"('jobPostingInfo'), got {shape_of(data)}")
    return [list_posting(item, lab, url, index) for index, item in enumerate(items)]


def list_posting(item: Any, lab, url: str, index: int = 0) -> Posting:
    """A posting from one `jobPostings` item: no description, no absolute date (`postedOn` is relative)."""
    where = f"jobPostings[{index}]"
    if not isinstance(item, dict):
        raise ParseError(lab.name, url, f"{where} is {type(item).__name__}, not an object")
    for key in ("title", "externalPath"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise ParseError(lab.name, url, f"{where} has no {key!r} text")
    path = item["externalPath"].strip()
    locations = clean(item.get("locationsText"))
    bullets = bullets if isinstance(bullets := item.get("bulletFields"), list) else []
    title = clean(item["title"])
    return Posting(
        lab=lab.name,
        source_id=requisition_id(path, bullets),
        title=title,
        url=_public_url(lab, url, path),
        location=locations,
        workplace=_workplace(item.get("remoteType"), [] if _COUNTED.match(locations) else [locations]),
        employment_type=_employment(title, item.get("timeType")),
        extra={"external_path": path},
    )


def detail_posting(data: Any, lab, url: str, listed: Posting | None = None) -> Posting:
    """A full posting from a detail body (`jobPostingInfo`); `listed` supplies its id and listing fields."""
    check_error(data, lab, url)
    info = require(data, "jobPostingInfo", dict, lab.name, url)
    title = clean(info.get("title")) or (listed.title if listed else "")
    if not title:
        raise ParseError(lab.name, url, "jobPostingInfo has no 'title'")
    source_id = listed.source_id if listed else _detail_id(info)
    if not source_id:
        raise ParseError(lab.name, url, "jobPostingInfo has neither 'jobReqId' nor 'jobPostingId'")
    extra_locations = info.get("additionalLocations") if isinstance(info.get("additionalLocations"), list) else []
    locations = [loc for loc in (clean(x) for x in [info.get("location"), *extra_locations]) if loc]
    path = listed.extra["external_path"] if listed else _job_path(info.get("externalUrl")) or _job_path(url)
    description = info.get("jobDescription")
    start = info.get("startDate")
    extra = {"external_path": path} if path else {}
    for key, name in (("jobReqId", "requisition_id"), ("endDate", "end_date")):
        if isinstance(info.get(key), str):
            extra[name] = info[key]
    return Posting(
        lab=lab.name,
        source_id=source_id,
        title=title,
        url=safe_url(info.get("externalUrl")) or _public_url(lab, url, path),
        description=html_to_text(description) if isinstance(description, str) else "",
        location="; ".join(locations) or (listed.location if listed else ""),
        workplace=_workplace(info.get("remoteType"), locations),
        employment_type=_employment(title, info.get("timeType")),
        posted_at=start[:10] if isinstance(start, str) and _DATE.match(start) else None,
        extra=extra,
    )


def requisition_id(path: str, bullets: list) -> str:
    """The job requisition id in an externalPath (`..._JR2026107-1` -> `JR2026107` when bulletFields agree)."""
    tail = path.rstrip("/").rsplit("/", 1)[-1].rsplit("_", 1)[-1]
    base = re.sub(r"-\d+$", "", tail)
    # Only strip the repost suffix when the listing confirms the bare id: ids like "R-12345" exist too.
    return base if base != tail and base in {b for b in bullets if isinstance(b, str)} else tail


def listing_key(item: dict, today: date | None = None) -> str:
    """What the listing says about a posting; a change means its detail must be fetched again.

    `postedOn` is relative ("Posted 3 Days Ago"), so it is turned into a date: the raw text would
    change every day and refetch every recent posting on every run.
    """
    today = today or datetime.now(UTC).date()
    posted = clean(item.get("postedOn"))
    match = _POSTED.match(posted)
    if match:
        days = 0 if match.group(1) else 1 if match.group(2) else int(match.group(3))
        posted = (today - timedelta(days=days)).isoformat()
    return "|".join((clean(item.get("title")), str(item.get("externalPath", "")), posted,
                     clean(item.get("locationsText"))))


def _detail_id(info: dict) -> str:
    if isinstance(info.get("jobReqId"), str) and info["jobReqId"].strip():
        return info["jobReqId"].strip()
    posting_id = info.get("jobPostingId")
    return requisition_id(posting_id, []) if isinstance(posting_id, str) else ""


def _job_path(url: Any) -> str:
    """The `/job/...` part of a Workday URL (detail API or public page), '' if none."""
    if not isinstance(url, str):
        return ""
    path = urlsplit(url).path
    return path[path.find("/job/"):] if "/job/" in path else ""


def _public_url(lab, url: str, path: str) -> str:
    """The public job page: https://{tenant}.{host}.myworkdayjobs.com/en-US/{site}{externalPath}."""
    if not path:
        return ""
    if all(lab.params.get(k) for k in ("tenant", "host", "site")):
        tenant, host, site_id = site(lab)
    else:
        match = _SITE_IN_URL.match(url or "")
        if not match:
            return ""
        tenant, host, site_id = match.groups()
    return f"https://{tenant}.{host}.myworkdayjobs.com/en-US/{site_id}{path}"


def _workplace(remote_type: Any, locations: list[str]) -> str:
    kind = remote_type.lower() if isinstance(remote_type, str) else ""
    if "hybrid" in kind or "flex" in kind:
        return "hybrid"
    if "remote" in kind:
        return "remote"
    if "site" in kind or "office" in kind:
        return "onsite"
    # NVIDIA-style locations ("US, VA, Remote") say remote when remoteType is absent.
    if locations and all("remote" in loc.lower() for loc in locations):
        return "remote"
    return ""


def _employment(title: str, time_type: Any) -> str:
    """Interns are only marked in titles on Workday; timeType says full or part time."""
    if _INTERN.search(title):
        return "intern"
    kind = time_type.lower() if isinstance(time_type, str) else ""
    return "full-time" if "full" in kind else "part-time" if "part" in kind else ""


def detect(data: Any, url: str = "") -> bool:
    if "myworkdayjobs.com" in url or "/wday/cxs/" in url:
        return True
    if isinstance(data, dict):
        return "jobPostingInfo" in data or (isinstance(data.get("jobPostings"), list) and "total" in data)
    return (isinstance(data, list) and bool(data) and isinstance(data[0], dict)
            and "externalPath" in data[0] and "postedOn" in data[0])


def detail_route(lab: Lab, posting: Posting) -> str:
    """GET {api_base}{externalPath}: the posting's jobPostingInfo (description, start date, requisition)."""
    return api_base(lab) + posting.extra["external_path"]


async def probe(ctx: LabContext) -> int:
    """The first search page of the first query, parsed (no details): the total Workday reports."""
    url = jobs_url(ctx.lab)
    data = await _list_page(ctx, url, (ctx.lab.queries or [""])[0], 0)
    items = require(data, "jobPostings", list, ctx.name, url)
    for index, item in enumerate(items):
        list_posting(item, ctx.lab, url, index)
    total = data.get("total")
    return total if isinstance(total, int) and not isinstance(total, bool) else len(items)
