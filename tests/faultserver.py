"""A local HTTP server (127.0.0.1 only) that replays a lab's HAR recording and plays faults on request.

Requests are matched on method, path, query and body (the host is ignored, so every adapter's
params.base_url can point here). A fault applies to the requests its `which` predicate selects.
Servers stop when asked, and by themselves after `lifetime` seconds at the latest.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from asr_jobs.scrapers.har import entry_body, request_key

LOGIN_WALL = (b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><form action='/login'>"
              b"<input name='user'><input type='password' name='pw'></form></body></html>")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
_KEY = re.compile(rb'"([A-Za-z_][A-Za-z0-9_]*)"(\s*:)')
_VALUE = re.compile(rb'("[A-Za-z_][A-Za-z0-9_]*"\s*:\s*)("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false)')
# Headers that describe the recorded transfer, not the content; the server sets its own.
_SKIP_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "connection", "set-cookie"}


def _always(method: str, path: str, index: int) -> bool:
    return True


@dataclass
class Fault:
    """What to do wrong (`kind`, see FaultServer.play) and to which requests."""

    kind: str
    which: Callable[[str, str, int], bool] = _always


def first_only(method: str, path: str, index: int) -> bool:
    return index == 0


def key_of(method: str, path_and_query: str, body: bytes | str | None) -> tuple[str, str, str]:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return request_key(method, "http://replay" + path_and_query, text)


class FaultServer:
    """Replays HAR entries by path; plays `fault` when set. Use as a context manager."""

    def __init__(self, entries: list[dict], *, lifetime: float = 120.0, max_stall: float = 10.0):
        self.routes: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
        for entry in entries:
            req = entry["request"]
            parts = urlsplit(req["url"])
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            self.routes[key_of(req["method"], path, (req.get("postData") or {}).get("text"))].append(entry)
        self.fault: Fault | None = None
        self.log: list[tuple[str, str, str]] = []  # (method, path, what was done)
        self.misses: list[str] = []
        self.max_stall = max_stall
        self._served: dict[tuple[str, str, str], int] = defaultdict(int)
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FaultServer:
        self._thread.start()
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
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
            self._served.clear()
        self._release = threading.Event()

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, list[tuple[str, str]], bytes, str | None]:
        """The recorded (status, headers, body) for a request, and the fault kind to play, if any."""
        key = key_of(method, path, body)
        with self._lock:
            index = len(self.log)
            queue = self.routes.get(key)
            fault = self.fault.kind if self.fault and self.fault.which(method, path, index) else None
            self.log.append((method, path, fault or "replay"))
            if not queue:
                self.misses.append(f"{method} {path}")
                return 404, [("Content-Type", "application/json")], b'{"error": "no recorded response"}', fault
            entry = queue[min(self._served[key], len(queue) - 1)]
            self._served[key] += 1
        response = entry["response"]
        headers = [(h["name"], h["value"]) for h in response.get("headers", [])
                   if h["name"].lower() not in _SKIP_HEADERS]
        return response["status"], headers, entry_body(entry), fault


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client hanging up mid-answer is what the faults are for; no tracebacks on stderr."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        return

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        owner: FaultServer = self.server.owner  # type: ignore[attr-defined]
        status, headers, content, fault = owner.answer(self.command, self.path, body)
        try:
            if fault is None:
                self._send(status, headers, content)
            else:
                play(self, owner, fault, status, headers, content)
        except OSError:  # the client gave up (timeout, size cap): nothing to do
            self.close_connection = True

    def _send(self, status: int, headers: list[tuple[str, str]], content: bytes, *, declared: int | None = None) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content) if declared is None else declared))
        self.end_headers()
        self.wfile.write(content)
        self.wfile.flush()


def _content_type(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() == "content-type"] or [("Content-Type", "application/json")]


def _retyped(headers: list[tuple[str, str]], kind: str) -> list[tuple[str, str]]:
    """The recorded headers (tokens, cookies) with another content type."""
    return [(k, v) for k, v in headers if k.lower() != "content-type"] + [("Content-Type", kind)]


def _status(code: int, retry_after: str | None = None) -> Callable:
    def act(h: _Handler, owner: FaultServer, status: int, headers: list, content: bytes) -> None:
        extra = [("Retry-After", retry_after)] if retry_after else []
        h._send(code, [("Content-Type", "text/plain"), *extra], f"simulated HTTP {code}".encode())
    return act


def _stall(h: _Handler, owner: FaultServer, status: int, headers: list, content: bytes) -> None:
    owner._release.wait(owner.max_stall)  # never answers (the client's read timeout fires first)
    h.close_connection = True


def _reset(h: _Handler, owner: FaultServer, status: int, headers: list, content: bytes) -> None:
    # SO_LINGER 0: close() sends a TCP RST instead of a FIN ("connection reset by peer").
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()
    h.close_connection = True


def _cut(h: _Handler, owner: FaultServer, status: int, headers: list, content: bytes) -> None:
    """Declares the whole body, sends half, hangs up: the transfer is truncated."""
    h.send_response(status)
    for name, value in headers:
        h.send_header(name, value)
    h.send_header("Content-Length", str(max(len(content), 2)))
    h.end_headers()
    h.wfile.write(content[: len(content) // 2])
    h.wfile.flush()
    h.close_connection = True


def _redirect(h: _Handler, owner: FaultServer, status: int, headers: list, content: bytes) -> None:
    # "localhost" is another host than 127.0.0.1, as a login or bot-wall host would be.
    h._send(302, [("Location", f"http://localhost:{owner.port}/sso/login?next={h.path}")], b"")


def _body(make: Callable[[list, bytes], tuple[list, bytes]]) -> Callable:
    def act(h: _Handler, owner: FaultServer, status: int, headers: list, content: bytes) -> None:
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


FAULTS: dict[str, Callable] = {
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
}


def play(h: _Handler, owner: FaultServer, kind: str, status: int, headers: list, content: bytes) -> None:
    if kind.startswith("oversized:"):
        _body(oversized(int(kind.split(":", 1)[1])))(h, owner, status, headers, content)
        return
    FAULTS[kind](h, owner, status, headers, content)


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
