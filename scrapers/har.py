"""HAR 1.2 recording and replay as httpx transports, so a scrape can run from a file."""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from .. import __version__


class ReplayMiss(httpx.TransportError):
    """The HAR file holds no response for this request."""


def normalized_url(url: str) -> str:
    """URL with its query parameters sorted, so that parameter order never matters."""
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", query, ""))


def normalized_body(text: str | None) -> str:
    """Request body in a canonical form: JSON re-serialized with sorted keys, else as is."""
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return "&".join(sorted(text.split("&")))


def request_key(method: str, url: str, body: str | None) -> tuple[str, str, str]:
    method = method.upper()
    return method, normalized_url(url), normalized_body(body) if method != "GET" else ""


def _headers(headers: httpx.Headers) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in headers.multi_items()]


def har_entry(request: httpx.Request, response: httpx.Response, started: datetime, elapsed_ms: float) -> dict:
    """One HAR 1.2 entry for a request and its (already read) response."""
    body = response.content
    try:
        content = {"size": len(body), "mimeType": response.headers.get("content-type", ""), "text": body.decode("utf-8")}
    except UnicodeDecodeError:
        content = {
            "size": len(body),
            "mimeType": response.headers.get("content-type", ""),
            "text": base64.b64encode(body).decode("ascii"),
            "encoding": "base64",
        }
    req: dict[str, Any] = {
        "method": request.method,
        "url": str(request.url),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _headers(request.headers),
        "queryString": [{"name": k, "value": v} for k, v in request.url.params.multi_items()],
        "headersSize": -1,
        "bodySize": len(request.content),
    }
    if request.content:
        req["postData"] = {
            "mimeType": request.headers.get("content-type", ""),
            "text": request.content.decode("utf-8", "replace"),
        }
    return {
        "startedDateTime": started.isoformat(),
        "time": round(elapsed_ms, 3),
        "request": req,
        "response": {
            "status": response.status_code,
            "statusText": response.reason_phrase,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _headers(response.headers),
            "content": content,
            "redirectURL": response.headers.get("location", ""),
            "headersSize": -1,
            "bodySize": len(body),
        },
        "cache": {},
        "timings": {"send": 0, "wait": round(elapsed_ms, 3), "receive": 0},
    }


def har_document(entries: list[dict]) -> dict:
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "asr-jobs", "version": __version__},
            "pages": [],
            "entries": entries,
        }
    }


class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes requests to another transport and keeps every exchange for a HAR file."""

    def __init__(self, inner: httpx.AsyncBaseTransport):
        self.inner = inner
        self.entries: list[dict] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = datetime.now(UTC)
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        elapsed = (datetime.now(UTC) - started).total_seconds() * 1000
        # Decoded bytes are recorded, so the stored headers must not claim a content-encoding.
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        replay = httpx.Response(response.status_code, headers=headers, content=body, request=request)
        self.entries.append(har_entry(request, replay, started, elapsed))
        return replay

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(har_document(self.entries), indent=1, ensure_ascii=False), encoding="utf-8")

    async def aclose(self) -> None:
        await self.inner.aclose()


def load_har(path: str | Path) -> list[dict]:
    """The entries of a HAR file, with a clear error when it is not one."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        entries = doc["log"]["entries"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a HAR file ({exc})") from None
    if not isinstance(entries, list):
        raise ValueError(f"{path}: log.entries is not a list")
    return entries


def entry_body(entry: dict) -> bytes:
    content = entry.get("response", {}).get("content", {}) or {}
    text = content.get("text") or ""
    if content.get("encoding") == "base64":
        return base64.b64decode(text)
    return text.encode("utf-8")


class ReplayTransport(httpx.AsyncBaseTransport):
    """Answers every request from HAR entries; an unmatched request raises ReplayMiss."""

    offline = True  # no server behind it: the Fetcher skips politeness intervals

    def __init__(self, entries: list[dict]):
        self._queues: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
        for entry in entries:
            req = entry["request"]
            body = (req.get("postData") or {}).get("text")
            self._queues[request_key(req["method"], req["url"], body)].append(entry)
        self._served: dict[tuple[str, str, str], int] = defaultdict(int)

    @classmethod
    def from_files(cls, *paths: str | Path) -> ReplayTransport:
        entries: list[dict] = []
        for path in paths:
            entries.extend(load_har(path))
        return cls(entries)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        key = request_key(request.method, str(request.url), request.content.decode("utf-8", "replace"))
        queue = self._queues.get(key)
        if not queue:
            raise ReplayMiss(f"no recorded response for {request.method} {request.url}", request=request)
        # Repeated identical requests get the recorded answers in order, then the last one again.
        index = min(self._served[key], len(queue) - 1)
        self._served[key] += 1
        entry = queue[index]
        resp = entry["response"]
        headers = [(h["name"], h["value"]) for h in resp.get("headers", [])
                   if h["name"].lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(resp["status"], headers=headers, content=entry_body(entry), request=request)
