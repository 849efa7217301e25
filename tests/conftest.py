"""Shared fixtures: paths, labs, a fresh database, transports built from handlers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from asr_jobs.scrapers.registry import load_labs

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
# Real captures live beside the project in CI; a user's fresh clone has none, and those tests skip.
SHARED = HERE.parent.parent / "shared"
REAL_SAMPLES = SHARED / "real-samples"


def real_sample(name: str) -> Path:
    """Path of a real capture in ../shared/real-samples, or skip the test when absent."""
    path = REAL_SAMPLES / name
    if not path.exists():
        pytest.skip(f"real sample {name} not available (../shared is absent)")
    return path


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def json_transport(routes: dict[str, object], *, status: int = 200) -> httpx.MockTransport:
    """A MockTransport answering URLs (exact, or prefix before '?') with JSON bodies; 404 otherwise."""

    def handler(request: httpx.Request) -> httpx.Response:
        for key in (str(request.url), str(request.url).split("?")[0]):
            if key in routes:
                body = routes[key]
                content = body if isinstance(body, bytes) else json.dumps(body).encode()
                return httpx.Response(status, content=content, headers={"content-type": "application/json"})
        return httpx.Response(404, json={"error": "not found"})

    return httpx.MockTransport(handler)


@pytest.fixture(scope="session", autouse=True)
def own_config_dir(tmp_path_factory):
    """Commands read the user's labs.toml in the config directory: tests get an empty one of their own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
        yield


@pytest.fixture(scope="session")
def labs():
    return load_labs()


def pdf_document(lines: list[str]) -> bytes:
    """A one-page PDF with one text line per string (Helvetica; no lines: an empty page, as a scan without text
    reads), with a correct cross-reference table: the CVs the tests read."""
    shown = b" T* ".join(b"(%s) Tj" % line.replace("(", r"\(").replace(")", r"\)").encode() for line in lines)
    stream = b"BT /F1 11 Tf 14 TL 72 720 Td " + shown + b" ET" if lines else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def run_adapter(adapter: Any, lab: Any, handler: Any, *, probe: bool = False,
                previous: dict | None = None) -> tuple[Any, Any, list[httpx.Request]]:
    """An adapter's scrape (or probe) of a lab against `handler`, one try per request: its result, its context and
    the requests it made."""
    from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy

    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    async def go() -> tuple[Any, Any]:
        async with Fetcher(httpx.MockTransport(record), retry=RetryPolicy(attempts=1)) as fetcher:
            ctx = LabContext(lab, fetcher, previous=previous or {})
            return await (adapter.probe(ctx) if probe else adapter.scrape(ctx)), ctx

    result, ctx = asyncio.run(go())
    return result, ctx, seen
