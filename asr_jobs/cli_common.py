"""Options and output helpers shared by every command (one decorator each, as in sqlite-utils)."""

from __future__ import annotations

import codecs
import csv
import difflib
import functools
import gzip
import io
import json
import os
import sqlite3
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.style import Style
from rich.table import Table
from rich.text import Text

from .models import ConfigError, Lab, ScrapeError
from .safetext import csv_cell, printable, printable_value
from .scrapers.registry import ad_hoc_lab, default_labs_file, did_you_mean, edit_distance, load_labs

# The database layer is imported by the functions that open or read a database: sqlite-utils imports numpy,
# which `asr-jobs --help` must not pay for.
if TYPE_CHECKING:
    import sqlite_utils


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


def db_option(default: str | None = None, help: str | None = None) -> Callable:
    """--db PATH: the database file ($ASR_JOBS_DB, else jobs.db in the current directory)."""

    def decorator(fn: Callable) -> Callable:
        return click.option(
            "--db", "db_path", type=click.Path(dir_okay=False), default=default,
            help=help or f"Database file (default: $ASR_JOBS_DB or {default or 'jobs.db'}).",
        )(fn)

    return decorator


def text_file_problem(path: str | Path) -> str | None:
    """What makes a file unusable as UTF-8 text (empty, binary, another encoding, broken gzip), or None.

    Read as a stream, in constant memory. A .gz file is checked on its first GZ_CHECKED bytes decompressed:
    decompressing a whole corpus twice would add seconds to every import of it.
    """
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, seen_text = 0, False
    try:
        with (gzip.open(path, "rb") if gzipped else open(path, "rb")) as stream:
            while (chunk := stream.read(1 << 20)) and not (gzipped and offset >= GZ_CHECKED):
                if b"\x00" in chunk:
                    return "a binary file, not text" + (" (inside the gzip)" if gzipped else "")
                try:
                    text = decoder.decode(chunk)
                    seen_text = seen_text or not text.isspace() and bool(text)
                except UnicodeDecodeError as exc:
                    return (f"not UTF-8 text (byte 0x{chunk[exc.start]:02x} at offset {offset + exc.start}); "
                            "save it as UTF-8")
                offset += len(chunk)
            if not chunk:  # the whole file was read: it must not end inside a character
                decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "not UTF-8 text (it ends inside a character); save it as UTF-8"
    except (OSError, EOFError, zlib.error) as exc:
        return f"not a readable gzip file ({exc})" if gzipped else f"cannot be read ({exc})"
    return None if seen_text else "empty" if offset == 0 else "empty (only white space)"


GZ_CHECKED = 4 << 20


class TextFile(click.Path):
    """An existing UTF-8 text file (optionally gzipped); a one-line error names the file and what is wrong."""

    def __init__(self) -> None:
        super().__init__(exists=True, dir_okay=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = os.fsdecode(super().convert(value, param, ctx))
        problem = text_file_problem(path)
        if problem:
            self.fail(f"{path}: {problem}", param, ctx)
        return path


def labs_option(fn: Callable) -> Callable:
    return click.option(
        "--labs", "labs_file", type=TextFile(),
        envvar="ASR_JOBS_LABS", help="Your own TOML lab file: adds labs or overrides built-in entries.",
    )(fn)


def output_options(fn: Callable) -> Callable:
    """--json / --csv / --table, for commands that print rows; the command gets fmt, and two at once are an error."""

    @functools.wraps(fn)
    def wrapper(*args: Any, output_json: bool, output_csv: bool, output_table: bool, **kwargs: Any) -> Any:
        chosen = [flag for flag, on in (("--json", output_json), ("--csv", output_csv), ("--table", output_table)) if on]
        if len(chosen) > 1:
            raise click.UsageError(f"{' and '.join(chosen)} together: choose one output format")
        return fn(*args, fmt="json" if output_json else "csv" if output_csv else "table", **kwargs)

    decorated: Callable = click.option("--table", "output_table", is_flag=True, help="Output a table (default).")(wrapper)
    decorated = click.option("--csv", "output_csv", is_flag=True, help="Output CSV.")(decorated)
    return click.option("--json", "output_json", is_flag=True, help="Output a JSON array.")(decorated)


def limit_option(default: int, help: str) -> Callable:
    """--limit N: 0 means all; a negative N is an error (it used to print everything)."""

    def check(ctx: click.Context, param: click.Parameter, value: int) -> int:
        if value < 0:
            raise click.BadParameter(f"--limit must be 0 (all) or more, not {value}", ctx, param)
        return value

    return click.option("--limit", default=default, show_default=True, callback=check, help=help)


SQLITE_HEADER = b"SQLite format 3\x00"


def not_a_database(path: str | Path) -> str | None:
    """Why `path` cannot be opened as the database (a missing directory, a directory, a non-SQLite file), or None."""
    path = Path(path)
    if not path.parent.is_dir():
        return f"--db {path}: directory {path.parent} does not exist"
    if path.is_dir():
        return f"--db {path}: a directory, not a database file"
    if path.exists():
        with open(path, "rb") as file:
            head = file.read(len(SQLITE_HEADER))
        if head and head != SQLITE_HEADER:  # an empty file is a new database (as after `touch jobs.db`)
            return f"{path}: not an SQLite database; pass the database asr-jobs made with --db"
    return None


def get_db(db_path: str | None) -> sqlite_utils.Database:
    """The database, created when missing, with its schema and browsing views in place (for commands that write)."""
    from .db.store import default_db_path, open_db

    path = db_path or default_db_path()
    if path != ":memory:" and (problem := not_a_database(path)):
        raise click.ClickException(problem)
    try:
        return open_db(path)
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"{path}: {exc}") from None


def existing_db(db_path: str | None) -> sqlite_utils.Database:
    """The database for a command that only reads it: a missing file is an error naming it, never created."""
    from .db.store import default_db_path

    path = db_path or default_db_path()
    require_db_file(path)
    return get_db(path)


def require_db_file(path: str) -> None:
    """A one-line error when the database file is missing (naming it, with one nearby to try) or not SQLite."""
    if path == ":memory:":
        return
    if not Path(path).exists():
        raise click.ClickException(missing_db_message(path))
    if problem := not_a_database(path):
        raise click.ClickException(problem)


def missing_db_message(path: str | Path) -> str:
    """'no database at PATH', with the databases nearby to try instead and how to make one."""
    path = Path(path)
    nearby = [str(p) for p in database_files_near(path) if p != path]
    close = difflib.get_close_matches(path.name, [Path(p).name for p in nearby], n=1, cutoff=0.0)
    ordered = sorted(nearby, key=lambda p: Path(p).name not in close)
    hint = f"; try --db {ordered[0]}" + (f" (also here: {', '.join(ordered[1:3])})" if ordered[1:] else "") \
        if ordered else ""
    return (f"no database at {path}{hint} (`asr-jobs scrape` or `asr-jobs import` creates one; "
            "`asr-jobs demo` makes demo.db)")


def database_files_near(path: Path) -> list[Path]:
    """SQLite files beside `path` and in the current directory, and the default database if it exists."""
    from .db.store import default_db_path

    folders = dict.fromkeys(d for d in (path.parent, Path(".")) if d.is_dir())
    candidates = [p for d in folders for p in sorted(d.glob("*.db"))] + [Path(default_db_path())]
    found: list[Path] = []
    for candidate in candidates:
        if candidate.is_file() and candidate not in found and not_a_database(candidate) is None:
            found.append(candidate)
    return found


def get_labs(labs_file: str | None) -> dict[str, Lab]:
    """The labs: built-in ones with --labs / $ASR_JOBS_LABS, else the user's labs.toml (when it exists), over them."""
    return load_labs(labs_file or default_labs_file())


def check_lab_names(db: sqlite_utils.Database, names: Iterable[str]) -> None:
    """A ConfigError for a lab neither configured nor holding postings, with the closest names suggested."""
    names = list(names)
    if not names:
        return  # nothing to check: loading the labs imports every adapter they use (a quarter second)
    from .db import queries

    known = {*load_labs(), *(lab.name for lab in queries.labs_holding_postings(db))}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ConfigError("; ".join(f"unknown lab {name!r} ({did_you_mean(name, known) or 'known: ' + ', '.join(sorted(known))})"
                                    for name in unknown))


def check_profile_name(db: sqlite_utils.Database, name: str) -> None:
    """A ConfigError for a profile neither in a profile file nor matched in the database, with the closest names."""
    from .db import queries
    from .profiles import load_profiles

    known = {*load_profiles(), *queries.profile_names(db)}
    if name not in known:
        raise ConfigError(f"unknown profile {name!r} ({did_you_mean(name, known) or 'known: ' + ', '.join(sorted(known))})")


def lab_for_import(db: sqlite_utils.Database, labs: dict[str, Lab], name: str) -> tuple[Lab, str | None]:
    """The lab an import goes to, and a note when it is not configured.

    A name within two edits of a known lab is taken for a typo and refused (it would create a lab);
    a new lab far from every known name is accepted (JSON lines of other sources need one).
    """
    from .db import queries

    if name in labs:
        return labs[name], None
    stored = {lab.name: lab for lab in queries.labs_holding_postings(db)}
    if name not in stored:
        typo_of = sorted((edit_distance(name, known), known) for known in {*labs, *stored})
        if typo_of and typo_of[0][0] <= 2:
            raise ConfigError(f"unknown lab {name!r}: did you mean {typo_of[0][1]}? (a new lab's name must "
                              "differ from every known lab's by more than two letters)")
    lab = stored.get(name) or ad_hoc_lab(name)
    return lab, (f"lab {name!r} is not configured (not in labs.toml or --labs): its postings are stored "
                 "under that name, without a lab's filters")


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
    "score": ColumnFit(3, no_wrap=True), "match": ColumnFit(3, no_wrap=True), "terms": ColumnFit(4, max_width=28),
    "seniority": ColumnFit(6, no_wrap=True, max_width=18), "location": ColumnFit(7, max_width=24),
    "status": ColumnFit(5, no_wrap=True), "message": ColumnFit(1), "tracked": ColumnFit(4, no_wrap=True),
    "note": ColumnFit(2, max_width=30), "changes": ColumnFit(1, max_width=30), "since": ColumnFit(3, no_wrap=True),
}
WORD_CAP = 24  # a wrapping column is at least as wide as its longest word, up to this


def fitted_table(rows: list[dict[str, Any]], columns: list[str], console: Console, *, title: str | None = None,
                 formatters: dict[str, Callable[[Any], str]] | None = None) -> Table:
    """The rows as a table for `console`: on a terminal, fitted to its width with each URL a link on the row's id.

    Not on a terminal (piped), every column is kept whole and the console is widened to the table.
    """
    formatters = formatters or {}
    # Text from outside loses what could act on a terminal (escapes, control, bidi, invisible characters).
    cells = {c: [printable(formatters.get(c, _plain)(row.get(c))) for row in rows] for c in columns}
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


def entry_text(entry: list, percent: bool = True) -> str:
    """One explanation entry as shown: 'RNN-T 23%' for a term, 'research role +0.08' for the role signal."""
    if len(entry) > 2 and entry[2] == "role":
        return f"{entry[0]} {entry[1]:+.2f}"
    return f"{entry[0]} {entry[1]:.0%}" if percent else str(entry[0])
