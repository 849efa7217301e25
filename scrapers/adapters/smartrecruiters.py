"""SmartRecruiters public postings API: listing pages of 100, then one detail per new or changed posting.

GET api.smartrecruiters.com/v1/companies/{company}/postings?limit=100&offset=N answers
`{"offset", "limit", "totalFound", "content": [...]}` with no description; the posting's own
GET .../postings/{id} carries it in `jobAd.sections` (company description, job description, qualifications,
additional information; HTML). An unknown company answers 200 with `totalFound: 0`, like an empty board.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import quote, urlencode

from ...models import Lab, ParseError, Posting
from ..details import Listed, fetch_details
from ..fetch import GONE_STATUSES, LabContext
from ..html_text import html_to_text, safe_url
from ..paging import Page, Totals, read_listing
from ..parsing import clean, load_json, require

BASE_URL = "https://api.smartrecruiters.com"
PAGE_SIZE = 100  # the API's largest `limit`
DEFAULT_MAX_PAGES = 20
# The job ad's sections in reading order; the company's boilerplate last, so the job's own text leads.
SECTIONS = ("jobDescription", "qualifications", "additionalInformation", "companyDescription")
EMPLOYMENT = {"permanent": "full-time", "full_time": "full-time", "part_time": "part-time", "intern": "intern",
              "contract": "contract", "temporary": "temporary"}


def company(lab) -> str:
    """params.company (the identifier in jobs.smartrecruiters.com/COMPANY), or a ParseError saying to set it."""
    value = lab.params.get("company")
    if not value:
        raise ParseError(lab.name, "", "a smartrecruiters lab needs params.company (as in "
                                       "jobs.smartrecruiters.com/COMPANY)", kind="config")
    return str(value)


def postings_url(lab, offset: int = 0) -> str:
    base = lab.params.get("base_url", BASE_URL).rstrip("/")
    query = urlencode({"limit": PAGE_SIZE, "offset": offset})
    return f"{base}/v1/companies/{quote(company(lab), safe='')}/postings?{query}"


async def scrape(ctx: LabContext) -> list[Posting]:
    return await fetch_details(ctx, await _listing(ctx), lambda item: _detail(ctx, item))


async def _listing(ctx: LabContext) -> list[Listed]:
    """Every listing page; once page one tells the total, the others are requested at once."""

    async def page(index: int) -> Page[list[Listed]]:
        url = postings_url(ctx.lab, index * PAGE_SIZE)
        data = load_json((await ctx.send("GET", url)).content, ctx.name, url)
        items = require(data, "content", list, ctx.name, url)
        postings = [list_posting(item, ctx.lab, url, i) for i, item in enumerate(items)]
        total = data.get("totalFound")
        total = total if isinstance(total, int) and not isinstance(total, bool) else None
        return Page(url, [p.source_id for p in postings], total,
                    [Listed(p, listing_key(item)) for p, item in zip(postings, items, strict=True)])

    max_pages = int(ctx.param("max_pages", DEFAULT_MAX_PAGES))
    pages = await read_listing(ctx, "postings", page, Totals(PAGE_SIZE), max_pages)
    return [item for items in pages for item in items]


def listing_key(item: dict) -> str:
    """What changes when the posting is edited or posted again: its release date and job ad."""
    return f"{item.get('releasedDate', '')}|{item.get('jobAdId', '')}"


async def _detail(ctx: LabContext, item: Listed) -> Posting | None:
    url = detail_route(ctx.lab, item.posting)
    response = await ctx.send("GET", url, ok_statuses=GONE_STATUSES)
    if response.status_code in GONE_STATUSES:
        ctx.gone(item.posting.source_id, url)
        ctx.warn(f"{item.posting.title!r} was listed but its detail is gone (HTTP {response.status_code}); left out: {url}")
        return None
    return detail_posting(load_json(response.content, ctx.name, url), ctx.lab, url, item.posting)


def list_posting(item: Any, lab, url: str, index: int = 0) -> Posting:
    """A posting from a listing item: everything but the description."""
    where = f"content[{index}]"
    if not isinstance(item, dict):
        raise ParseError(lab.name, url, f"{where} is {type(item).__name__}, not an object")
    for key in ("id", "name"):
        if item.get(key) in (None, ""):
            raise ParseError(lab.name, url, f"{where} has no {key!r}")
    if not isinstance(item["name"], str):
        raise ParseError(lab.name, url, f"{where}.name is {type(item['name']).__name__}, not text")
    source_id = str(item["id"])
    place: dict = item["location"] if isinstance(item.get("location"), dict) else {}
    return Posting(
        lab=lab.name,
        source_id=source_id,
        title=clean(item["name"]),
        url=f"https://jobs.smartrecruiters.com/{quote(_company_of(item, lab), safe='')}/{quote(source_id, safe='')}",
        location=_location(place),
        team=_label(item.get("department")),
        workplace="remote" if place.get("remote") is True else "hybrid" if place.get("hybrid") is True else "",
        employment_type=EMPLOYMENT.get(str(_id(item.get("typeOfEmployment"))).lower(), ""),
        posted_at=item["releasedDate"] if isinstance(item.get("releasedDate"), str) else None,
        company=clean((item.get("company") or {}).get("name")) if isinstance(item.get("company"), dict) else "",
        extra={k: item[k] for k in ("refNumber", "uuid") if isinstance(item.get(k), str)},
    )


def detail_posting(data: Any, lab, url: str, listed: Posting | None = None) -> Posting:
    """A posting from its detail (the listing's fields, kept when the detail lacks them, plus the description)."""
    if not isinstance(data, dict):
        raise ParseError(lab.name, url, f"expected a SmartRecruiters posting object, got {type(data).__name__}")
    base = listed or list_posting(data, lab, url)
    sections = (data.get("jobAd") or {}).get("sections") if isinstance(data.get("jobAd"), dict) else None
    if not isinstance(sections, dict):
        raise ParseError(lab.name, url, "the posting has no jobAd.sections (its description)")
    texts = [html_to_text(section["text"]) for name in SECTIONS
             if isinstance(section := sections.get(name), dict) and isinstance(section.get("text"), str)]
    public = safe_url(data.get("postingUrl")) or base.url
    return dataclasses.replace(base, description="\n\n".join(t for t in texts if t), url=public)


def _company_of(item: dict, lab) -> str:
    identifier = (item.get("company") or {}).get("identifier") if isinstance(item.get("company"), dict) else None
    return str(identifier or lab.params.get("company") or lab.name)


def _location(place: dict) -> str:
    if isinstance(place.get("fullLocation"), str) and place["fullLocation"].strip():
        return clean(place["fullLocation"])
    return ", ".join(clean(place[k]) for k in ("city", "region", "country") if isinstance(place.get(k), str) and place[k])


def _label(value: Any) -> str:
    return clean(value.get("label")) if isinstance(value, dict) else ""


def _id(value: Any) -> str:
    return str(value.get("id") or "") if isinstance(value, dict) else ""


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """Postings of a listing page (`{"content": [...]}`, or a bare list of its items) or of one posting's detail."""
    data = load_json(body, lab.name, url)
    if isinstance(data, dict) and "content" in data:
        items = require(data, "content", list, lab.name, url)
    elif isinstance(data, list):
        items = data
    elif isinstance(data, dict) and "jobAd" in data:
        return [detail_posting(data, lab, url)]
    else:
        raise ParseError(lab.name, url, "expected a SmartRecruiters postings page with a 'content' list")
    return [list_posting(item, lab, url, index) for index, item in enumerate(items)]


def detect(data: Any, url: str = "") -> bool:
    if "smartrecruiters.com" in url:
        return True
    if isinstance(data, dict):
        return ("totalFound" in data and isinstance(data.get("content"), list)) or "jobAd" in data
    return False


def detail_route(lab: Lab, posting: Posting) -> str:
    """GET .../v1/companies/{company}/postings/{id}: the posting with its job ad (the description)."""
    base = lab.params.get("base_url", BASE_URL).rstrip("/")
    return f"{base}/v1/companies/{quote(company(lab), safe='')}/postings/{quote(posting.source_id, safe='')}"


async def probe(ctx: LabContext) -> int:
    """The first listing page, parsed (no details): the total SmartRecruiters reports."""
    url = postings_url(ctx.lab, 0)
    data = load_json((await ctx.send("GET", url)).content, ctx.name, url)
    items = require(data, "content", list, ctx.name, url)
    for index, item in enumerate(items):
        list_posting(item, ctx.lab, url, index)
    total = data.get("totalFound")
    return total if isinstance(total, int) and not isinstance(total, bool) else len(items)
