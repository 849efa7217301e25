"""`asr-jobs serve`: browse the ranked matches in datasette with the project's configuration."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import webbrowser
from pathlib import Path

import click

from .cli_common import db_option, friendly_errors
from .db import browse, queries, store
from .db.views import ensure_views


def claim_port(port: int) -> int:
    """The port to serve on (a free one for 0); a clear error when another program holds it."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise click.ClickException(f"port {port} is in use: pass --port N, or --port 0 for any free port") from None
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


def prepare_db(path: Path, profile: str) -> None:
    """Bring the schema and the browsing views up to date before datasette opens the file read-only."""
    if not path.exists():
        raise click.ClickException(f"no database at {path}: run `asr-jobs scrape` (or `asr-jobs demo`) first")
    db = store.open_db(path)
    try:
        ensure_views(db)
        if not queries.has_matches(db, profile):
            names = ", ".join(queries.profile_names(db)) or "none yet: run `asr-jobs match`"
            click.echo(f"note: no matches for profile {profile!r} (profiles with matches: {names})", err=True)
    finally:
        db.close()


@click.command()
@db_option()
@click.option("--port", default=8001, show_default=True, help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--open", "open_browser", is_flag=True, help="Open the ranked list in a web browser.")
@click.option("--profile", default="asr-research", show_default=True, help="Profile the opened page shows.")
@click.option("--allow-sql", is_flag=True, help="Also let the browser run arbitrary (read-only) SQL.")
@click.option("--print-metadata-path", is_flag=True,
              help="Print the datasette metadata file's path and exit (for plain `datasette jobs.db -m PATH`).")
@friendly_errors
def serve(db_path, port, open_browser, profile, allow_sql, print_metadata_path):
    """Browse postings and ranked matches in datasette, read-only, on 127.0.0.1.

    Views, canned queries (ranked list per profile, new, closed, per lab, pay against
    level bands, full-text search) and an Atom feed of new top matches come configured.

    \b
    Examples:
        asr-jobs serve --open
        asr-jobs demo && asr-jobs serve --db demo.db --port 8002
        datasette jobs.db --metadata "$(asr-jobs serve --print-metadata-path)"
    """
    if print_metadata_path:
        click.echo(str(browse.METADATA_PATH))
        return
    import uvicorn

    path = Path(db_path or store.default_db_path())
    prepare_db(path, profile)
    port = claim_port(port)
    ds = browse.build_datasette(path, allow_sql=allow_sql)
    asyncio.run(ds.invoke_startup())
    url = f"http://127.0.0.1:{port}{browse.landing_path(path, profile)}"
    click.echo(f"Serving {path} read-only at {url}  (Ctrl-C stops)", err=True)
    click.echo(f"Feed of new top matches: http://127.0.0.1:{port}{browse.feed_path(path, profile)}", err=True)
    if open_browser:
        threading.Thread(target=open_when_up, args=(url, port), daemon=True).start()
    uvicorn.run(ds.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="on")


def register(group: click.Group) -> None:
    group.add_command(serve)
