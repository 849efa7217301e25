"""The asr-jobs command line: a thin layer over scrapers, db, matcher and profiles."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from typing import TYPE_CHECKING

import click
import httpx
import sqlite_utils
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from . import __version__
from .cli_common import (
    db_option,
    emit,
    friendly_errors,
    get_db,
    get_labs,
    labs_option,
    output_options,
    stderr_console,
    stdout_console,
)
from .db import queries
from .models import Lab
from .readers import FORMATS
from .scrapers.registry import ad_hoc_lab, select_labs

if TYPE_CHECKING:
    from .ingest import LabOutcome


class LazyGroup(click.Group):
    """A command group that imports the modules of some commands only when one of them runs.

    Matching pulls in numpy, scipy and scikit-learn (a second of imports): `asr-jobs jobs` and the other
    reading commands must not pay for it.
    """

    LAZY = {"profiles": ("cli_matching", "profiles_group"), "match": ("cli_matching", "match_command"),
            "eval": ("cli_matching", "eval_command"), "serve": ("cli_serve", "serve")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY and name not in self.commands:
            module, attribute = self.LAZY[name]
            self.add_command(getattr(importlib.import_module(f"{__package__}.{module}"), attribute), name)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="asr-jobs")
def cli() -> None:
    """Research job postings for speech (ASR) researchers: scraped, ranked, explained.

    \b
    Start offline with bundled sample data:
        asr-jobs demo
    Then, on a machine with internet:
        asr-jobs scrape && asr-jobs match && asr-jobs jobs
    """


def run_with_progress(db: sqlite_utils.Database, labs: list[Lab], transport: httpx.AsyncBaseTransport | None,
                      accept_drop: bool) -> list[LabOutcome]:
    """Scrape with a progress bar on stderr (data stays on stdout)."""
    from .ingest import scrape_labs

    console = stderr_console()
    with Progress(TextColumn("[bold]scraping"), BarColumn(), TextColumn("{task.completed}/{task.total} labs"),
                  TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  disable=not console.is_terminal) as progress:
        task = progress.add_task("", total=len(labs))

        def done(outcome: LabOutcome) -> None:
            progress.update(task, advance=1, description=f"{outcome.lab}: {outcome.status}")
            if outcome.failed:
                console.print(f"[red]error[/red] {escape(outcome.error or '')}", highlight=False)
            elif outcome.status == "suspicious" and outcome.saved:
                console.print(f"[yellow]suspicious[/yellow] {escape(outcome.saved.suspicious or '')}", highlight=False)

        return asyncio.run(scrape_labs(db, labs, transport=transport, accept_drop=accept_drop, on_done=done))


@cli.command()
@click.argument("lab_names", metavar="[LAB]...", nargs=-1)
@db_option()
@labs_option
@click.option("--record", type=click.Path(dir_okay=False), help="Save every request and response to this HAR 1.2 file.")
@click.option("--replay", type=click.Path(exists=True, dir_okay=False), multiple=True,
              help="Answer every request from this HAR file instead of the network (repeatable).")
@click.option("--accept-drop", is_flag=True, help="Close postings even when a lab's count fell by more than half.")
@output_options
@friendly_errors
def scrape(lab_names: tuple[str, ...], db_path: str | None, labs_file: str | None, record: str | None,
           replay: tuple[str, ...], accept_drop: bool, fmt: str) -> None:
    """Scrape all labs, or the ones named, and store their postings.

    One lab failing never stops the others. Exit status: 1 if any lab failed; 3 if none failed but a
    lab's count dropped suspiciously (nothing of it was closed: check, then rerun with --accept-drop).

    \b
    Examples:
        asr-jobs scrape
        asr-jobs scrape anthropic openai --record run.har
        asr-jobs scrape anthropic --replay run.har
    """
    from .scrapers.har import RecordingTransport, ReplayTransport

    labs = select_labs(get_labs(labs_file), lab_names)
    db = get_db(db_path)
    transport: httpx.AsyncBaseTransport | None = ReplayTransport.from_files(*replay) if replay else None
    recorder: RecordingTransport | None = None
    if record:
        recorder = RecordingTransport(transport or httpx.AsyncHTTPTransport(retries=1))
        transport = recorder
    try:
        outcomes = run_with_progress(db, labs, transport, accept_drop)
    finally:
        if recorder and record:
            recorder.save(record)
    emit([o.summary_row() for o in outcomes], fmt, title="scrape summary")
    if recorder:
        stderr_console().print(f"recorded {len(recorder.entries)} requests to {record}")
    if any(o.failed for o in outcomes):
        sys.exit(1)
    if any(o.status == "suspicious" for o in outcomes):
        sys.exit(3)


@cli.command(name="import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--lab", "lab_name", required=True, help="Lab the postings belong to (a registry name or any new name).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Format of the file (detected when not given).")
@click.option("--as-of", "as_of", metavar="TIME",
              help="When the file was saved (ISO 8601, UTC unless a zone is given; default: the HAR's "
                   "startedDateTime, else the file's modification time).")
@db_option()
@labs_option
@friendly_errors
def import_(path: str, lab_name: str, fmt: str | None, as_of: str | None, db_path: str | None,
            labs_file: str | None) -> None:
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
    from .db.store import now_iso, utc_iso

    if as_of is not None:
        try:
            as_of = utc_iso(as_of)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--as-of") from None
        if as_of > now_iso():
            raise click.BadParameter(f"{as_of} is in the future", param_hint="--as-of")
    labs = get_labs(labs_file)
    lab = labs.get(lab_name) or ad_hoc_lab(lab_name)
    db = get_db(db_path)
    from .ingest import import_file

    imported = import_file(db, path, lab, fmt, as_of)
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
@click.option("--profile", default="asr-research", show_default=True, help="Profile to rank by.")
@click.option("--lab", "lab_names", multiple=True, help="Only these labs (repeatable).")
@click.option("--new", "only_new", is_flag=True, help="Only postings first seen in their lab's latest scrape.")
@click.option("--status", type=click.Choice(["open", "uncertain", "closed", "all"]), default=None,
              help="Posting status (default: open and uncertain).")
@click.option("--limit", default=20, show_default=True, help="How many rows (0 for all).")
@output_options
@friendly_errors
def jobs(db_path: str | None, profile: str, lab_names: tuple[str, ...], only_new: bool, status: str | None,
         limit: int, fmt: str) -> None:
    """The ranked list of postings for a profile, best first, with the terms behind each score.

    \b
    Examples:
        asr-jobs jobs
        asr-jobs jobs --profile streaming --lab nvidia --new --limit 50
        asr-jobs jobs --json > top.json
    """
    rows = queries.ranked_or_explain(get_db(db_path), profile, labs=list(lab_names), only_new=only_new,
                                     status=status, limit=limit)
    if fmt == "table":
        table_rows = [{**r, "terms": ", ".join(t for t, _ in r["terms"][:3])} for r in rows]
        emit(table_rows, fmt, ["rank", "score", "title", "lab", "location", "seniority", "salary", "url", "terms"],
             title=f"{len(rows)} postings for profile {profile}")
    else:
        emit(rows, fmt, ["rank", "score", "id", "title", "lab", "location", "seniority", "salary", "status",
                         "first_seen", "url", "terms"])


@cli.command()
@click.argument("posting_id")
@db_option()
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@friendly_errors
def show(posting_id: str, db_path: str | None, as_json: bool) -> None:
    """One posting in full, with its score against every profile.

    POSTING_ID is the id shown by `jobs` (a unique prefix is enough) or LAB:SOURCE_ID.

    \b
    Example:
        asr-jobs show 660b5e0392cb106e
    """
    posting = queries.posting_detail(get_db(db_path), posting_id)
    if as_json:
        click.echo(json.dumps(posting, indent=2, ensure_ascii=False))
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
            terms = ", ".join(f"{t} {share:.0%}" for t, share in s["terms"][:8])
            console.print(f"  {escape(s['profile']):<28} {s['score']:.3f}  rank {s['rank']:<5} {escape(terms)}",
                          highlight=False)
        console.print()
    console.print(posting["description"] or "(no description)", highlight=False, markup=False)


@cli.command(name="labs")
@db_option()
@labs_option
@output_options
@friendly_errors
def labs_(db_path: str | None, labs_file: str | None, fmt: str) -> None:
    """Every lab: its adapter, category, and its last scrape's status, counts and time.

    \b
    Example:
        asr-jobs labs --labs my-labs.toml
    """
    rows = queries.lab_status(get_db(db_path), get_labs(labs_file).values())
    emit(rows, fmt, title="labs")


@cli.command()
@db_option(default="demo.db")
@click.option("--profile", default="asr-research", show_default=True, help="Profile to show the top jobs for.")
@click.option("--limit", default=10, show_default=True, help="How many top jobs to print.")
@friendly_errors
def demo(db_path: str | None, profile: str, limit: int) -> None:
    """Offline demo: replay the bundled SAMPLE recordings into a fresh database, match, print the top jobs.

    The recordings hold sample postings written for the demo in each career site's
    real format; nothing in them was scraped.

    \b
    Example:
        asr-jobs demo && asr-jobs jobs --db demo.db --profile streaming
    """
    from .demo import run_demo

    path = db_path or "demo.db"
    err = stderr_console()

    def announce(labs: list[Lab]) -> None:
        err.print(f"asr-jobs demo: replaying SAMPLE recordings of {len(labs)} labs (sample data, not scraped) "
                  f"into {path}", highlight=False)

    run = run_demo(path, profile, limit, on_start=announce)
    emit([o.summary_row() for o in run.outcomes], "table", ["lab", "status", "requests", "seen", "new", "message"],
         title="sample scrape (replayed)")
    emit([{**r, "terms": ", ".join(t for t, _ in r["terms"][:3])} for r in run.top], "table",
         ["rank", "score", "title", "lab", "seniority", "salary", "terms"],
         title=f"top {len(run.top)} sample postings for profile {profile}")
    err.print(f"Explore: asr-jobs jobs --db {path} --profile {profile}   |   asr-jobs show ID --db {path}",
              highlight=False)
    if run.failed:
        sys.exit(1)
