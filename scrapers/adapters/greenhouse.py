"""Greenhouse job boards: the whole board, with content, in one GET."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ...models import Lab, ParseError, Posting, ScrapeError
from ..fetch import LabContext
from ..html_text import html_to_text, safe_url, unescape_entities
from ..paging import whole_board
from ..parsing import clean, jobs_of, load_json

BASE_URL = "https://boards-api.greenhouse.io"


def board_url(lab) -> str:
    if not lab.params.get("token"):
        raise ScrapeError(lab.name, "", "a greenhouse lab needs params.token (the board name in "
                                        "boards-api.greenhouse.io/v1/boards/TOKEN)", kind="config")
    base = lab.params.get("base_url", BASE_URL).rstrip("/")
    return f"{base}/v1/boards/{quote(lab.params['token'], safe='')}/jobs?content=true"


async def scrape(ctx: LabContext) -> list[Posting]:
    return await whole_board(ctx, board_url(ctx.lab), parse)


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """Postings of a board response (`{"jobs": [...]}`, a bare list, or one job object)."""
    data = load_json(body, lab.name, url)
    single = isinstance(data, dict) and "jobs" not in data and "id" in data and "title" in data
    jobs = [data] if single else jobs_of(data, lab.name, url, "a Greenhouse board")
    postings = []
    for index, job in enumerate(jobs):
        postings.append(parse_job(job, lab, url, index))
    return postings


def parse_job(job: Any, lab, url: str, index: int = 0) -> Posting:
    where = f"jobs[{index}]"
    if not isinstance(job, dict):
        raise ParseError(lab.name, url, f"{where} is {type(job).__name__}, not an object")
    for key in ("id", "title"):
        if job.get(key) in (None, ""):
            raise ParseError(lab.name, url, f"{where} has no {key!r}")
    if not isinstance(job["title"], str):
        raise ParseError(lab.name, url, f"{where}.title is {type(job['title']).__name__}, not text")
    content = job.get("content")
    description = html_to_text(unescape_entities(content)) if isinstance(content, str) else ""
    location = job.get("location")
    departments = job.get("departments") or []
    team = ", ".join(clean(d.get("name")) for d in departments if isinstance(d, dict) and d.get("name"))
    token = lab.params.get("token", lab.name)
    source_id = str(job["id"])
    public_url = safe_url(job.get("absolute_url")) or f"https://job-boards.greenhouse.io/{token}/jobs/{source_id}"
    return Posting(
        lab=lab.name,
        source_id=source_id,
        title=clean(job["title"]),
        url=public_url,
        description=description,
        location=clean(location.get("name")) if isinstance(location, dict) else "",
        team=team,
        workplace=_workplace(job),
        posted_at=job.get("first_published") if isinstance(job.get("first_published"), str) else None,
        updated_at=job.get("updated_at") if isinstance(job.get("updated_at"), str) else None,
        company=clean(job.get("company_name")),
        extra={k: job[k] for k in ("requisition_id", "internal_job_id") if job.get(k) is not None},
    )


def _workplace(job: dict) -> str:
    """Greenhouse has no standard field; boards put it in metadata ("Location Type") or the location text."""
    for item in job.get("metadata") or []:
        if isinstance(item, dict) and "location type" in str(item.get("name", "")).lower():
            value = str(item.get("value") or "").lower()
            for kind in ("remote", "hybrid"):
                if kind in value:
                    return kind
            if "site" in value or "office" in value:
                return "onsite"
    location = job.get("location")
    name = str(location.get("name", "")).lower() if isinstance(location, dict) else ""
    return "remote" if "remote" in name else ""


def detect(data: Any, url: str = "") -> bool:
    if "greenhouse" in url:
        return True
    if isinstance(data, dict):
        jobs = data.get("jobs")
        return isinstance(jobs, list) and bool(jobs) and isinstance(jobs[0], dict) and "absolute_url" in jobs[0]
    return isinstance(data, list) and bool(data) and isinstance(data[0], dict) and "absolute_url" in data[0]


def detail_route(lab: Lab, posting: Posting) -> str | None:
    """None: the board answer carries every posting with its content: no detail request."""
    return None


async def probe(ctx: LabContext) -> int:
    """The board in its one GET (as scrape asks it), parsed: the number of jobs it lists."""
    return len(await scrape(ctx))
