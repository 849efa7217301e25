"""Shared fixtures: paths, labs, a fresh database, transports built from handlers."""

from __future__ import annotations

import json
from pathlib import Path

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
