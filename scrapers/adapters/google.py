"""Google Careers: result pages (20 jobs each) whose jobs sit in an `AF_initDataCallback` script as positional arrays."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from ...models import Lab, ParseError, Posting
from ...workers import off_loop
from ..fetch import LabContext
from ..html_text import html_to_text, safe_url
from ..paging import Page, Totals, each, read_listing
from ..parsing import clean, iso_from_epoch

BASE_URL = "https://www.google.com"
RESULTS_PATH = "/about/careers/applications/jobs/results"
PUBLIC_URL = BASE_URL + RESULTS_PATH  # job pages for humans stay on the real site when base_url points at a mirror
PAGE_SIZE = 20
MAX_PAGES = 5  # per query; params.max_pages overrides
# Every page says the query's total (ds:1 data[2]) and its page size (data[3]); a complete listing has that many.
PAGING = Totals(PAGE_SIZE, unit="jobs")

# Positions in a job tuple (reverse-engineered by public scrapers; Google changes them without notice).
ID, TITLE, APPLY_URL, RESPONSIBILITIES, QUALIFICATIONS, COMPANY, LOCATIONS, ABOUT = 0, 1, 2, 3, 4, 7, 9, 10
CREATED, UPDATED, PUBLISHED, ADDITIONAL = 12, 13, 14, 15
MIN_FIELDS = PUBLISHED + 1
DS1_CALL = re.compile(r"AF_initDataCallback\(\s*\{\s*key:\s*'ds:1'")
DATA_KEY = re.compile(r"\bdata\s*:\s*")
_DECODER = json.JSONDecoder(strict=False)


def results_url(lab, query: str, page: int) -> str:
    base = str(lab.params.get("base_url", BASE_URL)).rstrip("/")
    params = [("q", query), ("sort_by", "date"), ("page", str(page))]
    params += [("location", str(loc)) for loc in lab.params.get("locations") or []]
    return f"{base}{RESULTS_PATH}?{urlencode(params)}"


async def scrape(ctx: LabContext) -> list[Posting]:
    merged: dict[str, Posting] = {}
    # Queries are independent: all are requested at once (the host gate keeps the lab's limits).
    for postings in await each(ctx.lab.queries or [""], lambda query: _query(ctx, query)):
        for posting in postings:
            merged.setdefault(posting.source_id, posting)
    return list(merged.values())


async def _query(ctx: LabContext, query: str) -> list[Posting]:
    """Every page of one query: until a short or empty page that agrees with the total, or max_pages.

    Once page 1 tells the total, the other pages are requested at once.
    """
    max_pages = int(ctx.param("max_pages", MAX_PAGES))

    async def page(index: int) -> tuple[list[Posting], int | None, int]:
        url = results_url(ctx.lab, query, index + 1)
        return await off_loop(parse_page, (await ctx.send("GET", url)).text, ctx.lab, url)

    async def checked(index: int) -> Page[list[Posting]]:
        jobs, total, size = await page(index)
        return Page(results_url(ctx.lab, query, index + 1), [job.source_id for job in jobs], total, jobs, size)

    return [job for jobs in await read_listing(ctx, f"query {query!r}", checked, PAGING, max_pages) for job in jobs]


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """The postings of one result page."""
    return parse_page(body, lab, url)[0]


def parse_page(body: bytes | str, lab, url: str) -> tuple[list[Posting], int | None, int]:
    """Postings of a result page, the query's total, and the page size the page reports."""
    data = ds1_data(body, lab, url)
    if not isinstance(data, list) or not data:
        raise ParseError(lab.name, url, f"ds:1 data should be a non-empty array, got {type(data).__name__}")
    jobs = data[0] if data[0] is not None else []
    if not isinstance(jobs, list):
        raise ParseError(lab.name, url, f"ds:1 data[0] (the jobs) should be an array, got {type(jobs).__name__}")
    total = _int_at(data, 2)
    size = _int_at(data, 3) or PAGE_SIZE
    return [parse_job(job, lab, url, index) for index, job in enumerate(jobs)], total, size


def ds1_data(body: bytes | str, lab, url: str) -> Any:
    """The `data:` array of the `AF_initDataCallback({key: 'ds:1', ...})` call, decoded."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    call = DS1_CALL.search(text)
    if call is None:
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
        seen = f" (page title {clean(title.group(1))!r})" if title else ""
        raise ParseError(lab.name, url, "no AF_initDataCallback with key 'ds:1' in the page: Google changed the "
                                        f"page, or a consent or bot page came back{seen}")
    key = DATA_KEY.search(text, call.end())
    if key is None:
        raise ParseError(lab.name, url, "the ds:1 callback has no 'data:' field")
    # The object literal around it is JavaScript, but the data value itself is JSON: decode just that value.
    try:
        data, _ = _DECODER.raw_decode(text, key.end())
    except json.JSONDecodeError as exc:
        raise ParseError(lab.name, url, f"the ds:1 data is not valid JSON at character {exc.pos}: {exc.msg}") from None
    return data


def parse_job(job: Any, lab, url: str, index: int = 0) -> Posting:
    where = f"ds:1 jobs[{index}]"
    if not isinstance(job, list):
        raise ParseError(lab.name, url, f"{where} is {type(job).__name__}, not an array")
    if len(job) < MIN_FIELDS:
        raise ParseError(lab.name, url, f"{where} has {len(job)} fields; index {PUBLISHED} (published time) and "
                                        f"earlier are needed (Google changed the job tuple?)")
    for position, name in ((ID, "id"), (TITLE, "title")):
        if not isinstance(job[position], str) or not job[position].strip():
            raise ParseError(lab.name, url, f"{where}[{position}] ({name}) should be text, got {job[position]!r:.40}")
    source_id = job[ID].strip()
    title = clean(job[TITLE])
    locations = _locations(job, where, lab, url)
    return Posting(
        lab=lab.name,
        source_id=source_id,
        title=title,
        url=public_url(source_id, title),
        description=description(job, where, lab, url),
        location="; ".join(locations),
        workplace="remote" if any("remote" in loc.lower() for loc in locations) else "",
        # Google republishes on every edit, so creation is the date the posting first appeared.
        posted_at=_timestamp(job[CREATED]) or _timestamp(job[PUBLISHED]),
        updated_at=_timestamp(job[UPDATED]) or _timestamp(job[PUBLISHED]),
        company=clean(job[COMPANY]) or "Google",
        extra={"apply_url": safe_url(job[APPLY_URL])} if safe_url(job[APPLY_URL]) else {},
    )


def description(job: list, where: str, lab, url: str) -> str:
    """About the job, responsibilities, qualifications, then the additional notes (deadlines, benefits)."""
    parts = []
    for position, heading in ((ABOUT, ""), (RESPONSIBILITIES, "Responsibilities"), (QUALIFICATIONS, "Qualifications"),
                              (ADDITIONAL, "")):
        text = html_to_text(_html(job, position, where, lab, url))
        if text:
            parts.append(f"{heading}\n{text}" if heading else text)
    return "\n\n".join(parts)


def _html(job: list, position: int, where: str, lab, url: str) -> str:
    """A text field, stored as [null, html] (or null, or "" when absent)."""
    field = job[position] if position < len(job) else None
    if field in (None, ""):
        return ""
    if isinstance(field, list) and len(field) >= 2 and (field[1] is None or isinstance(field[1], str)):
        return field[1] or ""
    raise ParseError(lab.name, url, f"{where}[{position}] should be [null, html], got {json.dumps(field)[:60]}")


def _locations(job: list, where: str, lab, url: str) -> list[str]:
    """Display names of [[name, [address], city, zip, region, country], ...]."""
    field = job[LOCATIONS]
    if field is None:
        return []
    if not isinstance(field, list):
        raise ParseError(lab.name, url, f"{where}[{LOCATIONS}] (locations) should be an array, got {type(field).__name__}")
    names = [clean(loc[0]) for loc in field if isinstance(loc, list) and loc and isinstance(loc[0], str)]
    return list(dict.fromkeys(n for n in names if n))


def _timestamp(value: Any) -> str | None:
    """A [seconds, nanos] pair as ISO 8601 UTC."""
    if isinstance(value, list) and value and isinstance(value[0], int | float) and not isinstance(value[0], bool):
        return iso_from_epoch(value[0])
    return None


def _int_at(values: list, position: int) -> int | None:
    value = values[position] if position < len(values) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def public_url(source_id: str, title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return f"{PUBLIC_URL}/{source_id}-{slug}"


def detect(data: Any, url: str = "") -> bool:
    if "google.com/about/careers" in url:
        return True
    return isinstance(data, str) and bool(DS1_CALL.search(data))


def detail_route(lab: Lab, posting: Posting) -> str | None:
    """None: a results page carries every posting whole: no detail request."""
    return None


async def probe(ctx: LabContext) -> int:
    """Results page 1 of the first query, parsed: the total it reports (else the jobs on it)."""
    url = results_url(ctx.lab, (ctx.lab.queries or [""])[0], 1)
    jobs, total, _ = await off_loop(parse_page, (await ctx.send("GET", url)).text, ctx.lab, url)
    return total if total is not None else len(jobs)
