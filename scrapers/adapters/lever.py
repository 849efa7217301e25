"""Lever postings API: a bare JSON array per page, paged with skip/limit until a short page."""

from __future__ import annotations

import html as htmllib
from typing import Any
from urllib.parse import quote

from ...models import Lab, ParseError, Posting, ScrapeError
from ..fetch import LabContext
from ..html_text import html_to_text, safe_url
from ..paging import Page, Totals, read_listing
from ..parsing import as_list, clean, iso_from_epoch, load_json, shape_of

API_HOSTS = {"": "https://api.lever.co", "global": "https://api.lever.co", "eu": "https://api.eu.lever.co"}
PUBLIC_HOSTS = {"eu": "https://jobs.eu.lever.co"}
PAGE_SIZE = 100  # Lever's documented maximum for `limit`
MAX_PAGES = 50
WORKPLACES = {"on-site": "onsite", "onsite": "onsite", "remote": "remote", "hybrid": "hybrid"}
SALARY_PERIODS = {"per-year-salary": "year", "per-month-salary": "month", "per-hour-wage": "hour"}


def _region(lab) -> str:
    region = str(lab.params.get("region", "") or "").lower()
    if region not in API_HOSTS:
        raise ScrapeError(lab.name, "", f"params.region must be 'eu' or absent, got {region!r}", kind="config")
    return region


def page_url(lab, skip: int, limit: int = PAGE_SIZE) -> str:
    base = lab.params.get("base_url") or API_HOSTS[_region(lab)]
    company = quote(lab.params.get("company", lab.name), safe="")
    return f"{base.rstrip('/')}/v0/postings/{company}?mode=json&skip={skip}&limit={limit}"


async def scrape(ctx: LabContext) -> list[Posting]:
    lab = ctx.lab
    limit = int(ctx.param("page_size", PAGE_SIZE))

    async def page(index: int) -> Page[list[Posting]]:
        url = page_url(lab, index * limit, limit)
        items = _items(load_json((await ctx.send("GET", url)).content, lab.name, url), lab, url)
        found = [parse_posting(item, lab, url, i) for i, item in enumerate(items)]
        return Page(url, [p.source_id for p in found], None, found)

    # No total is announced: a short page ends the board, a page repeating earlier postings makes it partial.
    pages = await read_listing(ctx, "board", page, Totals(limit), int(ctx.param("max_pages", MAX_PAGES)))
    postings: dict[str, Posting] = {}
    for found in pages:
        for posting in found:
            postings.setdefault(posting.source_id, posting)  # listed twice on one page: the first copy wins
    return list(postings.values())


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """Postings of one response page (a bare array of posting objects)."""
    items = _items(load_json(body, lab.name, url), lab, url)
    postings: dict[str, Posting] = {}
    for index, item in enumerate(items):
        posting = parse_posting(item, lab, url, index)
        postings.setdefault(posting.source_id, posting)
    return list(postings.values())


def _items(data: Any, lab, url: str) -> list:
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and (data.get("ok") is False or "error" in data):
        # Lever's error envelope: {"ok": false, "error": "Document not found"}
        raise ParseError(lab.name, url, f"Lever answered an error: {clean(str(data.get('error')))[:200]}")
    raise ParseError(lab.name, url, f"expected a JSON array of Lever postings, got {shape_of(data)}")


def parse_posting(item: Any, lab, url: str, index: int = 0) -> Posting:
    where = f"postings[{index}]"
    if not isinstance(item, dict):
        raise ParseError(lab.name, url, f"{where} is {type(item).__name__}, not an object")
    for key in ("id", "text"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise ParseError(lab.name, url, f"{where} has no {key!r} text")
    categories = categories if isinstance(categories := item.get("categories"), dict) else {}
    source_id = item["id"].strip()
    company = lab.params.get("company", lab.name)
    public_host = PUBLIC_HOSTS.get(str(lab.params.get("region", "")).lower(), "https://jobs.lever.co")
    low, high, currency, period = _salary(item.get("salaryRange"))
    extra = {"apply_url": safe_url(item.get("applyUrl")), "country": clean(item.get("country"))}
    return Posting(
        lab=lab.name,
        source_id=source_id,
        title=clean(item["text"]),
        url=safe_url(item.get("hostedUrl")) or f"{public_host}/{quote(company, safe='')}/{quote(source_id, safe='')}",
        description=description(item),
        location=_location(categories),
        team=_team(categories),
        workplace=WORKPLACES.get(str(item.get("workplaceType") or "").lower(), ""),
        employment_type=_employment_type(categories.get("commitment")),
        posted_at=iso_from_epoch(item.get("createdAt"), millis=True),
        updated_at=iso_from_epoch(item.get("updatedAt"), millis=True),
        salary_min=low,
        salary_max=high,
        salary_currency=currency,
        salary_period=period,
        extra={k: v for k, v in extra.items() if v},
    )


def description(item: dict) -> str:
    """Opening, body, each list as '- ' items under its heading, closing text and pay text, as one text."""
    opening = _text(item, "opening")
    body = _text(item, "descriptionBody")
    # `description` is opening + body in one field; use it only when the split fields are absent.
    sections = [opening, body] if opening or body else [_text(item, "description")]
    for block in as_list(item.get("lists")):
        if isinstance(block, dict):
            sections.append(_list_text(block))
    sections.append(_text(item, "additional"))
    sections.append(_text(item, "salaryDescription"))
    return "\n\n".join(s for s in sections if s)


def _text(item: dict, key: str) -> str:
    markup = item.get(key)
    if isinstance(markup, str) and markup.strip():
        return html_to_text(markup)
    plain = item.get(f"{key}Plain")
    return html_to_text(plain) if isinstance(plain, str) else ""


def _list_text(block: dict) -> str:
    heading = clean(htmllib.unescape(block.get("text") or "")) if isinstance(block.get("text"), str) else ""
    content = block.get("content")
    items = html_to_text(f"<ul>{content}</ul>") if isinstance(content, str) and content.strip() else ""
    # A heading without items says nothing about the job.
    return f"{heading}\n{items}" if heading and items else items


def _salary(salary: Any) -> tuple[float | None, float | None, str | None, str | None]:
    if not isinstance(salary, dict):
        return None, None, None, None
    period = SALARY_PERIODS.get(str(salary.get("interval") or ""))
    low, high = _number(salary.get("min")), _number(salary.get("max"))
    if period is None or (low is None and high is None):
        # Weekly, semi-monthly or one-time pay has no period we store; the text keeps it.
        return None, None, None, None
    currency = salary.get("currency") if isinstance(salary.get("currency"), str) else None
    return low, high, currency, period


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _location(categories: dict) -> str:
    names = [clean(n) for n in as_list(categories.get("allLocations")) if isinstance(n, str)]
    names = names or [clean(categories.get("location"))]
    return "; ".join(dict.fromkeys(n for n in names if n))


def _team(categories: dict) -> str:
    department, team = clean(categories.get("department")), clean(categories.get("team"))
    if department and team and department != team:
        return f"{department} / {team}"
    return team or department


def _employment_type(commitment: Any) -> str:
    text = clean(commitment).lower()
    for needle, kind in (("intern", "intern"), ("part", "part-time"), ("full", "full-time"),
                         ("contract", "contract"), ("freelance", "contract"), ("temp", "temporary")):
        if needle in text:
            return kind
    return ""



def detect(data: Any, url: str = "") -> bool:
    if "lever.co" in url:
        return True
    return isinstance(data, list) and bool(data) and isinstance(data[0], dict) and "hostedUrl" in data[0]


def detail_route(lab: Lab, posting: Posting) -> str | None:
    """None: a postings page carries every posting whole: no detail request."""
    return None


async def probe(ctx: LabContext) -> int:
    """The first postings page, parsed: the postings on it (Lever tells no total)."""
    url = page_url(ctx.lab, 0, int(ctx.param("page_size", PAGE_SIZE)))
    return len(parse((await ctx.send("GET", url)).content, ctx.lab, url))
