"""The one local test server of the sample sites (127.0.0.1 only): it answers from routes (samplesites
sites or HAR recordings), by virtual host (the Host header) or for any host, optionally after a latency, with
ETag validators on GET answers (a matching If-None-Match gets 304), and plays faults on request.

It measures per host what the politeness rules promise: requests, body bytes, most requests in flight and
the shortest gap between two request arrivals, as the kernel stamped them (GET /__server/stats; POST
/__server/reset clears them). Besides transport and format faults it plays paging faults (PAGING_FAULTS):
an empty or short page inside the announced total, the offset ignored, a total smaller than the pages.
It runs in a thread (tests; it stops by itself after `lifetime` seconds at the latest) or in a process of
its own (the benchmark: its work must not share the scraper's interpreter).

Labs are pointed at it one way: a --labs file from `labs_toml`, whose base_url is the server's own address
(`server.base_url`) or, in-process with `LoopbackTransport`, each lab's virtual host (`sites.served`).
"""

from __future__ import annotations

import bisect
import hashlib
import io
import json
import multiprocessing
import re
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from ..scrapers.adapters import google as google_adapter
from .common import Answer, Key, Routes, key

LOGIN_WALL = (b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><form action='/login'>"
              b"<input name='user'><input type='password' name='pw'></form></body></html>")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
_KEY = re.compile(rb'"([A-Za-z_][A-Za-z0-9_]*)"(\s*:)')
_VALUE = re.compile(rb'("[A-Za-z_][A-Za-z0-9_]*"\s*:\s*)("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false)')
NOT_FOUND = Answer(b'{"error": "not found"}', "application/json", 404)
Headers = list[tuple[str, str]]


def _always(method: str, path: str, index: int) -> bool:
    return True


def first_only(method: str, path: str, index: int) -> bool:
    """The first request the server sees after a reset."""
    return index == 0


@dataclass
class Fault:
    """What to do wrong (`kind`, a key of FAULTS or "oversized:N") and to which requests."""

    kind: str
    which: Callable[[str, str, int], bool] = _always


@dataclass
class HostStats:
    """What one host saw."""

    requests: int = 0
    not_modified: int = 0
    bytes: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    min_gap: float | None = None  # seconds between the closest two request arrivals
    first: float | None = None
    last: float | None = None
    paths: list[str] = field(default_factory=list)  # "METHOD /path?query" of each request, in order
    arrivals: list[float] = field(default_factory=list)  # sorted

    def arrive(self, when: float, what: str) -> None:
        """Count one request that arrived at `when`.

        Handler threads may count requests out of order (a loaded server reads request N after N+1): the
        gaps are those between neighbours in arrival order, not in the order of counting.
        """
        index = bisect.bisect(self.arrivals, when)
        neighbours = self.arrivals[max(0, index - 1):index + 1]
        self.arrivals.insert(index, when)
        for other in neighbours:
            gap = abs(when - other)
            self.min_gap = gap if self.min_gap is None else min(self.min_gap, gap)
        self.first, self.last = self.arrivals[0], self.arrivals[-1]
        self.paths.append(what)
        self.requests += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)


def etag_of(body: bytes) -> str:
    """A strong validator of a body."""
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


class SampleServer:
    """Serves routes on 127.0.0.1 in a thread of its own; a context manager."""

    def __init__(self, routes: Routes, *, latency: float = 0.0, lifetime: float | None = 120.0,
                 max_stall: float = 10.0, port: int = 0):
        self.routes = routes
        self.latency = latency
        self.max_stall = max_stall
        self.etags = {k: etag_of(a.body) for k, a in routes.items() if k[1] == "GET" and a.status == 200}
        self.fault: Fault | None = None
        self.log: list[tuple[str, str, str]] = []  # (method, path, what was done)
        self.misses: list[str] = []
        self.hosts: dict[str, HostStats] = {}
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.httpd = _QuietServer(("127.0.0.1", port), _Handler)
        self.httpd.owner = self
        self.port: int = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._timer = threading.Timer(lifetime, self.stop) if lifetime else None

    @property
    def base_url(self) -> str:
        """Where a lab pointed at this server (for any host) sends its requests."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> SampleServer:
        self._thread.start()
        if self._timer:
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving; stalled handlers are released."""
        if self._timer:
            self._timer.cancel()
        self._release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset(self, fault: Fault | None = None) -> None:
        """New fault (or none), fresh counters, stalled handlers released."""
        self._release.set()
        with self._lock:
            self.fault = fault
            self.log.clear()
            self.misses.clear()
            self.hosts.clear()
        self._release = threading.Event()

    def stats(self) -> dict[str, Any]:
        """What every host saw since the last reset, and the first requests that no route answered."""
        with self._lock:
            hosts = {h: {k: v for k, v in asdict(s).items() if k != "arrivals"} for h, s in self.hosts.items()}
            return {"hosts": hosts, "misses": self.misses[:20]}

    def arrive(self, host: str, method: str, path: str, when: float | None = None) -> tuple[HostStats, str | None]:
        """Count a request that arrived at `when` (time.time(); now if None); its host's stats and the fault to play."""
        when = time.time() if when is None else when
        with self._lock:
            index = len(self.log)
            fault = self.fault.kind if self.fault and self.fault.which(method, path, index) else None
            self.log.append((method, path, fault or "replay"))
            stats = self.hosts.setdefault(host, HostStats())
            stats.arrive(when, f"{method} {path}")
        return stats, fault

    def answer(self, host: str, method: str, path: str, body: bytes) -> tuple[Key, Answer]:
        """The route answering a request: on its host first, then for any host; 404 when none does."""
        text = body.decode("utf-8", "replace")
        for route in (key(host, method, path, text), key("", method, path, text)):
            if route in self.routes:
                return route, self.routes[route]
        with self._lock:
            self.misses.append(f"{method} {host}{path}")
        return key(host, method, path, text), NOT_FOUND


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the benchmark opens a connection per host and lab at once
    owner: SampleServer

    def handle_error(self, request: object, client_address: object) -> None:
        """A client hanging up mid-answer is what the faults are for; no tracebacks on stderr."""


# Kernel receive timestamps of a socket's data (Linux SO_TIMESTAMPNS, 35 in asm-generic; the socket module does
# not name it): when a request reached the server, however late its handler thread gets to read it. Elsewhere,
# the time the handler reads it.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35) if sys.platform == "linux" else None
_TIMESPEC = struct.Struct("@ll")  # the kernel's struct timespec of the old (native long) layout
_STAMP_SPACE = socket.CMSG_SPACE(_TIMESPEC.size) if hasattr(socket, "CMSG_SPACE") else 0


class _StampedReads(io.RawIOBase):
    """A connection's reads, noting when the first bytes since `clear()` reached the machine."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.arrival: float | None = None
        self.stamped = False
        if SO_TIMESTAMPNS is not None and _STAMP_SPACE:
            try:
                sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
                self.stamped = True
            except OSError:
                pass

    def readable(self) -> bool:
        return True

    def clear(self) -> None:
        self.arrival = None

    def readinto(self, buffer: Any) -> int:
        if self.stamped:
            size, ancillary, _, _ = self.sock.recvmsg_into([buffer], _STAMP_SPACE)
            stamps = [data for level, kind, data in ancillary if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS]
            seconds, nanos = _TIMESPEC.unpack(stamps[0][:_TIMESPEC.size]) if stamps else (0, 0)
            when = seconds + nanos / 1e9 if stamps else time.time()
        else:
            size, when = self.sock.recv_into(buffer), time.time()
        if size and self.arrival is None:
            self.arrival = when
        return size


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm the body would wait for the client's
    # delayed ACK (about 40 ms per answer on keep-alive connections).
    disable_nagle_algorithm = True
    server: _QuietServer
    request_body = b""

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        return

    def setup(self) -> None:
        super().setup()
        self.rfile.close()
        self.reads = _StampedReads(self.connection)
        self.rfile = io.BufferedReader(self.reads)

    def handle_one_request(self) -> None:
        # The client sends its next request once it has the answer, so the reader's buffer is empty here
        # and the next read brings the request's first bytes.
        self.reads.clear()
        super().handle_one_request()

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.request_body = body  # the paging faults read the page a request asks for
        owner = self.server.owner
        if self.path.startswith("/__server/"):
            self._control(owner)
            return
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        stats, fault = owner.arrive(host, self.command, self.path, self.reads.arrival)
        try:
            if owner.latency:
                time.sleep(owner.latency)
        finally:
            with owner._lock:  # before the answer is written: the client may send its next request at once
                stats.in_flight -= 1
        if len(body) < length:
            # The client gave up between the headers and the body: a page request cancelled as its listing
            # ended (paging.prefetched). It still arrived (the host's pace counts it), but it asks for no
            # route, and is no miss: nobody reads an answer.
            self.close_connection = True
            return
        route, answer = owner.answer(host, self.command, self.path, body)
        headers = [("Content-Type", answer.content_type), *answer.headers.items()]
        content = answer.body
        etag = owner.etags.get(route)
        try:
            if fault is not None:
                play(self, owner, fault, answer.status, headers, content)
                return
            if etag:
                headers.append(("ETag", etag))
                if self.headers.get("If-None-Match") == etag:
                    with owner._lock:
                        stats.not_modified += 1
                    self._send(304, [("ETag", etag)], b"", declared=0, body=False)
                    return
            with owner._lock:
                stats.bytes += len(content)
            self._send(answer.status, headers, content)
        except OSError:  # the client gave up (timeout, size cap): nothing to do
            self.close_connection = True

    def _control(self, owner: SampleServer) -> None:
        if self.command == "POST" and self.path == "/__server/reset":
            owner.reset(owner.fault)
            self._send(200, [("Content-Type", "application/json")], b"{}")
        elif self.path == "/__server/stats":
            self._send(200, [("Content-Type", "application/json")], json.dumps(owner.stats()).encode())
        else:
            self._send(404, [("Content-Type", "application/json")], b"{}")

    def _send(self, status: int, headers: Headers, content: bytes, *, declared: int | None = None,
              body: bool = True) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content) if declared is None else declared))
        self.end_headers()
        if body:
            self.wfile.write(content)
        self.wfile.flush()


Action = Callable[[_Handler, SampleServer, int, Headers, bytes], None]


def _content_type(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() == "content-type"] or [("Content-Type", "application/json")]


def _retyped(headers: list[tuple[str, str]], kind: str) -> list[tuple[str, str]]:
    """The recorded headers (tokens, cookies) with another content type."""
    return [(k, v) for k, v in headers if k.lower() != "content-type"] + [("Content-Type", kind)]


def _status(code: int, retry_after: str | None = None) -> Action:
    def act(h: _Handler, owner: SampleServer, status: int, headers: list, content: bytes) -> None:
        extra = [("Retry-After", retry_after)] if retry_after else []
        h._send(code, [("Content-Type", "text/plain"), *extra], f"simulated HTTP {code}".encode())
    return act


def _stall(h: _Handler, owner: SampleServer, status: int, headers: list, content: bytes) -> None:
    owner._release.wait(owner.max_stall)  # never answers (the client's read timeout fires first)
    h.close_connection = True


def _reset(h: _Handler, owner: SampleServer, status: int, headers: list, content: bytes) -> None:
    # SO_LINGER 0: close() sends a TCP RST instead of a FIN ("connection reset by peer").
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()
    h.close_connection = True


def _cut(h: _Handler, owner: SampleServer, status: int, headers: list, content: bytes) -> None:
    """Declares the whole body, sends half, hangs up: the transfer is truncated."""
    h.send_response(status)
    for name, value in headers:
        h.send_header(name, value)
    h.send_header("Content-Length", str(max(len(content), 2)))
    h.end_headers()
    h.wfile.write(content[: len(content) // 2])
    h.wfile.flush()
    h.close_connection = True


def _firewall(h: _Handler, owner: SampleServer, status: int, headers: list, content: bytes) -> None:
    """An AWS WAF captcha challenge (as Eightfold's firewall answers): 405 with x-amzn-waf-action."""
    h._send(405, [("Content-Type", "text/html; charset=utf-8"), ("x-amzn-waf-action", "captcha")],
            b"<html><head><title>Human verification</title></head><body>captcha</body></html>")


def _redirect(h: _Handler, owner: SampleServer, status: int, headers: list, content: bytes) -> None:
    # "localhost" is another host than 127.0.0.1, as a login or bot-wall host would be.
    h._send(302, [("Location", f"http://localhost:{owner.port}/sso/login?next={h.path}")], b"")


def _body(make: Callable[[list, bytes], tuple[list, bytes]]) -> Action:
    def act(h: _Handler, owner: SampleServer, status: int, headers: list, content: bytes) -> None:
        new_headers, new_body = make(headers, content)
        h._send(200, new_headers, new_body)
    return act


def renamed_keys(content: bytes) -> bytes:
    """Every JSON-looking key renamed (the site changed its format), in JSON and in JSON inside HTML."""
    return _KEY.sub(rb'"\1_v2"\2', content)


def nulled_values(content: bytes) -> bytes:
    """Every keyed JSON scalar replaced by null."""
    return _VALUE.sub(rb"\1null", content)


def oversized(limit: int) -> Callable[[list, bytes], tuple[list, bytes]]:
    def make(headers: list, content: bytes) -> tuple[list, bytes]:
        return _content_type(headers), json.dumps({"padding": "x" * (limit + 1024)}).encode()
    return make


FAULTS: dict[str, Action] = {
    "stall": _stall,
    "reset": _reset,
    "cut": _cut,
    "http500": _status(500),
    "http502": _status(502),
    "http503": _status(503),
    "http429": _status(429),
    "http429-retry-after": _status(429, "1"),
    "http429-retry-after-long": _status(429, "3600"),
    "http404": _status(404),
    "http410": _status(410),
    "login-wall": _body(lambda headers, content: ([("Content-Type", "text/html; charset=utf-8")], LOGIN_WALL)),
    "truncated": _body(lambda headers, content: (headers, content[: len(content) // 2])),
    "binary": _body(lambda headers, content: (_retyped(headers, "image/png"), PNG)),
    "empty": _body(lambda headers, content: (headers, b"")),
    "wrong-type": _body(lambda headers, content: (_retyped(headers, "text/plain"), content)),
    "renamed-keys": _body(lambda headers, content: (headers, renamed_keys(content))),
    "nulls": _body(lambda headers, content: (headers, nulled_values(content))),
    "redirect-offsite": _redirect,
    "waf-captcha": _firewall,
}


# The paging parameter of each sample site's page requests (query string or JSON body) and its first page's value.
PAGE_PARAMS = {"offset": 0, "start": 0, "skip": 0, "page": 1}
ITEM_KEYS = ("jobs", "jobPostings", "positions", "searchResults")  # a page's items, beside its total
TOTAL_KEYS = ("hits", "total", "count", "totalRecords")


def page_request(path: str, body: bytes) -> tuple[str, int] | None:
    """(paging parameter, its value) of a page request; None for a request that is no page."""
    for name, value in parse_qsl(urlsplit(path).query):
        if name in PAGE_PARAMS and value.isdigit():
            return name, int(value)
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return None
    if isinstance(data, dict):
        for name in PAGE_PARAMS:
            if isinstance(data.get(name), int):
                return name, data[name]
    return None


def first_page_of(path: str, body: bytes) -> tuple[str, bytes]:
    """The (path, body) of the first page of the listing a page request reads."""
    parts = urlsplit(path)
    query = [(k, str(PAGE_PARAMS[k]) if k in PAGE_PARAMS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    path = parts.path + (f"?{urlencode(query)}" if query else "")
    if body:
        try:
            data = json.loads(body)
        except ValueError:
            return path, body
        if isinstance(data, dict):
            body = json.dumps({k: PAGE_PARAMS.get(k, v) if isinstance(v, int) else v for k, v in data.items()}).encode()
    return path, body


def edited_page(content: bytes, items: Callable[[list], list], total: Callable[[int], int]) -> bytes:
    """A result page with its items and its announced total changed (JSON, bare JSON list, or Google's ds:1 page)."""
    text = content.decode("utf-8", "replace")
    call = google_adapter.DS1_CALL.search(text)
    if call is not None:
        start = google_adapter.DATA_KEY.search(text, call.end())
        if start is None:
            return content
        data, end = google_adapter._DECODER.raw_decode(text, start.end())
        data[0] = items(data[0] or [])
        if isinstance(data[2], int) and data[2]:
            data[2] = total(data[2])
        return (text[:start.end()] + json.dumps(data, ensure_ascii=False) + text[end:]).encode("utf-8")
    data = json.loads(content)
    if isinstance(data, list):
        return json.dumps(items(data)).encode()
    page = _holder(data)
    if page is None:
        return content
    for name in ITEM_KEYS:
        if isinstance(page.get(name), list):
            page[name] = items(page[name])
    for name in TOTAL_KEYS:
        if isinstance(page.get(name), int) and page[name]:
            page[name] = total(page[name])
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _holder(data: Any) -> dict | None:
    """The object holding a page's items, at any depth."""
    if isinstance(data, dict):
        if any(isinstance(data.get(name), list) for name in ITEM_KEYS):
            return data
        return next((found for value in data.values() if (found := _holder(value)) is not None), None)
    return None


def page_items(content: bytes) -> int:
    """How many items a result page holds."""
    counted: list[int] = []

    def count(items: list) -> list:
        counted.append(len(items))
        return items

    edited_page(content, count, lambda total: total)
    return counted[0] if counted else 0


def _paging(make: Callable[[_Handler, SampleServer, bytes], bytes], first_too: bool = False) -> Action:
    """A fault on the pages after a listing's first (and on the first too when `first_too`); other requests as they are."""
    def act(h: _Handler, owner: SampleServer, status: int, headers: list, content: bytes) -> None:
        position = page_request(h.path, h.request_body)
        if status != 200 or position is None or (not first_too and position[1] == PAGE_PARAMS[position[0]]):
            h._send(status, headers, content)
            return
        h._send(200, headers, make(h, owner, content))
    return act


def _first_page(h: _Handler, owner: SampleServer) -> bytes:
    """The body of the first page of the listing the request pages through."""
    path, body = first_page_of(h.path, h.request_body)
    host = (h.headers.get("Host") or "").rsplit(":", 1)[0]
    return owner.answer(host, h.command, path, body)[1].body


PAGING_FAULTS: dict[str, Action] = {
    # A page inside the announced total comes back empty.
    "page-empty": _paging(lambda h, owner, content: edited_page(content, lambda items: [], lambda total: total)),
    # A page inside the total holds half its items.
    "page-short": _paging(lambda h, owner, content: edited_page(content, lambda items: items[:len(items) // 2],
                                                               lambda total: total)),
    # The site ignores the offset: every page is the first one again.
    "page-repeat": _paging(lambda h, owner, content: _first_page(h, owner)),
    # Every page announces a total of just the first page's items, while full pages keep coming.
    "total-small": _paging(lambda h, owner, content: edited_page(
        content, lambda items: items, lambda total: page_items(_first_page(h, owner))), first_too=True),
}


def play(h: _Handler, owner: SampleServer, kind: str, status: int, headers: list, content: bytes) -> None:
    if kind.startswith("oversized:"):
        _body(oversized(int(kind.split(":", 1)[1])))(h, owner, status, headers, content)
        return
    (PAGING_FAULTS.get(kind) or FAULTS[kind])(h, owner, status, headers, content)


class Blackhole:
    """A port on 127.0.0.1 whose accept queue is full: connecting hangs until the client's connect timeout."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.port = self.listener.getsockname()[1]
        self._fillers: list[socket.socket] = []
        for _ in range(3):  # backlog 0 still admits one or two; fill them
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            self._fillers.append(filler)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Blackhole:
        return self

    def __exit__(self, *exc: object) -> None:
        for sock in (*self._fillers, self.listener):
            sock.close()


def labs_toml(base_urls: dict[str, str], params: dict[str, dict[str, Any]] | None = None,
              settings: dict[str, dict[str, Any]] | None = None) -> str:
    """A --labs file pointing each named lab's params.base_url at a server (with extra params and settings)."""
    lines = ["# Generated: labs pointed at a local sample-site server.", ""]
    for name, base in base_urls.items():
        lines.append(f"[labs.{name}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in (settings or {}).get(name, {}).items()]
        lines += [f"[labs.{name}.params]", f"base_url = {json.dumps(base)}"]
        lines += [f"{k} = {json.dumps(v)}" for k, v in (params or {}).get(name, {}).items()]
        lines.append("")
    return "\n".join(lines)


def _serve(routes: Routes, latency: float, ready: Any) -> None:
    """Process entry point: serve until killed, report the port through `ready`."""
    server = SampleServer(routes, latency=latency, lifetime=None)
    ready.send(server.port)
    server.httpd.serve_forever(poll_interval=0.05)


class ServerProcess:
    """The server in a process of its own, as a context manager (for the benchmark)."""

    def __init__(self, routes: Routes, latency: float = 0.05):
        context = multiprocessing.get_context("spawn")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_serve, args=(routes, latency, send), daemon=True)
        self.port = 0

    def __enter__(self) -> ServerProcess:
        self._process.start()
        if not self._receive.poll(120):
            self._process.kill()
            raise RuntimeError("the sample-site server did not start")
        self.port = self._receive.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.kill()
        self._process.join(10)

    def stats(self) -> dict[str, Any]:
        """What every host saw since the last reset."""
        return httpx.get(f"http://127.0.0.1:{self.port}/__server/stats", timeout=30).json()

    def reset(self) -> None:
        """Clear the measurements."""
        httpx.post(f"http://127.0.0.1:{self.port}/__server/reset", timeout=30)


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
