"""A local HTTP/1.1 server (127.0.0.1 only) for the scrape benchmark and its tests.

It answers from prepared routes (bench.sites) after an injected latency, by virtual host (the Host
header), with ETag validators on GET answers (a matching If-None-Match gets 304 Not Modified), and
measures per host what the politeness rules promise: requests, body bytes, most requests in flight,
and the shortest gap between two request arrivals. GET /__bench/stats returns the measurements as
JSON; POST /__bench/reset clears them.

The server runs in a thread (tests) or in a process of its own (benchmark: its work must not share the
scraper's interpreter, or the scraper would be measured slower than it is).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import multiprocessing
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from .sites import Answer, Key, key

REASONS = {200: "OK", 304: "Not Modified", 404: "Not Found"}
MAX_HEAD = 64 * 1024


@dataclass
class HostStats:
    """What one virtual host saw."""

    requests: int = 0
    not_modified: int = 0
    bytes: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    min_gap: float | None = None  # seconds between the closest two request arrivals
    first: float | None = None
    last: float | None = None
    arrivals: list[float] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # "METHOD /path?query" of each request, in order

    def arrive(self, now: float) -> None:
        if self.last is not None:
            gap = now - self.last
            self.min_gap = gap if self.min_gap is None else min(self.min_gap, gap)
        self.first = now if self.first is None else self.first
        self.last = now
        self.arrivals.append(now)
        self.requests += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


class BenchServer:
    """Serves routes on 127.0.0.1 with `latency` seconds before each answer."""

    def __init__(self, routes: dict[Key, Answer], latency: float = 0.05):
        self.routes = routes
        self.latency = latency
        self.etags = {k: etag_of(a.body) for k, a in routes.items() if k[1] == "GET" and a.status == 200}
        self.hosts: dict[str, HostStats] = {}
        self.misses: list[str] = []

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", port, limit=MAX_HEAD)
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._exchange(reader, writer):
                pass
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """One request and its answer; False when the client closed the connection."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
        body = await reader.readexactly(int(headers.get("content-length") or 0))
        host = headers.get("host", "").rsplit(":", 1)[0]
        if target.startswith("/__bench/"):
            status, content_type, payload, extra = self._control(method, target)
        else:
            status, content_type, payload, extra = await self._answer(host, method, target, body, headers)
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'OK')}", f"Content-Length: {len(payload)}",
                 "Connection: keep-alive", *(f"{k}: {v}" for k, v in extra.items())]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
        await writer.drain()
        return True

    async def _answer(self, host: str, method: str, target: str, body: bytes,
                      headers: dict[str, str]) -> tuple[int, str, bytes, dict[str, str]]:
        stats = self.hosts.setdefault(host, HostStats())
        stats.arrive(time.monotonic())
        stats.paths.append(f"{method} {target}")
        try:
            await asyncio.sleep(self.latency)
        finally:
            stats.in_flight -= 1  # before the answer is written: the client may send its next request at once
        route = key(host, method, target, body.decode("utf-8", "replace"))
        answer = self.routes.get(route)
        if answer is None:
            self.misses.append(f"{method} {host}{target}")
            return 404, "application/json", b'{"error": "not found"}', {}
        extra = dict(answer.headers)
        etag = self.etags.get(route)
        if etag:
            extra["ETag"] = etag
            if headers.get("if-none-match") == etag:
                stats.not_modified += 1
                return 304, "", b"", extra
        stats.bytes += len(answer.body)
        return answer.status, answer.content_type, answer.body, extra

    def _control(self, method: str, target: str) -> tuple[int, str, bytes, dict[str, str]]:
        if method == "POST" and target == "/__bench/reset":
            self.hosts.clear()
            self.misses.clear()
            return 200, "application/json", b"{}", {}
        if target == "/__bench/stats":
            data = {"hosts": {h: asdict(s) for h, s in self.hosts.items()}, "misses": self.misses[:20]}
            return 200, "application/json", json.dumps(data).encode(), {}
        return 404, "application/json", b"{}", {}


class ServerThread:
    """The server in a thread of its own, as a context manager (for tests)."""

    def __init__(self, routes: dict[Key, Answer], latency: float = 0.0):
        self.server = BenchServer(routes, latency)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    def __enter__(self) -> ServerThread:
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    @property
    def hosts(self) -> dict[str, HostStats]:
        return self.server.hosts


def _serve(routes: dict[Key, Answer], latency: float, ready: Any) -> None:
    """Process entry point: serve until killed, report the port through `ready`."""

    async def main() -> None:
        server = BenchServer(routes, latency)
        ready.send(await server.start())
        await asyncio.Event().wait()

    asyncio.run(main())


class ServerProcess:
    """The server in a process of its own, as a context manager (for the benchmark)."""

    def __init__(self, routes: dict[Key, Answer], latency: float = 0.05):
        context = multiprocessing.get_context("spawn")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_serve, args=(routes, latency, send), daemon=True)
        self.port = 0

    def __enter__(self) -> ServerProcess:
        self._process.start()
        if not self._receive.poll(120):
            self._process.kill()
            raise RuntimeError("the benchmark server did not start")
        self.port = self._receive.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.kill()
        self._process.join(10)

    def stats(self) -> dict[str, Any]:
        return httpx.get(f"http://127.0.0.1:{self.port}/__bench/stats", timeout=30).json()

    def reset(self) -> None:
        httpx.post(f"http://127.0.0.1:{self.port}/__bench/reset", timeout=30)


class LoopbackTransport(httpx.AsyncBaseTransport):
    """Sends requests for *.test virtual hosts to 127.0.0.1 (same port), keeping their Host header.

    The scraper's per-host gates see the virtual host names, so each lab keeps its own limits
    although one local server answers them all. Each virtual host gets a connection pool of its own,
    as each real host has its own connections.
    """

    def __init__(self) -> None:
        self.pools: dict[str, httpx.AsyncHTTPTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host not in self.pools:
            self.pools[host] = httpx.AsyncHTTPTransport(verify=False)  # plain HTTP to 127.0.0.1 only
        if host.endswith(".test"):
            request = httpx.Request(request.method, request.url.copy_with(host="127.0.0.1"), headers=request.headers,
                                    stream=request.stream, extensions=request.extensions)
        return await self.pools[host].handle_async_request(request)

    async def aclose(self) -> None:
        for pool in self.pools.values():
            await pool.aclose()
