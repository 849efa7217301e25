"""Workable accounts: every published job, with its description, from the widget API in one GET."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from ...models import Lab, ParseError, Posting
from ..fetch import LabContext
from ..html_text import html_to_text, safe_url
from ..paging import whole_board
from ..parsing import as_list, clean, load_json, require, shape_of

BASE_URL = "https://apply.workable.com"
EMPLOYMENT_TYPES = {
    "full-time": "full-time",
    "full time": "full-time",
    "part-time": "part-time",
    "part time": "part-time",
    "contract": "contract",
    "contractor": "contract",
    "temporary": "temporary",
    "internship": "intern",
    "intern": "intern",
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def account_url(lab) -> str:
    base = lab.params.get("base_url", BASE_URL).rstrip("/")
    account = lab.params.get("account", lab.name)
    return f"{base}/api/v1/widget/accounts/{quote(account, safe='')}?details=true"


async def scrape(ctx: LabContext) -> list[Posting]:
    return await whole_board(ctx, account_url(ctx.lab), parse)


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """Postings of a widget response `{"name", "description", "jobs": [...]}` (with or without details)."""
    data = load_json(body, lab.name, url)
    if not isinstance(data, dict) or "jobs" not in data:
        raise ParseError(lab.name, url, f"expected a Workable account with a 'jobs' list, got {shape_of(data)}")
    jobs = require(data, "jobs", list, lab.name, url)
    company = clean(data.get("name"))
    postings: list[Posting] = []
    seen: set[str] = set()
    for index, job in enumerate(jobs):
        posting = parse_job(job, lab, url, index, company)
        if posting.source_id not in seen:
            seen.add(posting.source_id)
            postings.append(posting)
    return postings


def parse_job(job: Any, lab, url: str, index: int = 0, company: str = "") -> Posting:
    where = f"jobs[{index}]"
    if not isinstance(job, dict):
        raise ParseError(lab.name, url, f"{where} is {type(job).__name__}, not an object")
    for key in ("shortcode", "title"):
        if not isinstance(job.get(key), str) or not job[key].strip():
            raise ParseError(lab.name, url, f"{where} has no {key!r} text")
    shortcode = job["shortcode"].strip()
    account = lab.params.get("account", lab.name)
    public_url = (
        safe_url(job.get("url"))
        or safe_url(job.get("shortlink"))
        or f"https://apply.workable.com/{quote(account, safe='')}/j/{quote(shortcode, safe='')}/"
    )
    extra = {
        "application_url": safe_url(job.get("application_url")),
        "created_at": _date(job.get("created_at")),
        "experience": clean(job.get("experience")),
        "code": clean(job.get("code")),
    }
    description = job.get("description")
    return Posting(
        lab=lab.name,
        source_id=shortcode,
        title=clean(job["title"]),
        url=public_url,
        description=html_to_text(description) if isinstance(description, str) else "",
        location=_location(job),
        team=clean(job.get("department")),
        workplace="remote" if job.get("telecommuting") is True else "",
        employment_type=_employment_type(job),
        posted_at=_date(job.get("published_on")) or _date(job.get("created_at")),
        company=company,
        extra={k: v for k, v in extra.items() if v},
    )


def _employment_type(job: dict) -> str:
    # Boards file internships as "Other" or "Part-time"; the experience level says what they are.
    if clean(job.get("experience")).lower() == "internship":
        return "intern"
    return EMPLOYMENT_TYPES.get(clean(job.get("employment_type")).lower(), "")


def _location(job: dict) -> str:
    places = []
    for place in as_list(job.get("locations")):
        if isinstance(place, dict) and place.get("hidden") is not True:
            places.append(_place(place.get("city"), place.get("region"), place.get("country")))
    if not any(places):
        places = [_place(job.get("city"), job.get("state"), job.get("country"))]
    text = "; ".join(dict.fromkeys(p for p in places if p))
    if not text and job.get("telecommuting") is True:
        return "Remote"
    return text


def _place(*parts: Any) -> str:
    return ", ".join(dict.fromkeys(clean(p) for p in parts if clean(p)))


def _date(value: Any) -> str | None:
    return value if isinstance(value, str) and _DATE.match(value) else None



def detect(data: Any, url: str = "") -> bool:
    if "workable.com" in url:
        return True
    jobs = data.get("jobs") if isinstance(data, dict) else None
    return isinstance(jobs, list) and bool(jobs) and isinstance(jobs[0], dict) and "shortcode" in jobs[0]


def detail_route(lab: Lab, posting: Posting) -> str | None:
    """None: the widget answer (details=true) carries every posting whole: no detail request."""
    return None


async def probe(ctx: LabContext) -> int:
    """The account's widget answer in its one GET (as scrape asks it), parsed: the number of published jobs."""
    return len(await scrape(ctx))
