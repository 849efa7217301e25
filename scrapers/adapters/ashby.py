"""Ashby job boards: every listed job, with description and compensation, in one GET."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ...models import Lab, ParseError, Posting
from ..fetch import LabContext
from ..html_text import html_to_text, safe_url
from ..paging import whole_board
from ..parsing import as_list, clean, jobs_of, load_json

BASE_URL = "https://api.ashbyhq.com"
WORKPLACES = {"remote": "remote", "hybrid": "hybrid", "onsite": "onsite"}
EMPLOYMENT_TYPES = {
    "fulltime": "full-time",
    "parttime": "part-time",
    "intern": "intern",
    "contract": "contract",
    "temporary": "temporary",
}
PERIODS = {"YEAR": "year", "MONTH": "month", "HOUR": "hour"}
# When tiers mix pay periods, the yearly figure is the one users compare.
PERIOD_PREFERENCE = ("year", "month", "hour")


def board_url(lab) -> str:
    base = lab.params.get("base_url", BASE_URL).rstrip("/")
    board = lab.params.get("board", lab.name)
    # Boards such as "mistral.ai" or "Rox Data Corp" must stay one path segment.
    return f"{base}/posting-api/job-board/{quote(board, safe='')}?includeCompensation=true"


async def scrape(ctx: LabContext) -> list[Posting]:
    return await whole_board(ctx, board_url(ctx.lab), parse)


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """Listed postings of a board response (`{"jobs": [...]}` or a bare list of jobs)."""
    jobs = jobs_of(load_json(body, lab.name, url), lab.name, url, "an Ashby job board")
    postings: list[Posting] = []
    seen: set[str] = set()
    for index, job in enumerate(jobs):
        posting = parse_job(job, lab, url, index)
        if posting is not None and posting.source_id not in seen:
            seen.add(posting.source_id)
            postings.append(posting)
    return postings


def parse_job(job: Any, lab, url: str, index: int = 0) -> Posting | None:
    """One job as a Posting, or None when the board marks it unlisted."""
    where = f"jobs[{index}]"
    if not isinstance(job, dict):
        raise ParseError(lab.name, url, f"{where} is {type(job).__name__}, not an object")
    if job.get("isListed") is False:
        return None
    for key in ("id", "title"):
        if not isinstance(job.get(key), str) or not job[key].strip():
            raise ParseError(lab.name, url, f"{where} has no {key!r} text")
    source_id = job["id"]
    board = lab.params.get("board", lab.name)
    public_url = safe_url(job.get("jobUrl")) or f"https://jobs.ashbyhq.com/{quote(board, safe='')}/{source_id}"
    salary = salary_of(job.get("compensation"))
    extra = {"apply_url": safe_url(job.get("applyUrl"))}
    compensation = job.get("compensation")
    if isinstance(compensation, dict) and isinstance(compensation.get("compensationTierSummary"), str):
        extra["compensation"] = clean(compensation["compensationTierSummary"])
    return Posting(
        lab=lab.name,
        source_id=source_id,
        title=clean(job["title"]),
        url=public_url,
        description=_description(job),
        location=_location(job),
        team=_team(job),
        workplace=_workplace(job),
        employment_type=EMPLOYMENT_TYPES.get(str(job.get("employmentType") or "").lower(), ""),
        posted_at=job.get("publishedAt") if isinstance(job.get("publishedAt"), str) else None,
        updated_at=job.get("updatedAt") if isinstance(job.get("updatedAt"), str) else None,
        salary_min=salary[0],
        salary_max=salary[1],
        salary_currency=salary[2],
        salary_period=salary[3],
        extra={k: v for k, v in extra.items() if v},
    )


def salary_of(compensation: Any) -> tuple[float | None, float | None, str | None, str | None]:
    """(min, max, currency, period) of the base salary: lowest min and highest max over all tiers/zones."""
    empty = (None, None, None, None)
    if not isinstance(compensation, dict):
        return empty
    components: list[dict] = []
    for tier in as_list(compensation.get("compensationTiers")):
        if isinstance(tier, dict):
            components.extend(c for c in as_list(tier.get("components")) if isinstance(c, dict))
    if not any(_is_salary(c) for c in components):
        # Some boards fill only the summary; it already spans all tiers.
        components = [c for c in as_list(compensation.get("summaryComponents")) if isinstance(c, dict)]
    by_period: dict[str, list[dict]] = {}
    for component in components:
        period = _period(component.get("interval"))
        if _is_salary(component) and period:
            by_period.setdefault(period, []).append(component)
    for period in PERIOD_PREFERENCE:
        if period in by_period:
            return _span(by_period[period], period)
    return empty


def _span(components: list[dict], period: str) -> tuple[float | None, float | None, str | None, str]:
    currencies = [c["currencyCode"] for c in components if isinstance(c.get("currencyCode"), str)]
    currency = currencies[0] if currencies else None
    # Mixed currencies (zones abroad) would make one range meaningless: keep the first currency's.
    same = [c for c in components if c.get("currencyCode") in (currency, None)]
    mins = [_number(c.get("minValue")) for c in same]
    maxes = [_number(c.get("maxValue")) for c in same]
    low = min((v for v in mins if v is not None), default=None)
    high = max((v for v in maxes if v is not None), default=None)
    return low, high, currency, period


def _is_salary(component: dict) -> bool:
    has_value = _number(component.get("minValue")) is not None or _number(component.get("maxValue")) is not None
    return component.get("compensationType") == "Salary" and has_value


def _period(interval: Any) -> str | None:
    """'1 YEAR' -> 'year'; multi-unit intervals ('2 WEEK') have no period we store."""
    parts = str(interval or "").split()
    if len(parts) == 2 and parts[0] == "1":
        return PERIODS.get(parts[1].upper())
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)



def _description(job: dict) -> str:
    markup = job.get("descriptionHtml")
    if isinstance(markup, str) and markup.strip():
        return html_to_text(markup)
    plain = job.get("descriptionPlain")
    return html_to_text(plain) if isinstance(plain, str) else ""


def _location(job: dict) -> str:
    names = [clean(job.get("location"))]
    for secondary in as_list(job.get("secondaryLocations")):
        if isinstance(secondary, dict):
            names.append(clean(secondary.get("location")))
    return "; ".join(dict.fromkeys(n for n in names if n))


def _team(job: dict) -> str:
    department, team = clean(job.get("department")), clean(job.get("team"))
    if department and team and department != team:
        return f"{department} / {team}"
    return team or department


def _workplace(job: dict) -> str:
    kind = WORKPLACES.get(str(job.get("workplaceType") or "").lower(), "")
    if not kind and job.get("isRemote") is True:
        return "remote"
    return kind



def detect(data: Any, url: str = "") -> bool:
    if "ashbyhq.com" in url:
        return True
    jobs = data.get("jobs") if isinstance(data, dict) else data
    return isinstance(jobs, list) and bool(jobs) and isinstance(jobs[0], dict) and "jobUrl" in jobs[0] and "isListed" in jobs[0]


def detail_route(lab: Lab, posting: Posting) -> str | None:
    """None: the job board answer carries every posting whole: no detail request."""
    return None


async def probe(ctx: LabContext) -> int:
    """The job board in its one GET (as scrape asks it), parsed: the number of listed jobs."""
    return len(await scrape(ctx))
