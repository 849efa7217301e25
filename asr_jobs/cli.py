"""The asr-jobs command line: a thin layer over scrapers, db, matcher and profiles."""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from . import __version__
from .cli_common import (
    TextFile,
    check_lab_names,
    check_profile_name,
    db_option,
    emit,
    entry_text,
    existing_db,
    friendly_errors,
    get_db,
    get_labs,
    lab_for_import,
    labs_option,
    limit_option,
    missing_db_message,
    output_options,
    progress_wanted,
    quiet_option,
    row_progress,
    stderr_console,
    stdout_console,
)
from .enrich import LEVELS
from .models import APPLICATION_STATUSES, CATEGORIES, ConfigError, Lab
from .safetext import printable, printable_value
from .scrapers.registry import default_labs_file, lab_sources, saved_formats, select_labs

# `asr-jobs --help` imports only click, rich and the package's light modules: the database layer (sqlite-utils
# imports numpy), httpx, the readers and the matcher are imported inside the commands that use them.
if TYPE_CHECKING:
    import httpx
    import sqlite_utils

    from .ingest import LabOutcome
    from .scrapers.fetch import LabStats


class LazyGroup(click.Group):
    """A command group that imports the modules of some commands only when one of them runs.

    Matching pulls in numpy, scipy and scikit-learn (a second of imports): `asr-jobs jobs` and the other
    reading commands must not pay for it.
    """

    # name: (module, attribute, the first paragraph of its help): the listing shows the summary without importing
    LAZY = {
        "profiles": ("cli_matching", "profiles_group",
                     "List the skill profiles postings are scored against (with match counts once `match` has run)."),
        "match": ("cli_matching", "match_command",
                  "Score the open postings against profiles; store ranked matches with the terms behind each score."),
        "eval": ("cli_matching", "eval_command",
                 "Rank every posting of the database and score the ranking against graded labels."),
        "serve": ("cli_serve", "serve", "Browse postings and ranked matches in datasette, read-only, on 127.0.0.1."),
        "rate": ("cli_matching", "rate_command",
                 "Rate a posting good or bad for a profile; the next `match` moves the profile towards good ones."),
        "mark": ("cli_tracking", "mark", "Set your application status of a posting; every change is kept with its time."),
        "tracked": ("cli_tracking", "tracked",
                    "The postings you track, along the pipeline (interested ... offer, rejected, hidden), latest first."),
        "export": ("cli_tracking", "export",
                   "Write your own data to a JSON file: the application history with notes, and your ratings."),
        "restore": ("cli_tracking", "restore",
                    "Read a file `asr-jobs export` wrote back into the database (creating it when missing)."),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY and name not in self.commands:
            module, attribute, _ = self.LAZY[name]
            self.add_command(getattr(importlib.import_module(f"{__package__}.{module}"), attribute), name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command listing of --help, with stand-ins carrying the summaries of commands not yet imported."""
        stand_ins = {name: click.Command(name, help=summary) for name, (_, _, summary) in self.LAZY.items()}
        click.Group.format_commands(click.Group(commands={**stand_ins, **self.commands}), ctx, formatter)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="asr-jobs")
def cli() -> None:
    """Research job postings for speech (ASR) researchers: scraped, ranked, explained.

    \b
    Start offline with bundled sample data:
        asr-jobs demo
    Then, on a machine with internet:
        asr-jobs doctor     (which labs answer, and what to do about the others)
        asr-jobs update     (scrape, match, and the new top matches)
    """


class LabColumn(ProgressColumn):
    """The counts of a progress row: labs done for the whole scrape; requests, then postings, for a lab."""

    def render(self, task: Task) -> Text:
        if task.fields.get("labs"):
            return Text(f"{task.completed}/{task.total} labs")
        stats = task.fields.get("stats")
        requests = _count(stats.requests, "request") if stats is not None else ""
        postings = task.fields.get("postings")
        return Text(requests if postings is None else f"{_count(postings, 'posting')}, {requests}")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


class ScrapeProgress:
    """A scrape's progress and per-lab errors on stderr (data stays on stdout); a context manager.

    One bar for the scrape and a row per lab (live requests, then postings and status); none when stderr is
    not a terminal or with --quiet. Labs that could not connect at all are held back: when every lab failed
    so, one line says that the machine seems offline instead of one error per lab.
    """

    def __init__(self, labs: list[Lab], quiet: bool = False):
        self.console = stderr_console()
        self.total = len(labs)
        self.outcomes: list[LabOutcome] = []
        self.offline: str | None = None
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), LabColumn(), TimeElapsedColumn(),
                                 console=self.console, disable=not progress_wanted(self.console, quiet))
        self.task = self.progress.add_task("[bold]scraping", total=self.total, labs=True)
        self.lab_tasks: dict[str, TaskID] = {}

    def __enter__(self) -> ScrapeProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def start(self, lab: str, stats: LabStats) -> None:
        """One lab started: a row whose request count follows `stats` as the scrape goes."""
        self.lab_tasks[lab] = self.progress.add_task(f"  {escape(lab)}", total=None, stats=stats)

    def done(self, outcome: LabOutcome) -> None:
        """One lab finished: advance the bar, print its error; after the last lab, the held-back ones."""
        from .ingest import offline_message

        self.outcomes.append(outcome)
        self.progress.update(self.task, advance=1)
        if outcome.lab in self.lab_tasks:
            self.progress.update(self.lab_tasks[outcome.lab], total=1, completed=1, stats=outcome.stats,
                                 postings=(outcome.saved.seen if outcome.saved else 0),
                                 description=f"  {escape(outcome.lab)}: {escape(outcome.status)}")
        if outcome.failed and outcome.kind != "offline":
            self._error(outcome)
        elif outcome.status == "suspicious" and outcome.saved:
            self.console.print(f"[yellow]suspicious[/yellow] {escape(outcome.saved.suspicious or '')}", highlight=False)
        if len(self.outcomes) < self.total:
            return
        self.progress.stop()
        self.offline = offline_message(o.kind for o in self.outcomes)
        if self.offline:
            self.console.print(f"[red]offline[/red] {escape(self.offline)}", highlight=False, soft_wrap=True)
            return
        for held in self.outcomes:
            if held.failed and held.kind == "offline":
                self._error(held)

    def _error(self, outcome: LabOutcome) -> None:
        self.console.print(f"[red]error[/red] {escape(outcome.error or '')}", highlight=False)


@contextmanager
def interrupted_runs(db: sqlite_utils.Database) -> Iterator[None]:
    """On Ctrl-C, mark this scrape's unfinished runs interrupted (not 'running' forever) and exit with 130."""
    from .db import store

    try:
        yield
    except KeyboardInterrupt:
        count = store.interrupt_own_runs(db, "interrupted (Ctrl-C) before this lab finished; its postings are as "
                                             "of its last complete scrape")
        stderr_console().print(f"interrupted: {count} unfinished lab runs marked interrupted", highlight=False)
        sys.exit(130)


def recording_transport(record: str | None, replay: Sequence[str]) -> httpx.AsyncBaseTransport | None:
    """The run's transport: replayed HAR files, the network, and with `record` a recorder around either."""
    import httpx

    from .scrapers.har import RecordingTransport, ReplayTransport

    transport: httpx.AsyncBaseTransport | None = ReplayTransport.from_files(*replay) if replay else None
    if record:
        return RecordingTransport(transport or httpx.AsyncHTTPTransport(retries=1))
    return transport


def save_recording(transport: httpx.AsyncBaseTransport | None, record: str | None) -> None:
    """Write what a recording transport saw to `record`, and say so on stderr."""
    from .scrapers.har import RecordingTransport

    if record and isinstance(transport, RecordingTransport):
        transport.save(record)
        stderr_console().print(f"recorded {len(transport.entries)} requests to {record}", highlight=False, soft_wrap=True)


@cli.command()
@click.argument("lab_names", metavar="[LAB]...", nargs=-1)
@db_option()
@labs_option
@click.option("--record", type=click.Path(dir_okay=False), help="Save every request and response to this HAR 1.2 file.")
@click.option("--replay", "replay_patterns", multiple=True, metavar="HAR",
              help="Answer every request from this HAR file instead of the network (repeatable; globs such as "
                   "'runs/*.har' are expanded). Without LAB names, the labs the recordings hold are scraped.")
@click.option("--accept-drop", is_flag=True, help="Close postings even when a lab's count fell by more than half.")
@quiet_option
@output_options
@friendly_errors
def scrape(lab_names: tuple[str, ...], db_path: str | None, labs_file: str | None, record: str | None,
           replay_patterns: tuple[str, ...], accept_drop: bool, quiet: bool, fmt: str) -> None:
    """Scrape all labs, or the ones named, and store their postings.

    One lab failing never stops the others. Exit status: 1 if any lab failed; 3 if none failed but a
    lab's count dropped suspiciously (nothing of it was closed: check, then rerun with --accept-drop).

    \b
    Examples:
        asr-jobs scrape
        asr-jobs scrape anthropic openai --record run.har
        asr-jobs scrape anthropic --replay run.har
        asr-jobs scrape --replay nvidia.har --replay 'runs/*.har'
    """
    import asyncio

    from .ingest import scrape_labs
    from .recordings import labs_to_scrape

    labs, replay = labs_to_scrape(get_labs(labs_file), lab_names, replay_patterns)
    db = get_db(db_path)
    transport = recording_transport(record, replay)
    try:
        with interrupted_runs(db), ScrapeProgress(labs, quiet) as report:
            outcomes = asyncio.run(scrape_labs(db, labs, transport=transport, accept_drop=accept_drop,
                                               on_done=report.done, on_start=report.start))
    finally:
        save_recording(transport, record)
    if not (report.offline and fmt == "table"):  # offline: the one line says it all; JSON and CSV stay data
        emit([o.summary_row() for o in outcomes], fmt, title="scrape summary")
    if any(o.failed for o in outcomes):
        sys.exit(1)
    if any(o.status == "suspicious" for o in outcomes):
        sys.exit(3)


@cli.command()
@click.argument("lab_names", metavar="[LAB]...", nargs=-1)
@labs_option
@click.option("--timeout", default=20.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds each lab may take (all labs are checked at once).")
@click.option("--record", type=click.Path(dir_okay=False), help="Save every request and response to this HAR 1.2 file.")
@click.option("--json", "as_json", is_flag=True, help="Output a JSON array, one object per lab.")
@friendly_errors
def doctor(lab_names: tuple[str, ...], labs_file: str | None, timeout: float, record: str | None,
           as_json: bool) -> None:
    """Check that every lab (or the ones named) answers, in the format its adapter reads.

    One listing page per lab (and any token it needs; no details, nothing stored), all labs at once.
    One line per lab: ok with the number of postings the site reports, or the class of failure
    (offline, tls, timeout, http, firewall, throttled, format, config) and what to do.
    Exit status 0 only when every lab answered.

    \b
    Examples:
        asr-jobs doctor
        asr-jobs doctor meta apple --record doctor.har
        asr-jobs doctor --json
    """
    from .doctor import run_doctor, summary

    labs = select_labs(get_labs(labs_file), lab_names)
    transport = recording_transport(record, ())
    try:
        checks = run_doctor(labs, transport=transport, timeout=timeout)
    finally:
        save_recording(transport, record)
    if as_json:
        click.echo(json.dumps([c.row() for c in checks], indent=2, ensure_ascii=False))
    else:
        width = max(len(c.lab) for c in checks)
        for check in checks:
            click.echo(check.line(width))
        click.echo(summary(checks), err=True)
    if not all(c.ok for c in checks):
        sys.exit(1)


@cli.command()
@click.argument("lab_names", metavar="[LAB]...", nargs=-1)
@db_option()
@labs_option
@click.option("--profile", default=None, help="Profile to rank the new postings by (default: $ASR_JOBS_PROFILE, "
              "else `profiles default`, else asr-research).")
@click.option("--limit", default=10, show_default=True, help="How many new top matches to print (0 for all).")
@click.option("--record", type=click.Path(dir_okay=False), help="Save every request and response to this HAR 1.2 file.")
@click.option("--replay", type=click.Path(exists=True, dir_okay=False), multiple=True,
              help="Answer every request from this HAR file instead of the network (repeatable).")
@click.option("--accept-drop", is_flag=True, help="Close postings even when a lab's count fell by more than half.")
@quiet_option
@output_options
@friendly_errors
def update(lab_names: tuple[str, ...], db_path: str | None, labs_file: str | None, profile: str | None, limit: int,
           record: str | None, replay: tuple[str, ...], accept_drop: bool, quiet: bool, fmt: str) -> None:
    """Scrape every lab (or the ones named), match, and print the new top matches: the main job in one step.

    A lab that fails keeps its postings (nothing of it is closed) and the update goes on to matching and
    the list; the exit status is then 1 (3 if none failed but a lab's count dropped suspiciously).

    \b
    Examples:
        asr-jobs update
        asr-jobs update --profile streaming --limit 20
        asr-jobs update anthropic openai --json > new.json
    """
    from .db import store
    from .profiles import default_profile
    from .update import run_update

    labs = select_labs(get_labs(labs_file), lab_names)
    db = get_db(db_path)
    profile = profile or default_profile(db)
    transport = recording_transport(record, replay)
    started = store.now_iso()
    try:
        with interrupted_runs(db), ScrapeProgress(labs, quiet) as report:
            run = run_update(db, labs, profile=profile, limit=limit, transport=transport, accept_drop=accept_drop,
                             on_done=report.done, on_start=report.start)
    finally:
        save_recording(transport, record)
    err = stderr_console()
    if run.match is not None and fmt == "table":
        err.print(f"{run.match.summary.mode} match: {run.match.summary.note}", highlight=False, markup=False)
    if not run.offline and fmt == "table" and not run.top:
        err.print(f"no new postings in this update; `asr-jobs jobs --profile {profile}` shows the whole ranked list",
                  highlight=False, markup=False)
    elif not run.offline:
        rows, columns = (table_rows(db, run.top), TABLE_COLUMNS) if fmt == "table" else (run.top, UPDATE_COLUMNS)
        emit(rows, fmt, columns, title=f"{len(run.top)} new postings for profile {profile}")
    report_tracked_changes(db, started)
    if run.offline:
        sys.exit(1)  # the one line saying so was printed as the last lab failed
    if run.failed:
        err.print(f"{len(run.failed)} of {len(labs)} labs failed (their postings kept, nothing closed): "
                  f"{', '.join(o.lab for o in run.failed)}; `asr-jobs doctor` says why", highlight=False)
        sys.exit(1)
    if any(o.status == "suspicious" for o in run.outcomes):
        sys.exit(3)


def report_tracked_changes(db: sqlite_utils.Database, since: str) -> None:
    """One stderr line per tracked posting this update saw close or change (title, description, pay)."""
    from .db import queries, tracking

    changes = tracking.changes_since(db, since)
    short = queries.short_ids(db, list(changes))
    for change in changes.values():
        click.echo(printable(f"tracked ({change.tracked}) {short[change.posting_id]} {change.title} "
                             f"({change.lab}): {change.what}"), err=True)


@cli.command(name="import")
@click.argument("path", type=TextFile())
@click.option("--lab", "lab_name", required=True,
              help="Lab the postings belong to: a configured lab, or a new name (not a near-miss of a known one).")
@click.option("--format", "fmt", type=click.Choice(saved_formats()), help="Format of the file (detected when not given).")
@click.option("--as-of", "as_of", metavar="TIME",
              help="When the file was saved (ISO 8601, UTC unless a zone is given; default: the HAR's "
                   "startedDateTime, else the file's modification time).")
@db_option()
@labs_option
@quiet_option
@friendly_errors
def import_(path: str, lab_name: str, fmt: str | None, as_of: str | None, db_path: str | None,
            labs_file: str | None, quiet: bool) -> None:
    """Import a saved response body, a HAR file or JSON lines of postings.

    The postings are stored as seen when the file was saved: older data never reopens a posting closed
    since, nor moves its last_seen forward. Postings are committed in batches: an import stopped
    half-way keeps what it committed, and importing the same file again completes it.

    \b
    Examples:
        asr-jobs import board.json --lab anthropic
        asr-jobs import postings.jsonl.gz --lab remote --format jsonl
        asr-jobs import session.har --lab nvidia --format har
        asr-jobs import board.json --lab anthropic --as-of 2026-11-01T09:30:00Z
    """
    from .workers import PROCESS_BYTES, start_worker

    if os.path.getsize(path) >= PROCESS_BYTES:
        start_worker("asr_jobs.prepare")  # a big file is prepared in the worker: it starts while this one does
    from .db.store import now_iso, utc_iso
    from .recordings import check_recording_lab

    if as_of is not None:
        try:
            as_of = utc_iso(as_of)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--as-of") from None
        if as_of > now_iso():
            raise click.BadParameter(f"{as_of} is in the future", param_hint="--as-of")
    labs = get_labs(labs_file)
    check_recording_lab(path, lab_name, labs, fmt)
    db = get_db(db_path)
    lab, note = lab_for_import(db, labs, lab_name)
    if note:
        stderr_console().print(f"note: {escape(note)}", highlight=False)
    from .ingest import import_file

    with row_progress(f"importing {path}", quiet) as advance:
        imported = import_file(db, path, lab, fmt, as_of, on_batch=advance)
    for note in imported.notes:
        stderr_console().print(f"note: {escape(note)}", highlight=False)
    saved = imported.saved
    dropped = f"; {saved.dropped} dropped by the lab's filters" if lab.filters else ""
    reopened = f", {saved.reopened} reopened" if saved.reopened else ""
    older = f", {saved.older} left as stored (seen or closed after this file)" if saved.older else ""
    click.echo(f"{path}: {imported.format} format, {saved.seen} postings ({saved.new} new, {saved.updated} updated, "
               f"{saved.unchanged} unchanged{reopened}{older}) for {lab_name} as of {imported.saved_at} "
               f"({imported.saved_by}){dropped}")


@cli.command()
@db_option()
@click.option("--profile", default=None, help="Profile to rank by (default: $ASR_JOBS_PROFILE, else "
              "`profiles default`, else asr-research).")
@click.option("--lab", "lab_names", multiple=True, help="Only these labs (repeatable).")
@click.option("--new", "only_new", is_flag=True, help="Only postings first seen in their lab's latest scrape.")
@click.option("--status", type=click.Choice(["open", "uncertain", "closed", "all"]), default=None,
              help="The posting's state on its career site (default: open and uncertain). "
                   "Your application status is --tracked.")
@click.option("--tracked", "tracked", multiple=True, type=click.Choice(APPLICATION_STATUSES),
              help="Only postings you marked with this application status (`asr-jobs mark`; repeatable).")
@click.option("--all", "show_all", is_flag=True,
              help="Also the postings you marked hidden or rejected (left out otherwise).")
@click.option("--search", metavar="TEXT", help="Full-text search in titles and descriptions (words in any order, stems count).")
@click.option("--location", metavar="TEXT", help="Location contains this text (any case), e.g. London.")
@click.option("--remote", is_flag=True, help="Only remote postings (workplace remote, or 'remote' in the location).")
@click.option("--min-salary", type=click.FloatRange(min=0), metavar="N",
              help="Maximum pay at least N per year in the posting's own currency (hourly and monthly pay count "
                   "as yearly); postings without pay are left out unless --include-unpaid.")
@click.option("--include-unpaid", is_flag=True, help="With --min-salary: keep postings that state no pay.")
@click.option("--seniority", "seniority", multiple=True, type=click.Choice(LEVELS),
              help="Only this level, as read from the title (repeatable).")
@click.option("--category", type=click.Choice(CATEGORIES), help="Only labs of this category.")
@click.option("--since", "since_days", type=click.FloatRange(min=0), metavar="DAYS",
              help="Only postings first seen in the last DAYS days.")
@limit_option(20, "How many rows (0 for all).")
@output_options
@friendly_errors
def jobs(db_path: str | None, profile: str | None, lab_names: tuple[str, ...], only_new: bool, status: str | None,
         tracked: tuple[str, ...], show_all: bool, search: str | None, location: str | None, remote: bool,
         min_salary: float | None, include_unpaid: bool, seniority: tuple[str, ...], category: str | None,
         since_days: float | None, limit: int, fmt: str) -> None:
    """The ranked list of postings for a profile, best first, with the terms behind each score.

    The tracked column is your application status (`asr-jobs mark`); postings you marked hidden or
    rejected are left out unless --all or --tracked names them.

    \b
    Examples:
        asr-jobs jobs
        asr-jobs jobs --profile streaming --lab nvidia --new --limit 50
        asr-jobs jobs --search "speech recognition" --remote --min-salary 150000
        asr-jobs jobs --tracked applied --tracked interviewing
        asr-jobs jobs --json > top.json
    """
    if include_unpaid and min_salary is None:
        raise click.BadParameter("only makes sense with --min-salary", param_hint="--include-unpaid")
    from .db import queries
    from .profiles import default_profile

    db = existing_db(db_path)
    check_lab_names(db, lab_names)
    profile = profile or default_profile(db)
    check_profile_name(db, profile)
    filters = queries.JobFilters(tracked=tracked, show_all=show_all, search=search, location=location, remote=remote,
                                 min_salary=min_salary, include_unpaid=include_unpaid, seniority=seniority,
                                 category=category, since_days=since_days)
    rows = queries.ranked_or_explain(db, profile, labs=list(lab_names), only_new=only_new, status=status, limit=limit,
                                     filters=filters)
    if only_new and not rows:
        stderr_console().print("nothing new: no posting was first seen in its lab's latest scrape"
                               + (f" ({', '.join(lab_names)})" if lab_names else ""), highlight=False)
        if fmt == "table":
            return
    if fmt == "table":
        # Your application status is a column once some row has one: no empty column for those who track nothing.
        columns = JOBS_TABLE_COLUMNS if any(r["tracked"] for r in rows) else TABLE_COLUMNS
        emit(table_rows(db, rows), fmt, columns, title=f"{len(rows)} postings for profile {profile}")
    else:
        emit(rows, fmt, ["rank", "score", "match", "id", "title", "lab", "location", "seniority", "salary", "status",
                         "tracked", "note", "first_seen", "url", "terms"])


# A ranked table on a terminal: the url becomes a link on the short id (cli_common.fitted_table); piped, all of it.
TABLE_COLUMNS = ["rank", "id", "score", "match", "title", "lab", "location", "seniority", "salary", "url", "terms"]
JOBS_TABLE_COLUMNS = [*TABLE_COLUMNS[:5], "tracked", *TABLE_COLUMNS[5:]]
UPDATE_COLUMNS = ["rank", "score", "title", "lab", "location", "seniority", "salary", "url", "terms"]


def table_rows(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ranked rows for a table: the short id `show` accepts, and the three strongest terms."""
    from .db import queries
    short = queries.short_ids(db, [r["id"] for r in rows])
    return [{**r, "id": short[r["id"]], "terms": ", ".join(entry_text(t, percent=False) for t in r["terms"][:3])} for r in rows]


@cli.command()
@click.argument("posting_id")
@db_option()
@click.option("--profile", default=None, help="Say which field terms the posting asks for that this profile's "
              "text lacks (default: $ASR_JOBS_PROFILE, else `profiles default`; none without either).")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@click.option("--open", "open_browser", is_flag=True, help="Also open the posting on the lab's career site in a web browser.")
@friendly_errors
def show(posting_id: str, db_path: str | None, profile: str | None, as_json: bool, open_browser: bool) -> None:
    """One posting in full, with its score against every profile.

    POSTING_ID is the id shown by `jobs` (a unique prefix is enough) or LAB:SOURCE_ID. With a personal
    profile (--profile, $ASR_JOBS_PROFILE or `profiles default`), the field terms the posting asks for
    that the profile's text (your CV) lacks are listed as the gap.

    \b
    Example (the demo's top posting for asr-research):
        asr-jobs demo && asr-jobs show 68ab3d6c2a9a3393 --db demo.db
    """
    from .db import tracking
    from .db.ratings import stored_default_profile
    from .matcher.boilerplate import posting_detail
    from .profiles import default_profile

    db = existing_db(db_path)
    posting = posting_detail(db, posting_id)
    posting["tracking"] = tracking.history(db, posting["id"])
    if open_browser:
        open_in_browser(posting.get("url"))
    personal = profile or (default_profile(db) if os.environ.get("ASR_JOBS_PROFILE") or stored_default_profile(db)
                           else None)
    if personal:
        from .matcher.personal import posting_gap

        check_profile_name(db, personal)
        posting["gap"] = {"profile": personal, "terms": posting_gap(posting, personal)}
    if as_json:
        click.echo(json.dumps(printable_value(posting), indent=2, ensure_ascii=False))
        return
    console = stdout_console()
    console.print(f"[bold]{escape(posting['title'])}[/bold]  ({escape(posting['lab'])})", highlight=False)
    for label, key in (("id", "id"), ("url", "url"), ("location", "location"), ("team", "team"),
                       ("workplace", "workplace"), ("type", "employment_type"), ("seniority", "seniority"),
                       ("salary", "salary"), ("degree", "degree"), ("venues", "venues"),
                       ("publishing", "publications"), ("posted", "posted_at"), ("status", "status"), ("first seen", "first_seen"), ("last seen", "last_seen"),
                       ("closed", "closed_at")):
        if posting.get(key):
            console.print(f"{label:>11}: {escape(str(posting[key]))}", highlight=False)
    console.print()
    if posting["matches"]:
        console.print("[bold]Scores[/bold]")
        for s in posting["matches"]:
            head = f"  {s['profile']:<28} {s['score']:.3f} {s['match']:<6}  rank {s['rank']:<5} "
            entries = [entry_text(t) for t in s["terms"][:8]]
            indent = len(head) if console.width - len(head) >= TERMS_WIDTH else 4  # else under the profile
            lines = term_lines(entries, console.width - indent)
            if indent < len(head):
                lines.insert(0, "")
            for number, line in enumerate(lines or [""]):
                console.print(f"{head if number == 0 else ' ' * indent}{line}".rstrip(), highlight=False, markup=False)
        console.print()
    print_tracking(console, posting["tracking"])
    if posting.get("gap"):
        gap = posting["gap"]
        console.print(f"[bold]Asked for, not in {escape(gap['profile'])}[/bold]: "
                      f"{escape(', '.join(gap['terms'])) or '(nothing: every field term it asks for is there)'}",
                      highlight=False)
        console.print()
    if posting["boilerplate"]:
        console.print(f"[bold]Boilerplate[/bold] (repeated across {escape(posting['company'] or posting['lab'])}'s "
                      "postings: weighs as boilerplate)", highlight=False)
        for paragraph in posting["boilerplate"]:
            line = " ".join(paragraph.split())
            console.print(f"  - {line[:100]}{'…' if len(line) > 100 else ''}", highlight=False, markup=False)
        console.print()
    console.print(posting["description"] or "(no description)", highlight=False, markup=False)


TERMS_WIDTH = 24  # narrowest column an explanation is wrapped into beside its score


def term_lines(entries: list[str], width: int) -> list[str]:
    """A score's explanation ("speech 22%, audio 17%, ...") wrapped to a width, never inside an entry."""
    import textwrap

    # textwrap breaks only at ASCII whitespace: a no-break space keeps "online-decoding 32%" whole.
    text = ", ".join(entry.replace(" ", "\u00a0") for entry in entries)
    lines = textwrap.wrap(text, max(width, TERMS_WIDTH), break_long_words=False, break_on_hyphens=False)
    return [line.replace("\u00a0", " ") for line in lines]


def print_tracking(console: Any, changes: list[dict[str, Any]]) -> None:
    """`show`'s lines of a posting's application history (nothing when it is not tracked)."""
    if not changes:
        return
    console.print("[bold]Tracking[/bold]")
    for change in changes:
        note = f"  {change['note']}" if change["note"] else ""
        console.print(f"  {change['marked_at'][:16].replace('T', ' ')}  {change['status']:<12}{note}",
                      highlight=False, markup=False)
    console.print()


def open_in_browser(url: str | None) -> None:
    """Open a posting's URL in the web browser; a one-line error when it has none a browser can open."""
    import webbrowser

    if not url or not url.startswith(("https://", "http://")):
        raise click.ClickException(f"the posting has no web address to open ({url or 'none'})")
    if not webbrowser.open(url):
        stderr_console().print(f"no web browser found; the posting is at {url}", highlight=False, markup=False)


def labs_write_option(fn: Callable) -> Callable:
    """--labs for the commands that edit the user's labs file: it may not exist yet (it is then created)."""
    return click.option("--labs", "labs_file", type=click.Path(dir_okay=False), envvar="ASR_JOBS_LABS",
                        help="The labs file to edit (default: labs.toml in your config directory, "
                             "which every command reads when no --labs is given).")(fn)


@cli.group(name="labs", invoke_without_command=True)
@db_option()
@click.option("--labs", "labs_file", type=click.Path(dir_okay=False), envvar="ASR_JOBS_LABS",
              help="Your own TOML lab file: adds labs or overrides built-in entries.")
@output_options
@click.pass_context
@friendly_errors
def labs_(ctx: click.Context, db_path: str | None, labs_file: str | None, fmt: str) -> None:
    """Every lab, configured or holding postings: its adapter, category, and its last scrape's status, counts and time.

    With --json or --csv, `source` says where each entry comes from: built-in, your labs file, or both
    (a built-in entry your file overrides). The subcommands edit your labs file.

    \b
    Examples:
        asr-jobs labs --labs my-labs.toml
        asr-jobs labs add https://jobs.ashbyhq.com/elevenlabs --category startup
        asr-jobs labs remove elevenlabs
        asr-jobs labs enable --group speech-startups
    """
    if ctx.invoked_subcommand is not None:
        return
    if labs_file:
        labs_file = TextFile().convert(labs_file, None, ctx)
    from .db import queries
    from .db.store import default_db_path
    configured = get_labs(labs_file)
    sources = lab_sources(labs_file or default_labs_file())
    path = db_path or default_db_path()
    if not os.path.exists(path):  # the configured labs are still worth listing: from an empty in-memory database
        stderr_console().print(f"{missing_db_message(path)}; listing the configured labs without scrape status",
                               highlight=False, markup=False)
    db = existing_db(path if os.path.exists(path) else ":memory:")
    stored = [lab for lab in queries.labs_holding_postings(db) if lab.name not in configured]
    rows = queries.lab_status(db, [*configured.values(), *stored])
    if fmt == "table":
        emit(rows, fmt, title="labs")
        return
    emit([{**row, "source": sources.get(row["lab"], "database (postings only)")} for row in rows], fmt)


@labs_.command(name="add")
@click.argument("url")
@click.option("--name", help="The lab's name (default: the board's name, in lower case with hyphens).")
@click.option("--category", type=click.Choice(CATEGORIES), help="The lab's category (default: industry).")
@click.option("--no-check", is_flag=True, help="Write the entry from the URL alone (its host and path): no request.")
@click.option("--timeout", default=20.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds the check may take.")
@labs_write_option
@friendly_errors
def labs_add(url: str, name: str | None, category: str | None, no_check: bool, timeout: float,
             labs_file: str | None) -> None:
    """Add the lab behind a careers page or job-board URL to your labs file.

    The career system and its board come from the URL's host and path (Greenhouse, Ashby, Lever,
    Workable, Workday, Eightfold, SmartRecruiters), else from the page: an embedded board (script or iframe), links to a
    board, or schema.org JobPosting JSON-LD. One listing request proves it (as `doctor` does) before the
    entry is written; the entry and the number of postings found are shown.

    \b
    Examples:
        asr-jobs labs add https://jobs.ashbyhq.com/elevenlabs --category startup
        asr-jobs labs add https://www.example-speech.ai/careers --name example
        asr-jobs labs add https://job-boards.greenhouse.io/cartesia --no-check
    """
    from .labfile import add_lab

    added = add_lab(url, labs_file, name=name, category=category, check=not no_check, timeout=timeout)
    click.echo(added.entry_text().rstrip("\n"))
    if added.check is None:
        found = "not checked (--no-check)"
    elif added.check.postings is None:
        found = "the board answered (it does not say how many postings it has)"
    else:
        found = f"{added.check.postings:,} postings found"
    stderr_console().print(f"added {added.name} ({added.entry['adapter']}, from {added.how}) to {added.path}: "
                           f"{found}; `asr-jobs scrape {added.name}` fetches it", highlight=False, markup=False,
                           soft_wrap=True)


@labs_.command(name="remove")
@click.argument("name")
@labs_write_option
@friendly_errors
def labs_remove(name: str, labs_file: str | None) -> None:
    """Remove a lab's entry from your labs file (a built-in lab is switched off with `labs disable`).

    \b
    Example:
        asr-jobs labs remove elevenlabs
    """
    from .labfile import remove_lab

    path, outcome = remove_lab(name, labs_file)
    click.echo(f"{name}: {outcome} ({path})")


@labs_.command(name="enable")
@click.argument("names", metavar="[LAB]...", nargs=-1)
@click.option("--group", help="Every starter lab of this group (speech-startups, speech-academic).")
@labs_write_option
@friendly_errors
def labs_enable(names: tuple[str, ...], group: str | None, labs_file: str | None) -> None:
    """Switch labs on: starter labs (one group, or by name), or labs switched off in your labs file.

    \b
    Examples:
        asr-jobs labs enable --group speech-startups
        asr-jobs labs enable elevenlabs
    """
    from .labfile import enable_group, set_enabled

    if not names and not group:
        raise click.UsageError("name the labs to switch on, or give --group")
    if group:
        path, enabled = enable_group(group, labs_file)
        click.echo(f"switched on {len(enabled)} labs of {group} in {path}: {', '.join(enabled)}")
    if names:
        path = set_enabled(list(names), True, labs_file)
        click.echo(f"switched on {', '.join(names)} in {path}")


@labs_.command(name="disable")
@click.argument("names", metavar="LAB...", nargs=-1, required=True)
@labs_write_option
@friendly_errors
def labs_disable(names: tuple[str, ...], labs_file: str | None) -> None:
    """Switch labs off (`enabled = false` in your labs file); built-in labs stay in labs.toml, unused.

    \b
    Example:
        asr-jobs labs disable meta-fair
    """
    from .labfile import set_enabled

    path = set_enabled(list(names), False, labs_file)
    click.echo(f"switched off {', '.join(names)} in {path}")


@cli.command()
@db_option(default="demo.db", help="Database file the demo writes (default: demo.db; $ASR_JOBS_DB is not used, so "
                                   "the demo never touches your own database). A file there is replaced only "
                                   "if an earlier demo made it.")
@click.option("--profile", default="asr-research", show_default=True, help="Profile to show the top jobs for.")
@limit_option(10, "How many top jobs to print.")
@friendly_errors
def demo(db_path: str | None, profile: str, limit: int) -> None:
    """Offline demo: replay the bundled SAMPLE recordings into a fresh database, match, print the top jobs.

    The recordings hold sample postings written for the demo in each career site's
    real format; nothing in them was scraped.

    \b
    Example:
        asr-jobs demo && asr-jobs jobs --db demo.db --profile streaming
    """
    from .db import store
    from .demo import run_demo

    path = db_path or "demo.db"
    if not os.path.isdir(os.path.dirname(path) or "."):
        raise ConfigError(f"--db {path}: directory {os.path.dirname(path)} does not exist")
    err = stderr_console()

    def announce(labs: list[Lab]) -> None:
        err.print(f"asr-jobs demo: replaying SAMPLE recordings of {len(labs)} labs (sample data, not scraped) "
                  f"into {path}", highlight=False)

    run = run_demo(path, profile, limit, on_start=announce)
    emit([o.summary_row() for o in run.outcomes], "table", ["lab", "status", "requests", "seen", "new", "message"],
         title="sample scrape (replayed)")
    emit(table_rows(store.open_db(run.path), run.top), "table", TABLE_COLUMNS,
         title=f"top {len(run.top)} sample postings for profile {profile}")
    err.print(f"Explore: asr-jobs jobs --db {path} --profile {profile}   |   asr-jobs show ID --db {path}",
              highlight=False)
    if run.failed:
        sys.exit(1)
