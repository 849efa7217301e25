"""The sample sites as an httpx MockTransport, for tests: no socket, the same answers as the local server."""

from __future__ import annotations

import httpx

from ..models import Lab
from .common import Routes, key, routes_of
from .sites import build, demo_recordings, virtual


def routes_transport(routes: Routes, seen: list[httpx.Request] | None = None) -> httpx.MockTransport:
    """A MockTransport answering from routes: on the request's host, on its virtual host (the real host's sites
    under .test, so labs keep their real URLs), then for any host; 404 otherwise.

    Every request is appended to `seen` when given, for tests that count requests.
    """

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        path = request.url.raw_path.decode("ascii")
        body = request.content.decode("utf-8", "replace")
        hosts = (request.url.host, virtual(request.url.host), "")
        for route in (key(host, request.method, path, body) for host in hosts):
            answer = routes.get(route)
            if answer is not None:
                headers = {"content-type": answer.content_type, **answer.headers}
                return httpx.Response(answer.status, headers=headers, content=answer.body)
        return httpx.Response(404, json={"error": f"no sample answer for {request.method} {request.url}"})

    return httpx.MockTransport(handler)


def sample_transport(labs: dict[str, Lab], sizes: dict[str, int] | None = None, scale: float = 0.05,
                     seen: list[httpx.Request] | None = None) -> httpx.MockTransport:
    """The labs' sample sites as a MockTransport: `scale` of the benchmark sizes, or `sizes` by lab name."""
    routes, _ = build(labs, scale, sizes)
    return routes_transport(routes, seen)


def demo_transport(*labs: str, seen: list[httpx.Request] | None = None) -> httpx.MockTransport:
    """The demo recordings of the named labs (all when none is named) as a MockTransport for any host."""
    recordings = demo_recordings()
    routes: Routes = {}
    for name in labs or sorted(recordings):
        routes.update(routes_of(recordings[name]))
    return routes_transport(routes, seen)
