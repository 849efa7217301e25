"""`asr-jobs serve`: browse the ranked matches in datasette with the project's configuration (loaded lazily)."""

from __future__ import annotations

from pathlib import Path

import click

from .cli_common import db_option, friendly_errors, require_db_file
from .db import browse, store


@click.command()
@db_option()
@click.option("--port", default=8001, show_default=True, help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--host", default=None,
              help="Listen on this address instead of 127.0.0.1 (0.0.0.0: every interface). Then requests under "
                   "any host name are answered, not only localhost's: use it on networks you trust.")
@click.option("--open", "open_browser", is_flag=True, help="Open the ranked list in a web browser.")
@click.option("--profile", default="asr-research", show_default=True, help="Profile the opened page shows.")
@click.option("--allow-sql", is_flag=True, help="Also let the browser run arbitrary (read-only) SQL.")
@click.option("--print-metadata-path", is_flag=True,
              help="Print the datasette metadata file's path and exit (for plain `datasette jobs.db -m PATH`).")
@friendly_errors
def serve(db_path: str | None, port: int, host: str | None, open_browser: bool, profile: str, allow_sql: bool,
          print_metadata_path: bool) -> None:
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
    path = db_path or store.default_db_path()
    require_db_file(path)
    browse.serve(Path(path), port, profile=profile, allow_sql=allow_sql,
                 open_browser=open_browser, host=host, say=lambda message: click.echo(message, err=True))
