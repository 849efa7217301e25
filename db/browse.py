"""The datasette configuration shipped with asr-jobs: metadata for any database file name, the app, serving it."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

from . import queries, store

METADATA_PATH = Path(__file__).with_name("datasette.yaml")
# The metadata file configures these database names; any other file name gets the same block under its own name.
CONFIGURED_NAMES = ("jobs", "demo")
LANDING_VIEW = "ranked_matches"


def database_name(path: str | Path) -> str:
    """The name datasette gives a database file (its stem), which is also its URL path."""
    return Path(path).stem


def load_metadata(name: str = "jobs", *, allow_sql: bool = False) -> dict[str, Any]:
    """The shipped metadata with its database block under `name`; arbitrary SQL stays off unless allowed."""
    metadata = yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))
    metadata["databases"] = {name: metadata["databases"][CONFIGURED_NAMES[0]]}
    if allow_sql:
        metadata.pop("allow_sql", None)
    return metadata


def build_datasette(path: str | Path, *, allow_sql: bool = False):
    """A Datasette serving one jobs database read-only with the shipped metadata."""
    from datasette.app import Datasette

    # The metadata names the useful facets; datasette's suggestions would cost a query per column per page.
    settings = {"default_allow_sql": allow_sql, "allow_download": False, "suggest_facets": False}
    return Datasette([str(path)], metadata=load_metadata(database_name(path), allow_sql=allow_sql),
                     settings=settings)


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


def claim_port(port: int) -> int:
    """The port to serve on (a free one for 0); a ValueError when another program holds it."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise ValueError(f"port {port} is in use: pass --port N, or --port 0 for any free port") from None
        return sock.getsockname()[1]


def open_when_up(url: str, port: int, timeout: float = 15.0) -> None:
    """Open the browser once the server accepts connections, so the first page does not fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
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
          say: Callable[[str], None] = print) -> None:
    """Serve the database read-only with datasette on 127.0.0.1 until interrupted; `say` hears the URLs."""
    import uvicorn

    path = Path(path)
    note = prepare_db(path, profile)
    if note:
        say(note)
    port = claim_port(port)
    ds = build_datasette(path, allow_sql=allow_sql)
    asyncio.run(ds.invoke_startup())
    url = f"http://127.0.0.1:{port}{landing_path(path, profile)}"
    say(f"Serving {path} read-only at {url}  (Ctrl-C stops)")
    say(f"Feed of new top matches: http://127.0.0.1:{port}{feed_path(path, profile)}")
    if open_browser:
        threading.Thread(target=open_when_up, args=(url, port), daemon=True).start()
    uvicorn.run(ds.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
