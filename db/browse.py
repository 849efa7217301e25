"""The datasette configuration shipped with asr-jobs: metadata for any database file name, the app, serving it."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlite_utils
import yaml
from markupsafe import escape

from ..safetext import printable
from . import queries, store

METADATA_PATH = Path(__file__).with_name("datasette.yaml")
TEMPLATES_DIR = Path(__file__).with_name("templates")
# The metadata file configures these database names; any other file name gets the same block under its own name.
CONFIGURED_NAMES = ("jobs", "demo")
LANDING_VIEW = "ranked_matches"
LOCALHOST = "127.0.0.1"
# The names under which `serve` on 127.0.0.1 answers (the Host header a browser sends).
LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]")


def database_name(path: str | Path) -> str:
    """The name datasette gives a database file (its stem), which is also its URL path."""
    return Path(path).stem


SAMPLE_INTRO = ("<p><strong>SAMPLE data</strong>: postings written for the asr-jobs demo in each career site's "
                "format (nothing here was scraped), ranked against your skill profiles with TF-IDF.</p>")


def load_metadata(name: str = "jobs", *, allow_sql: bool = False, sample: bool = False) -> dict[str, Any]:
    """The shipped metadata with its database block under `name`; arbitrary SQL stays off unless allowed.

    Column notes are folded into a collapsed <details> under each description, so rows come first; a
    `sample` database (made by the demo) says so on the home page and, through the plugin, on every page.
    """
    from datasette.utils import tilde_encode

    metadata = yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))
    block = metadata["databases"][CONFIGURED_NAMES[0]]
    metadata["databases"] = {name: block}
    for resource in [*block.get("tables", {}).values(), *block.get("queries", {}).values()]:
        fold_column_notes(resource)
    metadata["description_html"] = metadata["description_html"].replace('href="/jobs/', f'href="/{tilde_encode(name)}/')
    if sample:
        metadata["description_html"] = SAMPLE_INTRO + metadata["description_html"].split("</p>", 1)[1]
        block["description"] = "SAMPLE data made by `asr-jobs demo` (not scraped): " + block["description"]
        metadata.setdefault("plugins", {})["asr-jobs"] = {"sample": True}  # datasette_plugin.PLUGIN
    if allow_sql:
        metadata.pop("allow_sql", None)
    return metadata


def fold_column_notes(resource: dict[str, Any]) -> None:
    """Move a table's column notes into its description_html, as a list inside a collapsed <details>."""
    columns = resource.pop("columns", None)
    if not columns:
        return
    intro = resource.pop("description_html", None) or (f"<p>{escape(resource['description'])}</p>"
                                                         if resource.get("description") else "")
    resource.pop("description", None)
    notes = "".join(f"<dt>{escape(column)}</dt><dd>{escape(note)}</dd>" for column, note in columns.items())
    resource["description_html"] = (f'{intro}<details class="column-glossary"><summary>What the columns mean'
                                    f'</summary><dl class="column-descriptions">{notes}</dl></details>')


def build_datasette(path: str | Path, *, allow_sql: bool = False):
    """A Datasette serving one jobs database read-only with the shipped metadata."""
    from datasette.app import Datasette

    from .datasette_plugin import guard

    # The metadata names the useful facets; datasette's suggestions would cost a query per column per page.
    # CSV is not streamed: each CSV answer is one page of rows, which the plugin rewrites whole so that
    # no cell starts a spreadsheet formula.
    settings = {"default_allow_sql": allow_sql, "allow_download": False, "suggest_facets": False,
                "allow_csv_stream": False}
    metadata = load_metadata(database_name(path), allow_sql=allow_sql, sample=database_is_sample(path))
    ds = Datasette([str(path)], metadata=metadata, settings=settings, template_dir=str(TEMPLATES_DIR))
    guard(ds)
    return ds


def database_is_sample(path: str | Path) -> bool:
    """Whether the database file at `path` was made by the demo (read without writing)."""
    db = sqlite_utils.Database(sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True))
    try:
        return queries.is_sample(db)
    finally:
        db.close()


def feed_path(path: str | Path, profile: str) -> str:
    """URL path of the Atom feed of new top matches for a profile."""
    from datasette.utils import tilde_encode

    return f"/{tilde_encode(database_name(path))}/new_top_matches.atom?{urlencode({'profile': profile})}"


def landing_path(path: str | Path, profile: str | None = None) -> str:
    """URL path of the ranked view of postings still open, for one profile when given."""
    from datasette.utils import tilde_encode

    query = {"profile": profile} if profile else {}
    query["status__not"] = "closed"
    return f"/{tilde_encode(database_name(path))}/{LANDING_VIEW}?{urlencode(query)}"


def claim_port(port: int, host: str = LOCALHOST) -> int:
    """The port to serve on (a free one for 0); a ValueError when another program holds it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            raise ValueError(f"port {port} is in use: pass --port N, or --port 0 for any free port") from None
        return sock.getsockname()[1]


def local_hosts_only(app: Any, port: int) -> Any:
    """The ASGI app, answering only requests whose Host header names this machine (localhost, 127.0.0.1
    or [::1], with the port or without): a page whose own name a DNS-rebinding attack pointed at
    127.0.0.1 sends its own name, and is refused before it can read the database."""
    allowed = {name for local in LOCAL_NAMES for name in (local, f"{local}:{port}")}

    async def checked(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] in ("http", "websocket"):
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1").lower()
            if host not in allowed:
                await _refuse_host(scope, send)
                return
        await app(scope, receive, send)

    return checked


async def _refuse_host(scope: dict, send: Callable) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = (b"asr-jobs serve answers only to localhost, 127.0.0.1 and [::1] "
            b"(start it with --host to serve under other names)\n")
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def log_config() -> dict[str, Any]:
    """uvicorn's logging: warnings and errors only, each on one printable line (no traceback, no colours)."""
    line = {"()": "asr_jobs.db.datasette_plugin.OneLineFormatter"}
    handler = {"class": "logging.StreamHandler", "formatter": "line", "stream": "ext://sys.stderr"}
    quiet = {"handlers": ["stderr"], "level": "WARNING", "propagate": False}
    return {"version": 1, "disable_existing_loggers": False, "formatters": {"line": line},
            "handlers": {"stderr": handler},
            "loggers": {"uvicorn": quiet, "uvicorn.error": {"level": "WARNING"}, "uvicorn.access": quiet,
                        "asr_jobs.serve": quiet}}


class PrintableStream:
    """A text stream that writes only printable text: datasette writes some errors (an SQL error quoting
    the query) straight to stderr, and a web page can choose that text."""

    def __init__(self, stream: Any):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(printable(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def open_when_up(url: str, port: int, timeout: float = 15.0, host: str = LOCALHOST) -> None:
    """Open the browser once the server accepts connections, so the first page does not fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    webbrowser.open(url)


def prepare_db(path: Path, profile: str) -> str | None:
    """Bring the schema and the browsing views up to date before datasette opens the file read-only.

    Returns a note when the profile has no matches; a ValueError when there is no database at `path`.
    """
    if not path.exists():
        raise ValueError(f"no database at {path}: run `asr-jobs scrape` (or `asr-jobs demo`) first")
    db = store.open_db(path)
    try:
        if queries.has_matches(db, profile):
            return None
        names = ", ".join(queries.profile_names(db)) or "none yet: run `asr-jobs match`"
        return f"note: no matches for profile {profile!r} (profiles with matches: {names})"
    finally:
        db.close()


def serve(path: str | Path, port: int, *, profile: str, allow_sql: bool = False, open_browser: bool = False,
          host: str | None = None, say: Callable[[str], None] = print) -> None:
    """Serve the database read-only with datasette until interrupted; `say` hears the URLs.

    On 127.0.0.1, answering only requests addressed to a local name, unless `host` names another address
    to listen on (then any Host header is accepted: the user chose who may connect)."""
    import uvicorn

    path = Path(path)
    note = prepare_db(path, profile)
    if note:
        say(note)
    port = claim_port(port, host or LOCALHOST)
    ds = build_datasette(path, allow_sql=allow_sql)
    asyncio.run(ds.invoke_startup())
    shown = LOCALHOST if host in (None, "0.0.0.0", "::") else host
    base = f"http://{f'[{shown}]' if ':' in shown else shown}:{port}"
    url = f"{base}{landing_path(path, profile)}"
    say(f"Serving {path} read-only at {url}  (Ctrl-C stops)")
    say(f"Feed of new top matches: {base}{feed_path(path, profile)}")
    if open_browser:
        threading.Thread(target=open_when_up, args=(url, port, 15.0, shown), daemon=True).start()
    app = ds.app() if host else local_hosts_only(ds.app(), port)
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = PrintableStream(sys.stdout), PrintableStream(sys.stderr)
    try:
        uvicorn.run(app, host=host or LOCALHOST, port=port, log_config=log_config(), log_level="warning",
                    lifespan="on")
    finally:
        sys.stdout, sys.stderr = streams
