"""Every lab's career site as a local server would answer it, scaled up from the demo's sample postings.

Each generator takes a lab (its params.base_url pointing at the lab's virtual host) and a number of
postings, clones the demo's sample postings of that format with new ids (tools/demo builders), and
returns the answer to every request the adapter makes: list pages per query, detail pages, tokens.
Requests are keyed like HAR replay (method, normalized URL path and query, normalized body).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from asr_jobs.models import Lab
from asr_jobs.scrapers.adapters import (
    amazon,
    apple,
    ashby,
    eightfold,
    google,
    greenhouse,
    meta,
    workable,
    workday,
)
from asr_jobs.scrapers.har import entry_body, request_key  # noqa: E402
from tools.demo import amazon as amazon_demo  # noqa: E402
from tools.demo import apple as apple_demo  # noqa: E402
from tools.demo import ashby as ashby_demo  # noqa: E402
from tools.demo import eightfold as eightfold_demo  # noqa: E402
from tools.demo import google as google_demo  # noqa: E402
from tools.demo import greenhouse as greenhouse_demo  # noqa: E402
from tools.demo import meta as meta_demo  # noqa: E402
from tools.demo import mit as mit_demo  # noqa: E402
from tools.demo import workable as workable_demo  # noqa: E402
from tools.demo import workday as workday_demo  # noqa: E402

JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"

# The virtual host of each lab: labs that share a real host (Greenhouse, Ashby boards) share one here too,
# so they share its per-host limit exactly as they do on the internet.
HOSTS = {
    "anthropic": "boards-api.greenhouse.test", "google-deepmind": "boards-api.greenhouse.test",
    "assemblyai": "boards-api.greenhouse.test", "ai2": "boards-api.greenhouse.test",
    "openai": "api.ashbyhq.test", "deepgram": "api.ashbyhq.test", "speechmatics": "apply.workable.test",
    "nvidia": "nvidia.wd5.myworkdayjobs.test", "adobe-research": "adobe.wd5.myworkdayjobs.test",
    "cmu-lti": "cmu.wd115.myworkdayjobs.test", "microsoft-research": "apply.careers.microsoft.test",
    "jhu-clsp": "hiring.jhu.test", "amazon-science": "www.amazon.test", "apple-ml": "jobs.apple.test",
    "google-research": "www.google.test", "meta-fair": "www.metacareers.test", "mit-csail": "www.csail.mit.test",
}

# Postings per lab for the full benchmark: a few thousand in all, sized so that the hosts that need a
# request per posting (details) have queues of similar length, as on the real sites.
SIZES = {
    "anthropic": 150, "google-deepmind": 150, "assemblyai": 60, "ai2": 90, "openai": 180, "deepgram": 60,
    "speechmatics": 50, "nvidia": 140, "adobe-research": 145, "cmu-lti": 145, "microsoft-research": 125,
    "jhu-clsp": 68, "amazon-science": 300, "apple-ml": 140, "google-research": 140, "meta-fair": 123,
    "mit-csail": 78,
}

Key = tuple[str, str, str, str]  # host, method, normalized URL, normalized body


@dataclass
class Answer:
    """What the server sends for one request."""

    body: bytes
    content_type: str = JSON
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def key(host: str, method: str, url: str, body: str | None = None) -> Key:
    """The route key of a request: the host and what HAR replay matches on (path, sorted query, body)."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return (host, *request_key(method, "http://bench" + path, body))


def _json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _demo_jobs(recordings: dict[str, list[dict]]) -> list[dict]:
    """The job objects of every board in a demo module's recordings."""
    return [job for entries in recordings.values() for e in entries for job in json.loads(entry_body(e))["jobs"]]


def _in_queries(index: int, queries: list[str]) -> list[str]:
    """The queries a posting answers: one, and every other posting a second one too, so that queries overlap."""
    queries = queries or [""]
    chosen = {index % len(queries)}
    if index % 2 == 0:
        chosen.add((index + 1) % len(queries))
    return [q for j, q in enumerate(queries) if j in chosen]


Routes = dict[Key, Answer]


def greenhouse_site(lab: Lab, n: int) -> Routes:
    samples = _demo_jobs(greenhouse_demo.recordings())
    token = lab.params["token"]
    jobs = []
    for i in range(n):
        job = copy.deepcopy(samples[i % len(samples)])
        job["id"] = 9_000_000_000 + i
        job["absolute_url"] = f"https://job-boards.greenhouse.io/{token}/jobs/{job['id']}"
        jobs.append(job)
    return {key(HOSTS[lab.name], "GET", greenhouse.board_url(lab)): Answer(_json({"jobs": jobs, "meta": {"total": n}}))}


def ashby_site(lab: Lab, n: int) -> Routes:
    samples = _demo_jobs(ashby_demo.recordings())
    board = lab.params.get("board", lab.name)
    jobs = []
    for i in range(n):
        job = copy.deepcopy(samples[i % len(samples)])
        job["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{board}/{i}"))
        job["isListed"] = True
        job["jobUrl"] = f"https://jobs.ashbyhq.com/{board}/{job['id']}"
        job["applyUrl"] = job["jobUrl"] + "/application"
        jobs.append(job)
    return {key(HOSTS[lab.name], "GET", ashby.board_url(lab)): Answer(_json({"jobs": jobs, "apiVersion": "1"}))}


def workable_site(lab: Lab, n: int) -> Routes:
    samples = _demo_jobs(workable_demo.recordings())
    jobs = []
    for i in range(n):
        job = copy.deepcopy(samples[i % len(samples)])
        code = f"B{i:09X}"
        job.update(shortcode=code, url=f"https://apply.workable.com/j/{code}", shortlink=f"https://apply.workable.com/j/{code}",
                   application_url=f"https://apply.workable.com/j/{code}/apply")
        jobs.append(job)
    body = {"name": "Speechmatics", "description": "<p>Speech technology.</p>", "jobs": jobs}
    return {key(HOSTS[lab.name], "GET", workable.account_url(lab)): Answer(_json(body))}


def workday_site(lab: Lab, n: int) -> Routes:
    samples = workday_demo.nvidia() + workday_demo.adobe() + workday_demo.cmu()
    tenant, wd_host, site = workday.site(lab)
    host = HOSTS[lab.name]
    jobs = []
    for i in range(n):
        sample = samples[i % len(samples)]
        req = f"JR{7_000_000 + i}"
        path = sample.path.rsplit("_", 1)[0] + f"_{req}"
        jobs.append(dataclasses.replace(sample, req=req, path=path, queries=_in_queries(i, lab.queries)))
    routes: Routes = {}
    for query in lab.queries or [""]:
        hits = [job.list_item() for job in jobs if query in job.queries]
        for offset in range(0, max(1, len(hits)), workday.PAGE_SIZE):
            # Workday tells the total on the first page only; later pages say 0.
            page = {"total": len(hits) if offset == 0 else 0, "jobPostings": hits[offset:offset + workday.PAGE_SIZE],
                    "facets": [], "userAuthenticated": False}
            body = json.dumps(workday.search_body(query, offset))
            routes[key(host, "POST", workday.jobs_url(lab), body)] = Answer(_json(page))
    for job in jobs:
        routes[key(host, "GET", workday.api_base(lab) + job.path)] = Answer(
            _json(workday_demo.detail(tenant, wd_host, site, job, lab.title)))
    return routes


def eightfold_site(lab: Lab, n: int) -> Routes:
    samples = eightfold_demo.microsoft() + eightfold_demo.jhu()
    site_host, _ = eightfold.params(lab)
    host = HOSTS[lab.name]
    positions = [dataclasses.replace(samples[i % len(samples)], pid=5_000_000_000_000 + i, display_id=str(300_000 + i),
                                     queries=_in_queries(i, lab.queries)) for i in range(n)]
    routes: Routes = {}
    for query in lab.queries or [""]:
        hits = [p.result() for p in positions if query in p.queries]
        for start in range(0, max(1, len(hits)), eightfold.PAGE_SIZE):
            page = eightfold_demo.search_page(hits[start:start + eightfold.PAGE_SIZE])
            page["data"]["count"] = len(hits)
            routes[key(host, "GET", eightfold.search_url(lab, query, start))] = Answer(_json(page))
    for p in positions:
        routes[key(host, "GET", eightfold.detail_url(lab, str(p.pid)))] = Answer(_json(p.details(site_host)))
    return routes


def amazon_site(lab: Lab, n: int) -> Routes:
    samples = list(amazon_demo.jobs().values())
    host = HOSTS[lab.name]
    jobs, queries = [], []
    for i in range(n):
        job = copy.deepcopy(samples[i % len(samples)])
        icims = str(4_000_000 + i)
        slug = job["job_path"].rsplit("/", 1)[-1]
        job.update(id_icims=icims, id=str(uuid.uuid5(uuid.NAMESPACE_URL, icims)), job_path=f"/en/jobs/{icims}/{slug}",
                   url_next_step=f"https://account.amazon.jobs/jobs/{icims}/apply")
        jobs.append(job)
        queries.append(_in_queries(i, lab.queries))
    limit = int(lab.params.get("page_size", amazon.PAGE_SIZE))
    routes: Routes = {}
    for query in lab.queries or [""]:
        hits = [job for job, qs in zip(jobs, queries, strict=True) if query in qs]
        for offset in range(0, max(1, len(hits)), limit):
            body = {"error": None, "hits": len(hits), "facets": {}, "content": {"sidebar": {}, "search_results": {}},
                    "jobs": hits[offset:offset + limit], "job_posting_search_request": amazon_demo.search_request(query)}
            routes[key(host, "GET", amazon.search_url(lab, query, offset, limit))] = Answer(_json(body))
    return routes


def apple_site(lab: Lab, n: int) -> Routes:
    samples = list(apple_demo.JOBS)
    base = apple.base_url(lab)
    host = HOSTS[lab.name]
    rows_of: dict[str, list[dict]] = {}
    details: dict[str, dict] = {}
    queries: dict[str, list[str]] = {}
    for i in range(n):
        sample = samples[i % len(samples)]
        pid = str(600_000_000 + i)
        rows = copy.deepcopy(apple_demo.search_rows(sample))
        for row in rows:
            code = row["id"].split("-", 1)[1]
            row.update(positionId=pid, id=f"{pid}-{code}", reqId=f"{pid}-{code}")
        rows_of[pid] = rows
        detail = apple_demo.detail(sample)
        detail["res"].update(positionId=pid, id=f"REQ-{pid}")
        details[pid] = detail
        queries[pid] = _in_queries(i, lab.queries)
    routes: Routes = {key(host, "GET", f"{base}/api/v1/CSRFToken"): Answer(
        b"", content_type="text/plain", headers={"x-apple-csrf-token": apple_demo.TOKEN})}
    for query in lab.queries or [""]:
        rows = [row for pid, qs in queries.items() if query in qs for row in rows_of[pid]]
        for page in range(1, max(1, -(-len(rows) // apple.PAGE_SIZE)) + 1):
            chunk = rows[(page - 1) * apple.PAGE_SIZE:page * apple.PAGE_SIZE]
            body = json.dumps(apple.search_body(lab, query, page))
            routes[key(host, "POST", f"{base}/api/v1/search", body)] = Answer(
                _json({"res": {"searchResults": chunk, "totalRecords": len(rows)}}))
    for pid, detail in details.items():
        routes[key(host, "GET", f"{base}/api/v1/jobDetails/{pid}?locale={apple.locale(lab)}")] = Answer(_json(detail))
    return routes


def google_site(lab: Lab, n: int) -> Routes:
    samples = list(google_demo.JOBS.values())
    host = HOSTS[lab.name]
    jobs, queries = [], []
    for i in range(n):
        job = copy.deepcopy(samples[i % len(samples)])
        job[0] = str(800_000_000_000_000_000 + i)
        jobs.append(job)
        queries.append(_in_queries(i, lab.queries))
    routes: Routes = {}
    for query in lab.queries or [""]:
        hits = [job for job, qs in zip(jobs, queries, strict=True) if query in qs]
        for page in range(1, max(1, -(-len(hits) // google.PAGE_SIZE)) + 1):
            chunk = hits[(page - 1) * google.PAGE_SIZE:page * google.PAGE_SIZE]
            routes[key(host, "GET", google.results_url(lab, query, page))] = Answer(
                google_demo.results_page(chunk, len(hits)).encode("utf-8"), HTML)
    return routes


def meta_site(lab: Lab, n: int) -> Routes:
    base = meta.base_url(lab)
    host = HOSTS[lab.name]
    if str(lab.params.get("doc_id")) != meta_demo.DOC_ID:
        raise ValueError(f"{lab.name}: the bench serves doc_id {meta_demo.DOC_ID} only")
    samples = list(meta_demo.JOBS)
    jobs, queries = [], []
    routes: Routes = {key(host, "GET", f"{base}/jobs"): Answer(meta_demo.jobs_page().encode("utf-8"), HTML)}
    for i in range(n):
        sample = samples[i % len(samples)]
        job_id = str(2_000_000_000_000_000 + i)
        jobs.append({"id": job_id, **meta_demo.JOBS[sample]})
        queries.append(_in_queries(i, lab.queries))
        if sample in meta_demo.PAGES:
            routes[key(host, "GET", f"{base}/jobs/{job_id}/")] = Answer(meta_demo.job_page(sample).encode("utf-8"), HTML)
    path = str(lab.params.get("graphql_path", meta.GRAPHQL_PATH))
    for query in lab.queries or [""]:
        found = [job for job, qs in zip(jobs, queries, strict=True) if query in qs]
        answer = {"data": {"job_search_with_featured_jobs_v2": {"all_jobs": found, "featured_jobs": []}},
                  "extensions": {"is_final": True}}
        # The GraphQL answer is JSON sent as text/html, as Meta sends it.
        routes[key(host, "POST", base + path, meta_demo.search_form(query))] = Answer(_json(answer), HTML)
    return routes


def mit_site(lab: Lab, n: int) -> Routes:
    host = HOSTS[lab.name]
    bodies = [mit_demo.sls_page(), mit_demo.postdoc_page(), mit_demo.coordinator_page()]
    titles = ["Research Scientist, Spoken Language Systems Group", "Postdoctoral Associate, Speech and Multimodal Learning",
              "Project Coordinator"]
    pages = [str(p) for p in lab.params["pages"]]
    routes: Routes = {}
    for number, page in enumerate(pages):
        # Each listing page links its share of the postings, under its own site's folder.
        folder = "/jobs" if number == 0 else "/opportunities"
        mine = range(number, n, len(pages))
        links = "".join(f"<li><a href=\"{folder}/bench-{i}\">{titles[i % len(titles)]} ({i})</a></li>" for i in mine)
        html = mit_demo.page("Careers", f"<h1>Open positions</h1><ul>{links}</ul>")
        routes[key(host, "GET", page)] = Answer(html.encode("utf-8"), HTML)
        for i in mine:
            routes[key(host, "GET", f"{folder}/bench-{i}")] = Answer(bodies[i % len(bodies)].encode("utf-8"), HTML)
    return routes


GENERATORS: dict[str, Callable[[Lab, int], Routes]] = {
    "greenhouse": greenhouse_site, "ashby": ashby_site, "workable": workable_site, "workday": workday_site,
    "eightfold": eightfold_site, "amazon": amazon_site, "apple": apple_site, "google": google_site,
    "meta": meta_site, "mit": mit_site,
}


def build(labs: dict[str, Lab], scale: float = 1.0, sizes: dict[str, int] | None = None) -> tuple[Routes, dict[str, int]]:
    """Routes of every lab's site (labs carry base_url http://<virtual host>) and the postings served per lab."""
    routes: Routes = {}
    counts: dict[str, int] = {}
    for name, lab in labs.items():
        counts[name] = (sizes or {}).get(name) or max(4, round(SIZES[name] * scale))
        routes.update(GENERATORS[lab.adapter](lab, counts[name]))
    return routes, counts
