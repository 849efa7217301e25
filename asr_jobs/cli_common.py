"""Options and output helpers shared by every command (one decorator each, as in sqlite-utils)."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable
from typing import Any

import click
import sqlite_utils
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .db.store import default_db_path, open_db
from .models import ConfigError, Lab, ScrapeError
from .safetext import csv_cell, printable, printable_value
from .scrapers.registry import load_labs


class SafeConsole(Console):
    """A console whose printed strings lose terminal escapes, control, bidi and invisible characters.

    Messages quote servers and career sites (an error body, a title): whatever they hold, they must not
    clear the screen, retitle the window or fake a prompt. Only the text is cleaned; rich's own styling
    is added afterwards, and NO_COLOR still decides whether there is any.
    """

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(printable(text), **kwargs)


def stdout_console() -> Console:
    """Tables for stdout: the terminal's width, or 160 columns when piped (80 would fold every title)."""
    console = SafeConsole(no_color=bool(os.environ.get("NO_COLOR")), soft_wrap=False)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = 160
    return console


def stderr_console() -> Console:
    return SafeConsole(stderr=True, no_color=bool(os.environ.get("NO_COLOR")))


def db_option(default: str | None = None) -> Callable:
    """--db PATH: the database file ($ASR_JOBS_DB, else jobs.db in the current directory)."""

    def decorator(fn: Callable) -> Callable:
        return click.option(
            "--db", "db_path", type=click.Path(dir_okay=False), default=default,
            help=f"Database file (default: $ASR_JOBS_DB or {default or 'jobs.db'}).",
        )(fn)

    return decorator


def labs_option(fn: Callable) -> Callable:
    return click.option(
        "--labs", "labs_file", type=click.Path(exists=True, dir_okay=False),
        envvar="ASR_JOBS_LABS", help="Your own TOML lab file: adds labs or overrides built-in entries.",
    )(fn)


def output_options(fn: Callable) -> Callable:
    """--json / --csv / --table, for commands that print rows."""
    fn = click.option("--table", "fmt", flag_value="table", default=True, help="Output a table (default).")(fn)
    fn = click.option("--csv", "fmt", flag_value="csv", help="Output CSV.")(fn)
    fn = click.option("--json", "fmt", flag_value="json", help="Output a JSON array.")(fn)
    return fn


def get_db(db_path: str | None) -> sqlite_utils.Database:
    """The database with its schema and browsing views in place (open_db writes nothing when they are current)."""
    return open_db(db_path or default_db_path())


def get_labs(labs_file: str | None) -> dict[str, Lab]:
    return load_labs(labs_file)


def emit(rows: list[dict[str, Any]], fmt: str, columns: list[str] | None = None, *, title: str | None = None,
         formatters: dict[str, Callable[[Any], str]] | None = None) -> None:
    """Print rows as a rich table, CSV or JSON, on stdout; text from outside loses what could act on a
    terminal (escapes, control, bidi, invisible characters) and CSV text cannot start a formula."""
    columns = columns or (list(rows[0]) if rows else [])
    if fmt == "json":
        click.echo(json.dumps(printable_value(rows), indent=2, ensure_ascii=False, default=str))
        return
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_value(row.get(k)) for k in columns})
        click.echo(buffer.getvalue(), nl=False)
        return
    formatters = formatters or {}
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in ("id", "rank", "score"))
    for row in rows:
        # Text, not markup: scraped titles like "Engineer [Remote]" or "[/bold]" must print as they are.
        table.add_row(*(Text(printable(formatters.get(c, _plain)(row.get(c)))) for c in columns))
    stdout_console().print(table)


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def _csv_value(value: Any) -> Any:
    """A CSV cell: numbers as they are, text printable and never a spreadsheet formula."""
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        return csv_cell(printable(value))
    return value


def friendly_errors(fn: Callable) -> Callable:
    """Turn the project's own exceptions into one-line errors with exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ConfigError, ScrapeError, ValueError, sqlite3.DatabaseError, OSError) as exc:
            raise click.ClickException(printable(str(exc))) from None

    return wrapper


def lines(items: Iterable[str]) -> None:
    for item in items:
        click.echo(printable(item), file=sys.stdout)
