"""What every sample site is made of: HAR entries for the demo, routes (request key -> answer) for the
benchmark server and the tests' transport, and small builders of HTML and JSON bodies.

Everything here serves SAMPLE postings written for the demo and the tests, in the exact response formats
of each career site; none of it was scraped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..scrapers.har import entry_body, har_entry, request_key

STARTED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"

Key = tuple[str, str, str, str]  # host ("" matches any host), method, normalized URL, normalized body


@dataclass
class Answer:
    """What a sample site sends for one request."""

    body: bytes
    content_type: str = JSON
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Routes = dict[Key, Answer]


def key(host: str, method: str, url: str, body: str | None = None) -> Key:
    """The route key of a request: the host and what HAR replay matches on (path, sorted query, body)."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return (host, *request_key(method, "http://sample" + path, body))


def host_of(url: str) -> str:
    """The host name of a URL."""
    return urlsplit(url).hostname or ""


def json_bytes(data: Any) -> bytes:
    """A JSON body as the sites send it (UTF-8, non-ASCII kept)."""
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def board_jobs(recordings: dict[str, list[dict]]) -> list[dict]:
    """The job objects of every board in a module's demo recordings."""
    return [job for entries in recordings.values() for e in entries for job in json.loads(entry_body(e))["jobs"]]


def in_queries(index: int, queries: list[str]) -> list[str]:
    """The queries a posting answers: one, and every other posting a second one too, so that queries overlap."""
    queries = queries or [""]
    chosen = {index % len(queries)}
    if index % 2 == 0:
        chosen.add((index + 1) % len(queries))
    return [q for j, q in enumerate(queries) if j in chosen]


def routes_of(entries: list[dict], host: str = "") -> Routes:
    """HAR entries as routes (the first answer of each request key), on `host` ("" answers any host)."""
    routes: Routes = {}
    for item in entries:
        request, response = item["request"], item["response"]
        headers = {h["name"]: h["value"] for h in response.get("headers", [])
                   if h["name"].lower() not in SKIP_HEADERS}
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), JSON)
        extra = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        route = key(host, request["method"], request["url"], (request.get("postData") or {}).get("text"))
        routes.setdefault(route, Answer(entry_body(item), content_type, response["status"], extra))
    return routes


# Headers that describe a recorded transfer, not the content; a server sets its own.
SKIP_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "connection", "set-cookie"}


def entry(method: str, url: str, body: Any, *, status: int = 200, content_type: str = JSON,
          request_json: Any = None, request_data: str | None = None, headers: dict | None = None) -> dict:
    """One HAR entry; `body` is JSON-serialized unless it is already str/bytes."""
    if isinstance(body, (dict, list)):
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
    elif isinstance(body, str):
        content = body.encode("utf-8")
    else:
        content = body
    kwargs: dict[str, Any] = {}
    if request_json is not None:
        kwargs["json"] = request_json
    elif request_data is not None:
        kwargs["content"] = request_data.encode()
        kwargs["headers"] = {"content-type": "application/x-www-form-urlencoded"}
    request = httpx.Request(method, url, **kwargs)
    response = httpx.Response(status, headers={"content-type": content_type, **(headers or {})}, content=content,
                              request=request)
    return har_entry(request, response, STARTED, 120.0)


def page_starts(count: int, size: int) -> list[int]:
    """Where each result page of `count` items starts; a full last page is followed by an empty one.

    Real sites answer the page past the end with no items; the adapters read it whenever the total ends
    on a full page, to see that no more pages come.
    """
    return list(range(0, count + 1, size) if count % size == 0 else range(0, count, size))


def paragraphs(*blocks: str | list[str]) -> str:
    """HTML from paragraphs (str), headings (str starting with #) and bullet lists (list of str)."""
    out = []
    for block in blocks:
        if isinstance(block, list):
            out.append("<ul>" + "".join(f"<li>{item}</li>" for item in block) + "</ul>")
        elif block.startswith("#"):
            out.append(f"<h3>{block.lstrip('# ')}</h3>")
        else:
            out.append(f"<p>{block}</p>")
    return "\n".join(out)
