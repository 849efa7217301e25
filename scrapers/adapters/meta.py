"""Meta careers (metacareers.com): an lsd token, one Relay GraphQL search per query, JSON-LD job pages as details."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from ...models import Lab, ParseError, Posting, ScrapeError
from ..details import Listed, fetch_details, listing_match
from ..fetch import LabContext
from ..paging import each
from ..parsing import clean
from .jsonld import postings_from_html

BASE_URL = "https://www.metacareers.com"
PUBLIC_URL = "https://www.metacareers.com"  # job pages for humans stay on the real site when base_url points at a mirror
GRAPHQL_PATH = "/api/graphql/"
OPERATION = "CareersJobSearchResultsV2DataQuery"
RESULT_KEYS = ("job_search_with_featured_jobs_v2", "job_search_with_featured_jobs")
LSD_PATTERNS = (
    re.compile(r'"LSD",\[\],\{"token":"([^"]+)"'),
    re.compile(r'name="lsd" value="([^"]+)"'),
)
JOB_URL_ID = re.compile(r"/jobs/(\d+)")
JSON_GUARD = "for (;;);"  # Facebook's anti-JSON-hijacking prefix
DOC_ID_HINT = "doc_id may have rotated: take the current one from the CareersJobSearchResults RelayOperation in Meta's JS"
_DECODER = json.JSONDecoder()


def base_url(lab) -> str:
    return str(lab.params.get("base_url", BASE_URL)).rstrip("/")


def search_variables(query: str) -> dict[str, Any]:
    """The `variables` of the job search: everything unfiltered except the query, newest first."""
    return {"search_input": {
        "q": query, "divisions": [], "offices": [], "roles": [], "leadership_levels": [], "saved_jobs": [],
        "saved_searches": [], "sub_teams": [], "teams": [], "is_leadership": False, "is_remote_only": False,
        "sort_by_new": True, "results_per_page": None,
    }}


async def scrape(ctx: LabContext) -> list[Posting]:
    base = base_url(ctx.lab)
    doc_id = ctx.param("doc_id")
    if not doc_id:
        raise ctx.parse_error(base + GRAPHQL_PATH, "a meta lab needs params.doc_id (the job search query id)")
    lsd = await lsd_token(ctx, base)
    merged: dict[str, Posting] = {}
    # Queries are independent: all are requested at once (the host gate keeps the lab's limits).
    for postings in await each(ctx.lab.queries or [""], lambda query: _search(ctx, base, lsd, str(doc_id), query)):
        for posting in postings:
            merged.setdefault(posting.source_id, posting)
    # Team filters apply before the detail requests: a detail per Meta job would be hundreds of requests.
    wanted = [p for p in merged.values() if listing_match(ctx.lab, p)]
    listed = [Listed(p, p.extra["listing_key"]) for p in wanted]
    return await fetch_details(ctx, listed, lambda item: _detail(ctx, item.posting))


async def lsd_token(ctx: LabContext, base: str) -> str:
    """The lsd token of the jobs page (the httpx client keeps the cookies that come with it)."""
    url = f"{base}/jobs"
    # no-store: the token (and the cookies that come with it) must be fresh, never a stored page.
    response = await _send(ctx, "GET", url, headers={"Cache-Control": "no-store"})
    token = find_lsd(response.text)
    if not token:
        raise ctx.parse_error(url, 'no lsd token in the jobs page (looked for "LSD",[],{"token":…} and '
                                   'name="lsd"): Meta changed the page, or a bot wall answered')
    return token


def find_lsd(page: str) -> str | None:
    for pattern in LSD_PATTERNS:
        match = pattern.search(page)
        if match:
            return match.group(1)
    return None


async def _search(ctx: LabContext, base: str, lsd: str, doc_id: str, query: str) -> list[Posting]:
    url = base + str(ctx.param("graphql_path", GRAPHQL_PATH))
    operation = str(ctx.param("operation", OPERATION))
    form = {"lsd": lsd, "doc_id": doc_id, "fb_api_caller_class": "RelayModern", "fb_api_req_friendly_name": operation,
            "variables": json.dumps(search_variables(query), separators=(",", ":"))}
    headers = {"X-FB-LSD": lsd, "X-FB-Friendly-Name": operation}
    response = await _send(ctx, "POST", url, data=form, headers=headers, hint=DOC_ID_HINT)
    return parse_search(response.content, ctx.lab, url)


async def _send(ctx: LabContext, method: str, url: str, *, hint: str = "", **kwargs: Any):
    """ctx.send, with Meta's bot wall (HTTP 400/403) named as such."""
    try:
        return await ctx.send(method, url, **kwargs)
    except ScrapeError as exc:
        raise _named_waf(ctx, url, exc, hint) from None


def _named_waf(ctx: LabContext, url: str, exc: ScrapeError, hint: str = "") -> ScrapeError:
    if exc.status not in (400, 403):
        return exc
    extra = f"; or {hint}" if hint else ""
    return ScrapeError(ctx.name, url, f"{exc.reason}: Meta's WAF refused the request{extra}", status=exc.status)


async def _detail(ctx: LabContext, posting: Posting) -> Posting | None:
    """The posting completed from its job page; None (and reported gone) when the page answers 404/410."""
    url = detail_route(ctx.lab, posting)
    try:
        response = await ctx.detail(posting.source_id, url)
    except ScrapeError as exc:
        raise _named_waf(ctx, url, exc) from None
    if response is None:
        return None
    return apply_detail(posting, job_page(response.text, ctx.lab, url, warn=ctx.warn))


def job_page(page: str, lab, url: str, warn=None) -> Posting:
    """The JobPosting JSON-LD of a job page."""
    found = postings_from_html(page, lab, url, warn=warn)
    if not found:
        raise ParseError(lab.name, url, "no JobPosting JSON-LD in the job page (Meta changed it, or a login or bot "
                                        "page came back)")
    return found[0]


def apply_detail(posting: Posting, page: Posting) -> Posting:
    """The search result completed with the job page's text, dates, type and pay; id, title and teams stay."""
    return dataclasses.replace(
        posting,
        description=page.description or posting.description,
        location=posting.location or page.location,
        workplace=page.workplace or posting.workplace,
        employment_type=page.employment_type or posting.employment_type,
        posted_at=page.posted_at or posting.posted_at,
        updated_at=page.updated_at or posting.updated_at,
        salary_min=page.salary_min, salary_max=page.salary_max,
        salary_currency=page.salary_currency, salary_period=page.salary_period,
        extra=dict(posting.extra),
    )


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """Postings of a job search response, or the posting of one job page (HTML with JobPosting JSON-LD)."""
    text = body.decode("utf-8-sig", "replace") if isinstance(body, bytes) else body
    if text.lstrip().startswith("<") and "graphql" not in url:
        page = job_page(text, lab, url)
        job_id = JOB_URL_ID.search(url)
        return [dataclasses.replace(page, source_id=job_id.group(1)) if job_id else page]
    return parse_search(text, lab, url)


def parse_search(body: bytes | str, lab, url: str) -> list[Posting]:
    """Every job of a search response (`data.job_search_with_featured_jobs(_v2).all_jobs`); featured jobs are ads."""
    data = load_graphql(body, lab, url)
    search = next((data[k] for k in RESULT_KEYS if isinstance(data.get(k), dict)), None)
    if search is None:
        raise ParseError(lab.name, url, f"no {' or '.join(RESULT_KEYS)} in data (keys: "
                                        f"{', '.join(sorted(data)[:8])}); {DOC_ID_HINT}")
    jobs = search.get("all_jobs")
    if not isinstance(jobs, list):
        raise ParseError(lab.name, url, f"all_jobs should be a list, got {type(jobs).__name__}")
    return [parse_job(job, lab, url, index) for index, job in enumerate(jobs)]


def load_graphql(body: bytes | str, lab, url: str) -> dict:
    """The `data` object of a GraphQL answer (sent as text/html, maybe behind `for (;;);`)."""
    text = (body.decode("utf-8-sig", "replace") if isinstance(body, bytes) else body).strip()
    text = text.removeprefix(JSON_GUARD).lstrip()
    if not text:
        raise ParseError(lab.name, url, f"empty body where the job search JSON was expected; {DOC_ID_HINT}")
    if text.startswith("<"):
        snippet = " ".join(text[:80].split())
        raise ParseError(lab.name, url, f"got HTML where the job search JSON was expected ({snippet!r}): a bot wall, "
                                        f"or {DOC_ID_HINT}")
    try:
        # Relay may stream more objects after the first; the first one holds the results.
        answer, _ = _DECODER.raw_decode(text)
    except json.JSONDecodeError as exc:
        raise ParseError(lab.name, url, f"invalid JSON at character {exc.pos}: {exc.msg}") from None
    except RecursionError:
        raise ParseError(lab.name, url, "JSON nested too deeply to read") from None
    if not isinstance(answer, dict):
        raise ParseError(lab.name, url, f"expected a JSON object, got {type(answer).__name__}")
    if answer.get("errors") and not answer.get("data"):
        messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in answer["errors"])
        raise ParseError(lab.name, url, f"GraphQL errors: {messages[:200]}; {DOC_ID_HINT}")
    if answer.get("error"):
        raise ParseError(lab.name, url, f"Meta answered error {answer['error']!r} "
                                        f"({clean(str(answer.get('errorSummary', '')))}); {DOC_ID_HINT}")
    data = answer.get("data")
    if not isinstance(data, dict):
        raise ParseError(lab.name, url, f"no 'data' object in the answer (keys: {', '.join(sorted(answer)[:8])}); "
                                        f"{DOC_ID_HINT}")
    return data


def parse_job(job: Any, lab, url: str, index: int = 0) -> Posting:
    where = f"all_jobs[{index}]"
    if not isinstance(job, dict):
        raise ParseError(lab.name, url, f"{where} is {type(job).__name__}, not an object")
    if job.get("id") in (None, "") or not isinstance(job.get("title"), str) or not job["title"].strip():
        raise ParseError(lab.name, url, f"{where} has no 'id' and 'title'")
    source_id = str(job["id"])
    title = clean(job["title"])
    locations = _texts(job.get("locations"))
    teams = _texts(job.get("teams")) + _texts(job.get("sub_teams"))
    team = ", ".join(dict.fromkeys(teams))
    return Posting(
        lab=lab.name,
        source_id=source_id,
        title=title,
        url=f"{PUBLIC_URL}/jobs/{source_id}/",
        location="; ".join(locations),
        team=team,
        workplace="remote" if any("remote" in loc.lower() for loc in locations) else "",
        company="Meta",
        extra={"listing_key": "|".join([title, *sorted(locations), team])},
    )


def _texts(value: Any) -> list[str]:
    return [clean(v) for v in value if isinstance(v, str) and v.strip()] if isinstance(value, list) else []


def detect(data: Any, url: str = "") -> bool:
    if "metacareers.com" in url:
        return True
    inner = data.get("data") if isinstance(data, dict) else None
    return isinstance(inner, dict) and any(k in inner for k in RESULT_KEYS)


def detail_route(lab: Lab, posting: Posting) -> str:
    """GET the job page, whose JobPosting JSON-LD holds the description, dates, type and pay."""
    return f"{base_url(lab)}/jobs/{posting.source_id}/"


async def probe(ctx: LabContext) -> int:
    """The lsd token and one job search of the first query (no job pages): the jobs it answers."""
    base = base_url(ctx.lab)
    doc_id = ctx.param("doc_id")
    if not doc_id:
        raise ctx.config_error(base + GRAPHQL_PATH, "a meta lab needs params.doc_id (the job search query id)")
    lsd = await lsd_token(ctx, base)
    try:
        return len(await _search(ctx, base, lsd, str(doc_id), (ctx.lab.queries or [""])[0]))
    except ParseError as exc:
        if DOC_ID_HINT not in exc.reason:
            raise
        raise ScrapeError(exc.lab, exc.url, exc.reason, status=exc.status, kind="config") from None
