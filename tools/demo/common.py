"""Helpers to write the bundled demo recordings: HAR entries in the real formats, with sample text."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx

from asr_jobs.scrapers.har import har_entry

STARTED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def entry(method: str, url: str, body, *, status: int = 200, content_type: str = "application/json; charset=utf-8",
          request_json=None, request_data: str | None = None, headers: dict | None = None) -> dict:
    """One HAR entry; `body` is JSON-serialized unless it is already str/bytes."""
    if isinstance(body, (dict, list)):
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
    elif isinstance(body, str):
        content = body.encode("utf-8")
    else:
        content = body
    kwargs = {}
    if request_json is not None:
        kwargs["json"] = request_json
    elif request_data is not None:
        kwargs["content"] = request_data.encode()
        kwargs.setdefault("headers", {})["content-type"] = "application/x-www-form-urlencoded"
    request = httpx.Request(method, url, **kwargs)
    response = httpx.Response(status, headers={"content-type": content_type, **(headers or {})}, content=content,
                              request=request)
    return har_entry(request, response, STARTED, 120.0)


def paragraphs(*blocks: str | list[str]) -> str:
    """HTML from paragraphs (str) and bullet lists (list of str)."""
    out = []
    for block in blocks:
        if isinstance(block, list):
            out.append("<ul>" + "".join(f"<li>{item}</li>" for item in block) + "</ul>")
        elif block.startswith("#"):
            out.append(f"<h3>{block.lstrip('# ')}</h3>")
        else:
            out.append(f"<p>{block}</p>")
    return "\n".join(out)
