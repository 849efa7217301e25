"""Matching commands: profiles (list, show, build, add), match and eval; cli.LazyGroup loads them when run."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import click
import sqlite_utils

from .cli_common import (
    TextFile,
    db_option,
    emit,
    entry_text,
    existing_db,
    friendly_errors,
    get_db,
    output_options,
    quiet_option,
    row_progress,
    stderr_console,
    step_progress,
)
from .db.store import default_db_path
from .matcher import MIN_SCORE
from .matcher.run import run_match
from .profiles import DEFAULT_PROFILE
from .profiles.manage import add_profile, build_from_snapshot, describe, profile_rows, profile_view

_METRICS = ("ndcg@10", "ndcg@20", "p@10", "map")


def profiles_dir_option(fn: Callable) -> Callable:
    """--profiles-dir DIR (repeatable): more profile directories, after the built-in and user ones."""
    return click.option(
        "--profiles-dir", "profiles_dirs", multiple=True, type=click.Path(file_okay=False),
        help="Another directory of profile files (repeatable); the user directory "
             "($ASR_JOBS_PROFILES or ~/.config/asr-jobs/profiles) is always read.",
    )(fn)


def _existing_db(db_path: str | None) -> sqlite_utils.Database | None:
    """The database if its file exists (listing profiles must not create one), else None."""
    path = db_path or default_db_path()
    return get_db(path) if path == ":memory:" or os.path.exists(path) else None


@click.group("profiles", invoke_without_command=True)
@db_option()
@profiles_dir_option
@output_options
@click.pass_context
@friendly_errors
def profiles_group(ctx: click.Context, db_path: str | None, profiles_dirs: tuple[str, ...], fmt: str) -> None:
    """List the skill profiles postings are scored against (with match counts once `match` has run).

    \b
    Examples:
      asr-jobs profiles
      asr-jobs profiles --json
      asr-jobs profiles show asr-research
    """
    if ctx.invoked_subcommand is not None:
        return
    rows = profile_rows(_existing_db(db_path), *profiles_dirs)
    emit(rows, fmt, ["name", "kind", "title", "level", "band", "matches", "from"], title="Profiles")


@profiles_group.command("show")
@click.argument("name")
@db_option()
@profiles_dir_option
@click.option("--top", default=10, show_default=True, help="How many best matches to list (0: none).")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@friendly_errors
def show_command(name: str, db_path: str | None, profiles_dirs: tuple[str, ...], top: int, as_json: bool) -> None:
    """Show one profile: its text, weights, pay band and best matches.

    \b
    Examples:
      asr-jobs profiles show streaming
      asr-jobs profiles show senior-research-scientist --top 20 --db jobs.db
    """
    view = profile_view(_existing_db(db_path), name, *profiles_dirs, top=top)
    matches = [{**m, "terms": ", ".join(entry_text(t) for t in m["terms"][:4])} for m in view.matches]
    if as_json:
        click.echo(json.dumps({**vars(view.profile), "matches": matches}, indent=2, ensure_ascii=False))
        return
    click.echo(describe(view.profile))
    if matches:
        emit(matches, "table", ["rank", "score", "title", "lab", "seniority", "terms"], title=f"Best matches of {name}")


@profiles_group.command("build")
@click.argument("snapshot", type=TextFile())
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Where to write the profile files (default: the user profile directory).")
@db_option()
@friendly_errors
def build_command(snapshot: str, out: str | None, db_path: str | None) -> None:
    """Write profiles from a market snapshot: overall, one per skill, research area and level.

    The snapshot is plain text: short heading lines (Top Skills, Research Areas, Breakdown by level,
    Top Research Labs, Publication Venues) followed by '- Name: description' items; levels carry their
    pay band ('- Research Scientist (PhD): $200K-$280K - ...'). Hand-written additions live in
    NAME.extra.toml beside the generated files and are never overwritten. With --db the profiles are
    also stored in the database.

    \b
    Examples:
      asr-jobs profiles build market-2026.txt
      asr-jobs profiles build ../shared/seed/asr-research-roles-2026.txt --out profiles
    """
    target, profiles = build_from_snapshot(snapshot, out, db=get_db(db_path) if db_path else None)
    for profile in profiles:
        click.echo(f"{profile.kind:8} {profile.name:40} {profile.path}")
    stderr_console().print(f"{len(profiles)} profiles written to {target}")


@profiles_group.command("add")
@click.argument("name")
@click.option("--from", "source", required=True, type=click.Path(exists=True, dir_okay=False),
              help="A CV, a research statement or a few lines about what you want: PDF, DOCX, Markdown or plain text.")
@click.option("--weight", "weights", multiple=True, metavar="TERM=W",
              help="Weight a term (repeatable): 2 doubles it, 0 ignores it; a term not in the text is added.")
@click.option("--title", default=None, help="A title for listings (default: the name).")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="Where to save it (default: $ASR_JOBS_PROFILES or ~/.config/asr-jobs/profiles).")
@click.option("--force", is_flag=True, help="Replace an existing profile of that name.")
@db_option()
@friendly_errors
def add_command(name: str, source: str, weights: tuple[str, ...], title: str | None, directory: str | None,
                force: bool, db_path: str | None) -> None:
    """Add your own profile from free text or a CV, optionally weighting terms.

    \b
    Examples:
      asr-jobs profiles add me --from cv.pdf
      asr-jobs profiles add streaming-me --from notes.txt --weight RNN-T=3 --weight "on-device=2"
    """
    path = add_profile(name, source, weights=weights, title=title, directory=directory, force=force,
                       db=get_db(db_path) if db_path else None)
    click.echo(str(path))


@click.command("match")
@click.option("--profile", "names", multiple=True, metavar="NAME",
              help="Score against this profile (repeatable; default: all profiles).")
@db_option()
@profiles_dir_option
@click.option("--min-score", type=float, default=MIN_SCORE, show_default=True,
              help="Keep matches scoring above this.")
@click.option("--refit", is_flag=True, help="Fit the vocabulary on all open postings again, even if few changed.")
@quiet_option
@output_options
@friendly_errors
def match_command(names: tuple[str, ...], db_path: str | None, profiles_dirs: tuple[str, ...], min_score: float,
                  refit: bool, quiet: bool, fmt: str) -> None:
    """Score the open postings against profiles; store ranked matches with the terms behind each score.

    Profiles are stored in the database too (table profiles), so datasette can show them. After a scrape
    that added a few postings, only new, changed and closed postings are scored, with the vocabulary of
    the last fit; once those reach 10% of the postings it was fitted on, everything is fitted again
    (the message on stderr says which, and why).

    \b
    Examples:
      asr-jobs match
      asr-jobs match --profile asr-research --profile streaming --db jobs.db
    """
    with row_progress("matching: reading postings", quiet) as advance:
        run = run_match(existing_db(db_path), names, *profiles_dirs, min_score=min_score, refit=refit, on_rows=advance)
    if fmt == "table":  # JSON and CSV stay pure data
        stderr_console().print(f"{run.summary.mode} match: {run.summary.note}", highlight=False, markup=False)
    emit(run.rows, fmt, ["profile", "kind", "matches", "best score", "best posting"],
         title=f"{run.summary.postings} open postings scored")


@click.command("eval")
@click.argument("labels", type=TextFile())
@click.option("--profile", "name", default=DEFAULT_PROFILE, show_default=True, help="The profile the labels grade.")
@db_option()
@profiles_dir_option
@click.option("--samples", default=1000, show_default=True, help="Bootstrap samples for the 95% intervals.")
@click.option("--seed", default=0, show_default=True, help="Seed of the bootstrap.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@quiet_option
@friendly_errors
def eval_command(labels: str, name: str, db_path: str | None, profiles_dirs: tuple[str, ...], samples: int,
                 seed: int, as_json: bool, quiet: bool) -> None:
    """Rank every posting of the database and score the ranking against graded labels.

    LABELS holds one {"id": SOURCE_ID, "grade": 0-3} per line; postings not listed count as grade 0.
    Prints NDCG@10, NDCG@20, P@10 and MAP (relevant: grade >= 2) with bootstrap 95% intervals for the
    matcher, for BM25 and a keyword count on the same profile text, and for the matcher without
    boilerplate removal, without the title weight and without the field vocabulary.

    \b
    Examples:
      asr-jobs import postings.jsonl --format jsonl --lab dev --db dev.db
      asr-jobs eval labels.jsonl --db dev.db
      asr-jobs eval labels.jsonl --profile asr-research --json --db dev.db
    """
    from .matcher.evaluate import ABLATIONS, BASELINES, evaluate_profile

    steps = ["reading postings", "ranking", *(f"bootstrap: {r}" for r in ("matcher", *BASELINES, *ABLATIONS))]
    with step_progress(steps, quiet) as step:
        report = evaluate_profile(existing_db(db_path), labels, name, *profiles_dirs, samples=samples, seed=seed,
                                  on_step=step)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    rows = [{"ranker": ranker, **{m: _with_interval(values[m]) for m in _METRICS}}
            for ranker, values in report["rankers"].items()]
    duplicates = f" (+{report['duplicates']} duplicates counted once)" if report.get("duplicates") else ""
    note = (f"{report['postings']} postings{duplicates}, {report['labeled']} labeled >0, profile {report['profile']}, "
            f"relevant for P@10/MAP: grade >= {report['relevant_grade']}")
    emit(rows, "table", ["ranker", *_METRICS], title=note)
    if report["labels_not_found"]:
        stderr_console().print(f"{report['labels_not_found']} labeled ids match no posting's source_id")


def _with_interval(metric: dict[str, Any]) -> str:
    low, high = metric["ci95"]
    return f"{metric['value']:.3f} [{low:.3f}, {high:.3f}]"

