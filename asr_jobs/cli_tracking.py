"""`asr-jobs mark`, `tracked`, `export` and `restore`: the applications a user tracks, and their own data."""

from __future__ import annotations

import click

from .cli_common import db_option, emit, existing_db, friendly_errors, get_db, output_options, stderr_console
from .db import queries, tracking
from .safetext import printable


@click.command()
@click.argument("posting_id")
@click.argument("status", type=click.Choice(tracking.STATUSES))
@click.option("--note", metavar="TEXT", help="A note kept with this change (who you talked to, a deadline ...).")
@db_option()
@friendly_errors
def mark(posting_id: str, status: str, note: str | None, db_path: str | None) -> None:
    """Set your application status of a posting; every change is kept with its time.

    POSTING_ID is the id `jobs` shows (a unique prefix is enough) or LAB:SOURCE_ID. STATUS is one of
    interested, applied, interviewing, offer, rejected or hidden. `jobs` leaves out the postings marked
    hidden or rejected (unless --all); `asr-jobs tracked` lists what you track.

    \b
    Examples:
        asr-jobs mark 68ab applied --note "referred by a friend"
        asr-jobs mark 68ab interviewing --note "onsite 12 Jan"
        asr-jobs mark 3f0c hidden
    """
    db = existing_db(db_path)
    posting = queries.find_posting(db, posting_id)
    before = tracking.history(db, posting["id"])
    tracking.mark(db, posting["id"], status, note)
    was = f" (was {before[-1]['status']})" if before else ""
    click.echo(printable(f"{queries.short_ids(db, [posting['id']])[posting['id']]} {posting['title']} "
                         f"({posting['lab']}): {status}{was}"))


@click.command()
@click.argument("statuses", metavar="[STATUS]...", nargs=-1, type=click.Choice(tracking.STATUSES))
@db_option()
@output_options
@friendly_errors
def tracked(statuses: tuple[str, ...], db_path: str | None, fmt: str) -> None:
    """The postings you track, along the pipeline (interested ... offer, rejected, hidden), latest first.

    Each row has the status, the day it was set and the day you first marked the posting, your latest
    note, the posting's state on its career site, and what happened to it since your last mark: closed,
    or its title, description or pay changed. Name statuses to list only those.

    \b
    Examples:
        asr-jobs tracked
        asr-jobs tracked applied interviewing --json
    """
    db = existing_db(db_path)
    rows = tracking.tracked(db, list(statuses))
    if fmt != "table":
        emit(rows, fmt, ["id", "tracked", "since", "first_marked", "title", "lab", "status", "note", "changes", "url"])
        return
    if not rows:
        stderr_console().print("no tracked postings: `asr-jobs mark ID applied` starts tracking one",
                               highlight=False, markup=False)
        return
    short = queries.short_ids(db, [r["id"] for r in rows])
    # On a terminal the posting's state shows only through changes ("closed ..."); --json has every column.
    emit([{**r, "id": short[r["id"]]} for r in rows], fmt, ["id", "tracked", "since", "title", "lab", "note", "changes", "url"],
         title=f"{len(rows)} tracked postings")


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@db_option()
@friendly_errors
def export(path: str, db_path: str | None) -> None:
    """Write your own data to a JSON file: the application history with notes, and your ratings.

    The postings are not in it: a scrape brings them back under the same ids. `asr-jobs restore FILE`
    reads it into this or another database.

    \b
    Example:
        asr-jobs export my-applications.json
    """
    counts = tracking.export_file(existing_db(db_path), path)
    click.echo(f"{path}: " + ", ".join(f"{n} {table} rows" for table, n in counts.items()))


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@db_option()
@friendly_errors
def restore(path: str, db_path: str | None) -> None:
    """Read a file `asr-jobs export` wrote back into the database (creating it when missing).

    Rows the database already has are skipped, so restoring twice adds nothing. History of postings not
    in the database is kept: it shows once a scrape (or `asr-jobs import`) brings them.

    \b
    Example:
        asr-jobs restore my-applications.json --db new.db
    """
    data = tracking.read_export(path)  # before opening the database: a wrong file creates none
    done = tracking.restore(get_db(db_path), data, path)
    parts = [f"{done.applications} application history rows added", f"{done.already_there} already there"]
    if done.ratings:
        parts.append(f"{done.ratings} ratings")
    if done.ratings_skipped:
        parts.append(f"{done.ratings_skipped} ratings skipped (this release keeps no ratings)")
    if done.unknown_postings:
        parts.append(f"{done.unknown_postings} postings not in this database yet (shown once scraped)")
    click.echo(f"{path}: " + "; ".join(parts))
