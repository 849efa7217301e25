"""Options and output helpers shared by every command (one decorator each, as in sqlite-utils)."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import click
import sqlite_utils
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.style import Style
from rich.table import Table
from rich.text import Text

from .db.store import default_db_path, open_db
from .models import ConfigError, Lab, ScrapeError
from .scrapers.registry import load_labs


def stdout_console() -> Console:
    """Tables for stdout: the terminal's width, or 160 columns when piped (80 would fold every title)."""
    console = Console(no_color=bool(os.environ.get("NO_COLOR")), soft_wrap=False)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = 160
    return console


def stderr_console() -> Console:
    return Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")))


def quiet_option(fn: Callable) -> Callable:
    """--quiet: no progress display (there is none either when stderr is not a terminal)."""
    return click.option("--quiet", "-q", is_flag=True, help="No progress display on stderr.")(fn)


def progress_wanted(console: Console, quiet: bool) -> bool:
    """Whether to draw progress: only on a terminal, and not with --quiet."""
    return console.is_terminal and not quiet


@contextmanager
def row_progress(what: str, quiet: bool, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A progress bar of rows on stderr while the block runs; yields the function that advances it."""
    console = stderr_console()
    progress = Progress(SpinnerColumn(), TextColumn(f"[bold]{escape(what)}"), BarColumn(),
                        TextColumn("{task.completed:,} rows"), TimeElapsedColumn(), console=console,
                        transient=True, disable=not progress_wanted(console, quiet))
    task = progress.add_task(what, total=total)
    with progress:
        yield lambda rows: progress.advance(task, rows)


@contextmanager
def step_progress(steps: list[str], quiet: bool) -> Iterator[Callable[[str], None]]:
    """A bar of named steps on stderr while the block runs; yields the function that marks a step started."""
    console = stderr_console()
    progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                        TextColumn("step {task.completed}/{task.total}"), TimeElapsedColumn(), console=console,
                        transient=True, disable=not progress_wanted(console, quiet))
    task = progress.add_task(steps[0] if steps else "", total=len(steps))
    started: list[str] = []

    def start(step: str) -> None:
        progress.update(task, description=step, completed=len(started))
        started.append(step)

    with progress:
        yield start


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
    """Print rows as a rich table, CSV or JSON, on stdout."""
    columns = columns or (list(rows[0]) if rows else [])
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
        return
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_value(row.get(k)) for k in columns})
        click.echo(buffer.getvalue(), nl=False)
        return
    console = stdout_console()
    console.print(fitted_table(rows, columns, console, title=title, formatters=formatters))


@dataclass(frozen=True)
class ColumnFit:
    """How a column of a terminal table gives way when the terminal is narrow.

    Columns go by `drop` (highest first, 0 never) until the rest fit; `no_wrap` columns (amounts, ids,
    names) are never split, the others wrap between words; longer than `max_width` is shortened with '…'.
    """

    drop: int = 5
    no_wrap: bool = False
    max_width: int | None = None
    min_width: int = 0  # narrower than this (or its text), the column is not worth showing


COLUMN_FITS: dict[str, ColumnFit] = {
    "rank": ColumnFit(0, no_wrap=True), "id": ColumnFit(0, no_wrap=True), "title": ColumnFit(0, min_width=20),
    "lab": ColumnFit(1, no_wrap=True, max_width=15), "salary": ColumnFit(2, no_wrap=True),
    "score": ColumnFit(3, no_wrap=True), "terms": ColumnFit(4, max_width=28),
    "seniority": ColumnFit(6, no_wrap=True, max_width=18), "location": ColumnFit(7, max_width=24),
    "status": ColumnFit(5, no_wrap=True), "message": ColumnFit(1),
}
WORD_CAP = 24  # a wrapping column is at least as wide as its longest word, up to this


def fitted_table(rows: list[dict[str, Any]], columns: list[str], console: Console, *, title: str | None = None,
                 formatters: dict[str, Callable[[Any], str]] | None = None) -> Table:
    """The rows as a table for `console`: on a terminal, fitted to its width with each URL a link on the row's id.

    Not on a terminal (piped), every column is kept whole and the console is widened to the table.
    """
    formatters = formatters or {}
    cells = {c: [formatters.get(c, _plain)(row.get(c)) for row in rows] for c in columns}
    link_column = next((c for c in ("id", "title") if c in columns), None) if "url" in columns else None
    if not console.is_terminal:
        widths = {c: max([len(c), *map(len, cells[c])]) for c in columns}
        console.width = max(console.width, sum(widths.values()) + 3 * len(columns) + 1)
        return _table(rows, columns, cells, title=title, fits={c: ColumnFit(no_wrap=True) for c in columns})
    shown = [c for c in columns if not (c == "url" and link_column)]
    fits = {c: COLUMN_FITS.get(c, ColumnFit()) for c in shown}
    while _least_width(shown, cells, fits) > console.width and any(fits[c].drop for c in shown):
        shown.remove(max(reversed(shown), key=lambda c: fits[c].drop))
    links = [str(row.get("url") or "") for row in rows] if link_column else []
    widths = _widths(shown, cells, fits, console.width)
    return _table(rows, shown, cells, title=title, fits=fits, widths=widths, link_column=link_column, links=links)


def _widths(columns: list[str], cells: dict[str, list[str]], fits: dict[str, ColumnFit], width: int) -> dict[str, int]:
    """Each column's width: its least, then the room left given to the most valuable columns first (titles)."""
    widths = {c: _min_width(c, cells[c], fits[c]) for c in columns}
    spare = width - _least_width(columns, cells, fits)
    for column in sorted(columns, key=lambda c: fits[c].drop):
        natural = min(max([len(column), *map(len, cells[column])]), fits[column].max_width or width)
        grow = max(0, min(spare, natural - widths[column]))
        widths[column] += grow
        spare -= grow
    return widths


def _least_width(columns: list[str], cells: dict[str, list[str]], fits: dict[str, ColumnFit]) -> int:
    """The narrowest a table of these columns can be without splitting a word or a no_wrap cell."""
    return sum(_min_width(c, cells[c], fits[c]) + 3 for c in columns) + 1


def _min_width(column: str, cells: list[str], fit: ColumnFit) -> int:
    if fit.no_wrap:
        width = max([len(column), *map(len, cells)])
    else:
        width = max([len(column), *(len(word) for cell in cells for word in cell.split())])
        width = min(width, max(WORD_CAP, len(column)))
        width = max(width, min(fit.min_width, max(map(len, cells), default=0)))
    return min(width, fit.max_width) if fit.max_width else width


def _table(rows: list[dict[str, Any]], columns: list[str], cells: dict[str, list[str]], *, title: str | None,
           fits: dict[str, ColumnFit], widths: dict[str, int] | None = None, link_column: str | None = None,
           links: list[str] | None = None) -> Table:
    table = Table(title=title, show_lines=False)
    for column in columns:
        fit = fits[column]
        table.add_column(column, no_wrap=fit.no_wrap, overflow="ellipsis", max_width=fit.max_width,
                         min_width=_min_width(column, cells[column], fit), width=(widths or {}).get(column))
    for i in range(len(rows)):
        # Text, not markup: scraped titles like "Engineer [Remote]" or "[/bold]" must print as they are.
        row = [Text(cells[c][i]) for c in columns]
        if link_column in columns and links and links[i]:
            row[columns.index(link_column)].stylize(Style(link=links[i]))
        table.add_row(*row)
    return table


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def _csv_value(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def friendly_errors(fn: Callable) -> Callable:
    """Turn the project's own exceptions into one-line errors with exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ConfigError, ScrapeError, ValueError, sqlite3.DatabaseError, OSError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def lines(items: Iterable[str]) -> None:
    for item in items:
        click.echo(item, file=sys.stdout)
