"""Meta careers (metacareers.com): the search page for an lsd token, one Relay GraphQL search per query, job pages
(JSON-LD) as details.

The search is a persisted query named by a `doc_id` that Meta rotates. The id that answered last is kept with
the lab (ctx.state) and used until it fails; then the current one is read from Meta's JS bundles (module
`<operation>_…RelayOperation`, whose `exports` is the id), and the configured `params.doc_id` is the fallback.
A throttled search (HTTP 200, error 1675004) is reported as throttled, never taken for a rotated id.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from ...models import Lab, ParseError, Posting, ScrapeError
from ..details import Listed, fetch_details, listing_match
from ..fetch import GONE_STATUSES, LabContext
from ..paging import each
from ..parsing import clean
from .jsonld import postings_from_html

BASE_URL = "https://www.metacareers.com"
PUBLIC_URL = "https://www.metacareers.com"  # job pages for humans stay on the real site when base_url points at a mirror
PAGE_PATH = "/jobsearch/"  # the search page (/jobs redirects here): lsd token and JS bundles
GRAPHQL_PATH = "/api/graphql/"
OPERATION = "CareersJobSearchResultsV2DataQuery"
# Newer job pages first; the older permalink answers for jobs the newer path does not know.
DETAIL_PATHS = ("/profile/job_details/{id}/", "/jobs/{id}/")
RESULT_KEYS = ("job_search_with_featured_jobs_v2", "job_search_with_featured_jobs")
FLAT_KEY = "job_search"  # older deploys answer a flat list
THROTTLED_CODE = 1675004
THROTTLED_WORDS = ("rate limit", "too many requests")
LSD_PATTERNS = (
    re.compile(r'"LSD",\[\],\{"token":"([^"]+)"'),
    re.compile(r'"LSD"\s*,\s*\[\s*\]\s*,\s*\{\s*"token"\s*:\s*"([^"]+)"'),
    re.compile(r'name="lsd" value="([^"]+)"'),
)
# Bundle URLs in the page: in src="…" attributes and JSON-escaped ("https:\/\/static.xx.fbcdn.net\/rsrc.php\/…").
BUNDLE_URL = re.compile(r"https:(?:\\?/){2}static\.xx\.fbcdn\.net\\?/rsrc\.php\\?/[^\"'\s<>]+?\.js")
MAX_BUNDLES = 12
JOB_URL_ID = re.compile(r"/(?:jobs|profile/job_details)/(\d+)")
JSON_GUARD = "for (;;);"  # Facebook's anti-JSON-hijacking prefix
STATE_KEY = "doc_id:{operation}"
DOC_ID_HINT = "doc_id may have rotated: take the current one from the CareersJobSearchResults RelayOperation in Meta's JS"
# A browser's headers for a page it navigates to, and for a script it loads; the lab's own headers (labs.toml)
# are those of the search (an XHR), so their Origin is left off these.
NAVIGATE = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none",
            "Sec-Fetch-User": "?1", "Upgrade-Insecure-Requests": "1"}
SCRIPT = {"Accept": "*/*", "Sec-Fetch-Dest": "script", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "cross-site"}
NOT_NAVIGATION = frozenset({"Origin"})
TYPED = NOT_NAVIGATION | {"Referer"}  # the search page is opened as if typed in: no referrer (Sec-Fetch-Site: none)
_DECODER = json.JSONDecoder()


class StaleQuery(ParseError):
    """The search answered an error instead of results: the doc_id is not (or no longer) a known query."""


class Throttled(ScrapeError):
    """Meta asked us to slow down (HTTP 200 with error 1675004): retried on the next run."""

    default_kind = "throttled"


@dataclasses.dataclass(frozen=True)
class Session:
    """What the search page gave: its URL, the lsd token and the page (its JS bundles hold the query ids)."""

    page_url: str
    lsd: str
    html: str


def base_url(lab) -> str:
    return str(lab.params.get("base_url", BASE_URL)).rstrip("/")


def operation(lab) -> str:
    return str(lab.params.get("operation", OPERATION))


def search_variables(query: str) -> dict[str, Any]:
    """The `variables` of the job search: every search_input key (unfiltered but the query, newest first) and
    the anonymous viewer."""
    return {"search_input": {
        "q": query, "divisions": [], "offices": [], "roles": [], "leadership_levels": [], "saved_jobs": [],
        "saved_searches": [], "sub_teams": [], "teams": [], "is_leadership": False, "is_remote_only": False,
        "sort_by_new": True, "results_per_page": None,
    }, "viewasUserID": None, "isLoggedIn": False}


def search_form(lsd: str, doc_id: str, operation_name: str, query: str) -> dict[str, str]:
    """The form fields of the GraphQL search, as Meta's own Relay client sends them."""
    return {"lsd": lsd, "__a": "1", "fb_api_caller_class": "RelayModern",
            "fb_api_req_friendly_name": operation_name, "server_timestamps": "true",
            "variables": json.dumps(search_variables(query), separators=(",", ":")), "doc_id": doc_id}


async def scrape(ctx: LabContext) -> list[Posting]:
    session = await open_session(ctx)
    queries = ctx.lab.queries or [""]
    # The first query finds the working doc_id; the others use it, all at once (the host gate keeps the limits).
    doc_id, first = await working_search(ctx, session, queries[0])
    merged: dict[str, Posting] = {}
    for postings in [first, *await each(queries[1:], lambda query: _search(ctx, session, doc_id, query))]:
        for posting in postings:
            merged.setdefault(posting.source_id, posting)
    # Team filters apply before the detail requests: a detail per Meta job would be hundreds of requests.
    wanted = [p for p in merged.values() if listing_match(ctx.lab, p)]
    listed = [Listed(p, p.extra["listing_key"]) for p in wanted]
    return await fetch_details(ctx, listed, lambda item: _detail(ctx, item.posting))


async def probe(ctx: LabContext) -> int | None:
    """The search page and one search (the lab's first query): the number of jobs it found."""
    session = await open_session(ctx)
    _, postings = await working_search(ctx, session, (ctx.lab.queries or [""])[0])
    return len(postings)


async def open_session(ctx: LabContext) -> Session:
    """The search page's lsd token (the httpx client keeps the cookies that come with it)."""
    url = base_url(ctx.lab) + str(ctx.param("page_path", PAGE_PATH))
    # no-store: the token (and the cookies that come with it) must be fresh, never a stored page.
    response = await _request(ctx, "GET", url, own={**NAVIGATE, "Cache-Control": "no-store"}, drop=TYPED)
    token = find_lsd(response.text)
    if not token:
        raise ctx.parse_error(url, 'no lsd token in the search page (looked for "LSD",[],{"token":…} and '
                                   'name="lsd"): Meta changed the page, or a bot wall answered')
    return Session(url, token, response.text)


def find_lsd(page: str) -> str | None:
    for pattern in LSD_PATTERNS:
        match = pattern.search(page)
        if match:
            return match.group(1)
    return None


async def working_search(ctx: LabContext, session: Session, query: str) -> tuple[str, list[Posting]]:
    """One query's results with the first doc_id the search knows: the one kept from the last run, the one in
    Meta's JS bundles, then the configured one. The id that answered is kept for the next runs."""
    state_key = STATE_KEY.format(operation=operation(ctx.lab))
    tried: list[str] = []
    last: StaleQuery | None = None
    async with contextlib.aclosing(candidate_ids(ctx, session, state_key)) as candidates:
        async for doc_id in candidates:
            if doc_id in tried:
                continue
            tried.append(doc_id)
            try:
                postings = await _search(ctx, session, doc_id, query)
            except StaleQuery as exc:
                last = exc
                if ctx.state.get(state_key) == doc_id:
                    del ctx.state[state_key]
                continue
            ctx.state[state_key] = doc_id
            return doc_id, postings
    url = base_url(ctx.lab) + str(ctx.param("graphql_path", GRAPHQL_PATH))
    if not tried:
        raise ScrapeError(ctx.name, url, f"no doc_id: none in Meta's JS bundles and no params.doc_id; set "
                                         f"params.doc_id of [labs.{ctx.name}] to the id of {operation(ctx.lab)}",
                          kind="config")
    raise ScrapeError(ctx.name, url, f"the job search knows none of the doc_ids tried ({', '.join(tried)}): "
                                     f"{last.reason if last else 'no results'}; set params.doc_id of [labs.{ctx.name}] "
                                     f"to the current id of {operation(ctx.lab)} (Meta's JS: __d(\"{operation(ctx.lab)}"
                                     f"_…RelayOperation\", … exports=\"<id>\"))", kind="config")


async def candidate_ids(ctx: LabContext, session: Session, state_key: str) -> AsyncGenerator[str, None]:
    """The kept id, the id in Meta's JS bundles (read only when the kept one is missing or failed), the configured one."""
    kept = ctx.state.get(state_key)
    if kept:
        yield kept
    found = await discover_doc_id(ctx, session)
    if found:
        yield found
    configured = ctx.param("doc_id")
    if configured:
        yield str(configured)


async def discover_doc_id(ctx: LabContext, session: Session) -> str | None:
    """The doc_id of the lab's operation in the search page's JS bundles (None, with a warning, when not found)."""
    bundles = bundle_urls(session.html)[:int(ctx.param("max_bundles", MAX_BUNDLES))]
    for url in bundles:
        try:
            response = await _request(ctx, "GET", _rebased(url, ctx.param("base_url")),
                                      own={**SCRIPT, "Referer": session.page_url}, drop=NOT_NAVIGATION)
        except ScrapeError as exc:
            ctx.warn(f"could not read a Meta JS bundle while looking for the doc_id: {exc}")
            continue
        found = find_doc_id(response.text, operation(ctx.lab))
        if found:
            return found
    ctx.warn(f"no {operation(ctx.lab)} id in the {len(bundles)} JS bundle(s) of the search page: "
             "using the configured doc_id")
    return None


def bundle_urls(page: str) -> list[str]:
    """The JS bundle URLs of a page, unescaped, in page order, once each."""
    return list(dict.fromkeys(match.replace("\\/", "/") for match in BUNDLE_URL.findall(page)))


def find_doc_id(bundle: str, operation_name: str) -> str | None:
    """The id a bundle's `<operation>_…RelayOperation` module exports."""
    pattern = re.compile(rf'__d\("{re.escape(operation_name)}_[A-Za-z_]*[Rr]elayOperation".{{0,400}}?'
                         r'exports\s*=\s*"(\d{15,25})"', re.S)
    match = pattern.search(bundle)
    return match.group(1) if match else None


def _rebased(url: str, base: Any) -> str:
    """The URL on params.base_url's scheme and host when set (a mirror or test server serves the bundles too)."""
    if not base:
        return url
    target, parts = urlsplit(str(base)), urlsplit(url)
    return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, ""))


async def _search(ctx: LabContext, session: Session, doc_id: str, query: str) -> list[Posting]:
    url = base_url(ctx.lab) + str(ctx.param("graphql_path", GRAPHQL_PATH))
    name = operation(ctx.lab)
    response = await _request(ctx, "POST", url, data=search_form(session.lsd, doc_id, name, query),
                              own={"X-FB-LSD": session.lsd, "X-FB-Friendly-Name": name})
    return parse_search(response.content, ctx.lab, url)


async def _request(ctx: LabContext, method: str, url: str, *, own: dict[str, str],
                   drop: frozenset[str] = frozenset(), **kwargs: Any) -> httpx.Response:
    """ctx.send with the call's own headers over the lab's (`drop` leaves lab headers off), and Meta's bot wall
    (HTTP 400/403) named as such."""
    headers: dict[str, str | None] = {**dict.fromkeys(drop), **own}
    try:
        return await ctx.send(method, url, headers=headers, **kwargs)
    except ScrapeError as exc:
        raise _named_waf(ctx, url, exc) from None


def _named_waf(ctx: LabContext, url: str, exc: ScrapeError) -> ScrapeError:
    if exc.status not in (400, 403):
        return exc
    return ScrapeError(ctx.name, url, f"{exc.reason}: Meta's WAF refused the request (it refuses requests without "
                                      "a browser's headers: see the lab's headers in labs.toml)", status=exc.status,
                       kind="firewall")


async def _detail(ctx: LabContext, posting: Posting) -> Posting:
    """The posting completed from its job page (newer path, then the older permalink).

    The search lists the posting, so it stays open even when neither page answers: a job page's 404 while
    the listing shows the job is Meta's page, not the job, going away.
    """
    tried = []
    for path in DETAIL_PATHS:
        url = base_url(ctx.lab) + path.format(id=posting.source_id)
        response = await _request(ctx, "GET", url, own={**NAVIGATE, "Sec-Fetch-Site": "same-origin"},
                                  drop=NOT_NAVIGATION, ok_statuses=GONE_STATUSES)
        if response.status_code not in GONE_STATUSES:
            return apply_detail(posting, job_page(response.text, ctx.lab, url, warn=ctx.warn))
        tried.append(f"{url} (HTTP {response.status_code})")
    ctx.warn(f"job {posting.source_id} is in the search but its page is not: {', '.join(tried)}; "
             "kept with what was known of it")
    return ctx.previous.get(posting.source_id) or posting


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
    """Every job of a search response: `data.job_search_with_featured_jobs(_v2).all_jobs` (featured jobs are
    ads), or the flat `data.job_search` list of older deploys."""
    data = load_graphql(body, lab, url)
    jobs = search_jobs(data, lab, url)
    return [parse_job(job, lab, url, index) for index, job in enumerate(jobs)]


def search_jobs(data: dict, lab, url: str) -> list:
    """The job list of a search answer's `data`, in either shape."""
    search = next((data[k] for k in RESULT_KEYS if isinstance(data.get(k), dict)), None)
    if search is None and FLAT_KEY in data:
        search = data[FLAT_KEY]
        if isinstance(search, list):
            return search
    if search is None:
        raise StaleQuery(lab.name, url, f"no {', '.join(RESULT_KEYS)} or {FLAT_KEY} in data (keys: "
                                        f"{', '.join(sorted(data)[:8])}); {DOC_ID_HINT}")
    if not isinstance(search, dict):
        raise ParseError(lab.name, url, f"{FLAT_KEY} should be a list or an object, got {type(search).__name__}")
    jobs = search.get("all_jobs")
    if not isinstance(jobs, list):
        raise ParseError(lab.name, url, f"all_jobs should be a list, got {type(jobs).__name__}")
    return jobs


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
    _raise_throttled(answer, lab, url)
    if answer.get("errors") and not answer.get("data"):
        raise StaleQuery(lab.name, url, f"GraphQL errors: {_messages(answer['errors'])[:200]}; {DOC_ID_HINT}")
    if answer.get("error"):
        raise StaleQuery(lab.name, url, f"Meta answered error {answer['error']!r} "
                                        f"({clean(str(answer.get('errorSummary', '')))}); {DOC_ID_HINT}")
    data = answer.get("data")
    if not isinstance(data, dict):
        raise StaleQuery(lab.name, url, f"no 'data' object in the answer (keys: {', '.join(sorted(answer)[:8])}); "
                                        f"{DOC_ID_HINT}")
    return data


def _raise_throttled(answer: dict, lab, url: str) -> None:
    """Throttled: error code 1675004 (or a rate-limit message), in `errors` or as the answer's own `error`."""
    raw = answer.get("errors")
    entries = [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []
    if answer.get("error"):
        entries.append({"code": answer.get("error"), "message": answer.get("errorSummary", "")})
    for entry in entries:
        message = str(entry.get("message") or entry.get("summary") or "")
        if str(entry.get("code")) == str(THROTTLED_CODE) or any(w in message.lower() for w in THROTTLED_WORDS):
            raise Throttled(lab.name, url, f"Meta throttled the job search (error {entry.get('code')}: "
                                           f"{clean(message)[:80] or 'rate limit'}); the lab is tried again on the "
                                           "next run, its postings kept")


def _messages(errors: Any) -> str:
    items = errors if isinstance(errors, list) else [errors]
    return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in items)


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
        url=PUBLIC_URL + DETAIL_PATHS[0].format(id=source_id),
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
    return isinstance(inner, dict) and (any(k in inner for k in RESULT_KEYS) or isinstance(inner.get(FLAT_KEY), list))


def detail_route(lab: Lab, posting: Posting) -> str:
    """GET the job page (the newer path; the older permalink is the fallback), whose JobPosting JSON-LD holds the
    description, dates, type and pay."""
    return base_url(lab) + DETAIL_PATHS[0].format(id=posting.source_id)
