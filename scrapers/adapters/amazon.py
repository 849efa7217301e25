"""amazon.jobs search JSON: one search per query, paged by offset, results merged by job id."""

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
from ..parsing import as_list, clean, load_json, require, shape_of

BASE_URL = "https://www.amazon.jobs"
PUBLIC_URL = "https://www.amazon.jobs"
PAGE_SIZE = 100  # the site's maximum for result_limit
MAX_PAGES = 10  # per query: 1,000 newest matches is far beyond what a speech query has
MONTHS = {name: number for number, name in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
WORKPLACES = {"ONSITE": "onsite", "ON_SITE": "onsite", "REMOTE": "remote", "VIRTUAL": "remote", "HYBRID": "hybrid"}
SCHEDULES = {"full-time": "full-time", "part-time": "part-time"}
_INTERN = re.compile(r"\bintern(ship)?s?\b", re.I)
_POSTED = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2}),\s*(\d{4})$")


def search_url(lab, query: str, offset: int, limit: int = PAGE_SIZE) -> str:
    base = lab.params.get("base_url", BASE_URL).rstrip("/")
    params = [("base_query", query)]
    if lab.params.get("country"):
        params.append(("country", lab.params["country"]))
    params += [("result_limit", str(limit)), ("offset", str(offset)), ("sort", "recent")]
    return f"{base}/en/search.json?{urlencode(params)}"


async def scrape(ctx: LabContext) -> list[Posting]:
    postings: dict[str, Posting] = {}
    # Queries are independent: all are requested at once (the host gate keeps the lab's limits).
    for jobs in await each(ctx.lab.queries or [""], lambda query: _query(ctx, query)):
        for posting in jobs:
            # The same job answers several queries: the first query's copy wins.
            postings.setdefault(posting.source_id, posting)
    return list(postings.values())


async def _query(ctx: LabContext, query: str) -> list[Posting]:
    """Every page of one query; once page one tells the number of hits, the other pages are requested at once."""
    lab = ctx.lab
    limit = int(ctx.param("page_size", PAGE_SIZE))

    async def page(number: int) -> Page[list[Posting]]:
        url = search_url(lab, query, number * limit, limit)
        jobs, hits = await off_loop(parse_page, (await ctx.send("GET", url)).content, lab, url)
        return Page(url, [job.source_id for job in jobs], hits, jobs)

    pages = await read_listing(ctx, f"query {query!r}", page, paging(limit), int(ctx.param("max_pages", MAX_PAGES)))
    return [job for jobs in pages for job in jobs]


def paging(limit: int = PAGE_SIZE) -> Totals:
    """Every page says `hits`, the whole count of the query; a complete listing has exactly that many."""
    return Totals(limit, unit="matches")


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """Postings of one search.json page."""
    return parse_page(body, lab, url)[0]


def parse_page(body: bytes | str, lab, url: str) -> tuple[list[Posting], int]:
    """(postings, total hits of the search) of one search.json page."""
    data = load_json(body, lab.name, url)
    if not isinstance(data, dict) or "jobs" not in data:
        if isinstance(data, dict) and data.get("error"):
            raise ParseError(lab.name, url, f"amazon.jobs answered an error: {clean(str(data['error']))[:200]}")
        raise ParseError(lab.name, url, f"expected an amazon.jobs search result with 'jobs', got {shape_of(data)}")
    if data.get("error"):
        raise ParseError(lab.name, url, f"amazon.jobs answered an error: {clean(str(data['error']))[:200]}")
    jobs = require(data, "jobs", list, lab.name, url)
    hits = data.get("hits", len(jobs))
    if not isinstance(hits, int) or isinstance(hits, bool):
        raise ParseError(lab.name, url, f"'hits' should be a number, got {type(hits).__name__}")
    postings: dict[str, Posting] = {}
    for index, job in enumerate(jobs):
        posting = parse_job(job, lab, url, index)
        postings.setdefault(posting.source_id, posting)
    return list(postings.values()), hits


def parse_job(job: Any, lab, url: str, index: int = 0) -> Posting:
    where = f"jobs[{index}]"
    if not isinstance(job, dict):
        raise ParseError(lab.name, url, f"{where} is {type(job).__name__}, not an object")
    if not isinstance(job.get("title"), str) or not job["title"].strip():
        raise ParseError(lab.name, url, f"{where} has no 'title' text")
    raw_id = job.get("id_icims") or job.get("id")
    if not isinstance(raw_id, (str, int)) or isinstance(raw_id, bool) or not str(raw_id).strip():
        raise ParseError(lab.name, url, f"{where} has no 'id_icims' or 'id'")
    source_id = str(raw_id).strip()
    path = job.get("job_path")
    public_url = safe_url(PUBLIC_URL + path) if isinstance(path, str) and path.startswith("/") else ""
    places = _places(job)
    extra = {
        "job_family": clean(job.get("job_family")),
        "business_category": clean(job.get("business_category")),
        "apply_url": safe_url(job.get("url_next_step")),
        "uuid": clean(job.get("id")) if job.get("id_icims") else "",
    }
    return Posting(
        lab=lab.name,
        source_id=source_id,
        title=clean(job["title"]),
        url=public_url or (f"{PUBLIC_URL}/en/jobs/{source_id}" if job.get("id_icims") else ""),
        description=description(job),
        location=_location(job, places),
        team=_team(job),
        workplace=_workplace(places),
        employment_type=_employment_type(job),
        posted_at=posted_date(job.get("posted_date")),
        company=clean(job.get("company_name")),
        extra={k: v for k, v in extra.items() if v},
    )


def description(job: dict) -> str:
    """The job description, then both qualification lists under their headings."""
    sections = []
    for key, heading in (("description", ""), ("basic_qualifications", "Basic qualifications"),
                         ("preferred_qualifications", "Preferred qualifications")):
        value = job.get(key)
        text = html_to_text(value) if isinstance(value, str) else ""
        if text:
            sections.append(f"{heading}\n{text}" if heading else text)
    return "\n\n".join(sections)


def posted_date(value: Any) -> str | None:
    """'September 15, 2026' (or 'Sep 15, 2026') -> '2026-09-15'; None for anything else."""
    match = _POSTED.match(clean(value))
    if not match:
        return None
    name, day, year = match.groups()
    month = _month(name.lower())
    if month is None or not 1 <= int(day) <= 31:
        return None
    return f"{int(year):04d}-{month:02d}-{int(day):02d}"


def _month(name: str) -> int | None:
    if len(name) < 3:
        return None
    return next((number for full, number in MONTHS.items() if full.startswith(name)), None)


def _places(job: dict) -> list[dict]:
    """The `locations` entries, which the site sends as JSON-encoded strings."""
    places = []
    for raw in as_list(job.get("locations")):
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                continue
        if isinstance(raw, dict):
            places.append(raw)
    return places


def _location(job: dict, places: list[dict]) -> str:
    names = [clean(p.get("normalizedLocation") or p.get("location")) for p in places]
    names = [n for n in names if n] or [clean(job.get("normalized_location")) or clean(job.get("location"))]
    return "; ".join(dict.fromkeys(n for n in names if n))


def _workplace(places: list[dict]) -> str:
    kinds = {WORKPLACES.get(str(p.get("type") or "").upper(), "") for p in places}
    return kinds.pop() if len(kinds) == 1 else ""


def _employment_type(job: dict) -> str:
    # Internships carry job_schedule_type "full-time" and is_intern null; only the title tells.
    if job.get("is_intern") is True or _INTERN.search(clean(job.get("title"))):
        return "intern"
    return SCHEDULES.get(clean(job.get("job_schedule_type")).lower(), "")


def _team(job: dict) -> str:
    team = team if isinstance(team := job.get("team"), dict) else {}
    label = clean(team.get("label")).removeprefix("team-").replace("-", " ")  # "team-alexa-speech" -> "alexa speech"
    for value in (job.get("job_category"), team.get("title"), label, job.get("business_category")):
        if clean(value):
            return clean(value)
    return ""



def detect(data: Any, url: str = "") -> bool:
    if "amazon.jobs" in url:
        return True
    jobs = data.get("jobs") if isinstance(data, dict) else None
    return isinstance(jobs, list) and bool(jobs) and isinstance(jobs[0], dict) and "id_icims" in jobs[0]


def detail_route(lab: Lab, posting: Posting) -> str | None:
    """None: a search result carries the whole posting: no detail request."""
    return None


async def probe(ctx: LabContext) -> int:
    """The first search page of the first query, parsed: the number of hits amazon.jobs reports."""
    url = search_url(ctx.lab, (ctx.lab.queries or [""])[0], 0, int(ctx.param("page_size", PAGE_SIZE)))
    _, hits = await off_loop(parse_page, (await ctx.send("GET", url)).content, ctx.lab, url)
    return hits
