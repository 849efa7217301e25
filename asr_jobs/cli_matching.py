"""Matching commands: profiles (list, show, build, add, default, reset-feedback), match, rate and eval;
cli.LazyGroup loads them when run."""

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
from .db.ratings import RATINGS, clear_ratings, rate, store_default_profile
from .db.store import default_db_path
from .matcher import MIN_SCORE
from .matcher.run import run_match
from .profiles import DEFAULT_PROFILE, default_profile
from .profiles.manage import (
    add_profile,
    build_from_snapshot,
    describe,
    find_profile,
    profile_rows,
    profile_view,
)

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
    from .matcher.personal import profile_terms

    db = _existing_db(db_path)
    view = profile_view(db, name, *profiles_dirs, top=top)
    report = profile_terms(db, name, *profiles_dirs)
    matches = [{**m, "terms": ", ".join(entry_text(t) for t in m["terms"][:4])} for m in view.matches]
    if as_json:
        click.echo(json.dumps({**vars(view.profile), **report, "matches": matches}, indent=2, ensure_ascii=False))
        return
    click.echo(describe(view.profile))
    _echo_terms(report)
    if matches:
        emit(matches, "table", ["rank", "score", "title", "lab", "seniority", "terms"], title=f"Best matches of {name}")


def _echo_terms(report: dict[str, Any]) -> None:
    """The terms a profile matches on, its ratings, and the terms they raised and lowered."""
    click.echo("")
    if report["terms"]:
        click.echo("matches on: " + ", ".join(f"{term} {weight:.2f}" for term, weight in report["terms"]))
    elif report["note"]:
        click.echo(f"matches on: ({report['note']})")
    for rating in report["ratings"]:
        click.echo(f"rated {rating['rating']:4} {rating['rated_at'][:10]}  {rating['posting_id'][:12]}  "
                   f"{rating['title'] or '(posting gone)'} ({rating['lab'] or '-'})")
    for label, key in (("feedback raised", "raised"), ("feedback lowered", "lowered")):
        if report[key]:
            click.echo(f"{label}: " + ", ".join(f"{term} {change:+.3f}" for term, change in report[key]))


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
@click.option("--like", "like", multiple=True, metavar="NAME[:W]",
              help="Blend in another profile's vector with weight W (default 1; your text weighs 1), repeatable: "
                   "--like asr-research:0.5 --like streaming.")
@click.option("--title", default=None, help="A title for listings (default: the name).")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="Where to save it (default: $ASR_JOBS_PROFILES or ~/.config/asr-jobs/profiles).")
@click.option("--force", is_flag=True, help="Replace an existing profile of that name.")
@db_option()
@friendly_errors
def add_command(name: str, source: str, weights: tuple[str, ...], like: tuple[str, ...], title: str | None,
                directory: str | None, force: bool, db_path: str | None) -> None:
    """Add your own profile from free text or a CV, optionally weighting terms and blending in other profiles.

    The text's own terms count through the field vocabulary, as postings' do. `profiles show NAME` then
    lists the terms it matches on and what was read from the CV (degree, venues, seniority).

    \b
    Examples:
      asr-jobs profiles add me --from cv.pdf --like asr-research:0.5
      asr-jobs profiles add streaming-me --from notes.txt --weight RNN-T=3 --weight "on-device=2"
    """
    path = add_profile(name, source, weights=weights, like=like, title=title, directory=directory, force=force,
                       db=get_db(db_path) if db_path else None)
    click.echo(str(path))


@profiles_group.command("default")
@click.argument("name", required=False)
@db_option()
@profiles_dir_option
@click.option("--clear", is_flag=True, help="Forget the database's default profile.")
@friendly_errors
def default_command(name: str | None, db_path: str | None, profiles_dirs: tuple[str, ...], clear: bool) -> None:
    """Show or set the profile `jobs`, `show` and `update` use when given none ($ASR_JOBS_PROFILE wins).

    \b
    Examples:
      asr-jobs profiles default me
      asr-jobs profiles default
    """
    db = existing_db(db_path)
    if name or clear:
        if name:
            find_profile(name, *profiles_dirs)
        store_default_profile(db, None if clear else name)
    click.echo(default_profile(db))


@profiles_group.command("reset-feedback")
@click.argument("name")
@db_option()
@friendly_errors
def reset_feedback_command(name: str, db_path: str | None) -> None:
    """Forget every rating of a profile: the next `match` ranks by its text alone again.

    \b
    Example:
      asr-jobs profiles reset-feedback me && asr-jobs match
    """
    count = clear_ratings(existing_db(db_path), name)
    stderr_console().print(f"{count} rating{'s' if count != 1 else ''} of {name} forgotten; run `asr-jobs match` "
                           "to rank without them", highlight=False, markup=False)


@click.command("rate")
@click.argument("posting_id")
@click.argument("rating", type=click.Choice(RATINGS))
@click.option("--profile", default=None, help="The profile the rating teaches (default: $ASR_JOBS_PROFILE, else "
              "`profiles default`, else asr-research).")
@db_option()
@profiles_dir_option
@friendly_errors
def rate_command(posting_id: str, rating: str, profile: str | None, db_path: str | None,
                 profiles_dirs: tuple[str, ...]) -> None:
    """Rate a posting good or bad for a profile; the next `match` moves the profile towards good ones.

    Rocchio feedback: the profile's vector plus 0.5 x the mean of the good postings minus 0.25 x the mean
    of the bad ones, negatives cut, unit length; the profile's own text always weighs most. Rating a
    posting again replaces its rating; `profiles reset-feedback NAME` forgets them all.

    \b
    Examples:
      asr-jobs rate 68ab3d6c good --profile me && asr-jobs match
    """
    db = existing_db(db_path)
    name = profile or default_profile(db)
    find_profile(name, *profiles_dirs)
    posting = rate(db, posting_id, rating, name)
    stderr_console().print(f"rated {rating} for {name}: {posting['title']} ({posting['lab']}); `asr-jobs match` "
                           "applies it", highlight=False, markup=False)


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
    the last fit; once those reach 10% of the postings it was fitted on, everything is fitted again. After
    a change of profiles, ratings or --min-score alone, every posting is rescored from its kept token
    counts with the stored fit (the matches a refit stores, much faster). The message on stderr says
    which, and why.

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
@click.option("--feedback", "feedback", type=int, default=None, metavar="K",
              help="Instead: rate the top K by the labels (good: grade >= 2, bad: grade 0), rank again, and "
                   "score the postings not yet seen without and with that feedback.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@quiet_option
@friendly_errors
def eval_command(labels: str, name: str, db_path: str | None, profiles_dirs: tuple[str, ...], samples: int,
                 seed: int, feedback: int | None, as_json: bool, quiet: bool) -> None:
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
      asr-jobs eval labels.jsonl --feedback 10 --db dev.db
    """
    if feedback is not None:
        _eval_feedback(labels, name, db_path, profiles_dirs, feedback, as_json, quiet)
        return
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


def _eval_feedback(labels: str, name: str, db_path: str | None, profiles_dirs: tuple[str, ...], k: int,
                   as_json: bool, quiet: bool) -> None:
    """`eval --feedback K`: the residual ranking's metrics without and with the simulated ratings."""
    from .matcher.feedback_eval import evaluate_feedback

    with step_progress(["reading postings", "ranking", "ranking with feedback"], quiet) as step:
        report = evaluate_feedback(existing_db(db_path), labels, name, k, *profiles_dirs, on_step=step)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    rows = [{"ranker": ranker, **{m: f"{values[m]:.3f}" for m in _METRICS}} for ranker, values in report["rankers"].items()]
    note = (f"top {k} rated ({report['rated_good']} good, {report['rated_bad']} bad, {report['unrated']} grade 1 "
            f"unrated); scored on the {report['residual_postings']} postings not yet seen "
            f"({report['residual_labeled']} labeled >0), profile {report['profile']}")
    emit(rows, "table", ["ranker", *_METRICS], title=note)


def _with_interval(metric: dict[str, Any]) -> str:
    low, high = metric["ci95"]
    return f"{metric['value']:.3f} [{low:.3f}, {high:.3f}]"

