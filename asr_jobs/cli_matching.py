"""Matching commands: profiles (list, show, build, add), match and eval. cli.py adds them with register()."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from .cli_common import db_option, emit, friendly_errors, get_db, output_options, stderr_console
from .db.store import default_db_path
from .matcher import MIN_SCORE, match_db, user_vocabulary
from .profiles import (
    BUILTIN_DIR,
    DEFAULT_PROFILE,
    Profile,
    check_name,
    load_profiles,
    parse_weight,
    profile_toml,
    save_profiles,
    user_dir,
)

_METRICS = ("ndcg@10", "ndcg@20", "p@10", "map")


def profiles_dir_option(fn):
    """--profiles-dir DIR (repeatable): more profile directories, after the built-in and user ones."""
    return click.option(
        "--profiles-dir", "profiles_dirs", multiple=True, type=click.Path(file_okay=False),
        help="Another directory of profile files (repeatable); the user directory "
             "($ASR_JOBS_PROFILES or ~/.config/asr-jobs/profiles) is always read.",
    )(fn)


def _existing_db(db_path: str | None):
    """The database if its file exists (listing profiles must not create one), else None."""
    path = db_path or default_db_path()
    return get_db(path) if path == ":memory:" or os.path.exists(path) else None


def _band(profile: Profile) -> str:
    if profile.salary_min is None and profile.salary_max is None:
        return ""
    low = f"{profile.salary_min / 1000:.0f}K" if profile.salary_min is not None else "?"
    high = f"{profile.salary_max / 1000:.0f}K" if profile.salary_max is not None else "?"
    return f"{profile.salary_currency or ''} {low}-{high}{'+' if profile.salary_open else ''}".strip()


def _origin(profile: Profile) -> str:
    return "built-in" if Path(profile.path).parent == BUILTIN_DIR else profile.path


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
    profiles = load_profiles(*profiles_dirs)
    counts: dict[str, int] = {}
    db = _existing_db(db_path)
    if db is not None and "matches" in db.table_names():
        counts = {r["profile"]: r["n"] for r in db.query("SELECT profile, count(*) AS n FROM matches GROUP BY profile")}
    rows = [{"name": p.name, "kind": p.kind, "title": p.title, "level": p.level, "band": _band(p),
             "matches": counts.get(p.name), "from": _origin(p)} for p in profiles.values()]
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
    profiles = load_profiles(*profiles_dirs)
    if name not in profiles:
        raise click.ClickException(f"no profile {name!r} (known: {', '.join(profiles)})")
    profile = profiles[name]
    matches = _best_matches(_existing_db(db_path), name, top) if top > 0 else []
    if as_json:
        data = {k: v for k, v in vars(profile).items()}
        data["matches"] = matches
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    lines = [f"{profile.name}  ({profile.kind})  {profile.title}"]
    if profile.description:
        lines.append(profile.description)
    if profile.level or _band(profile):
        lines.append(f"level: {profile.level or '-'}   band: {_band(profile) or '-'}")
    lines.append(f"file: {profile.path}" + (f"   additions: {profile.extra_path}" if profile.extra_path else ""))
    if profile.weights:
        lines.append("weights: " + ", ".join(f"{term}={weight:g}" for term, weight in profile.weights.items()))
    if profile.terms:
        lines.append("terms: " + ", ".join(profile.terms))
    lines += ["", profile.text]
    click.echo("\n".join(lines))
    if matches:
        emit(matches, "table", ["rank", "score", "title", "lab", "seniority", "terms"], title=f"Best matches of {name}")


def _best_matches(db, name: str, top: int) -> list[dict[str, Any]]:
    if db is None or "matches" not in db.table_names():
        return []
    sql = """SELECT m.rank, m.score, p.title, p.lab, p.seniority, m.terms, p.url FROM matches m
             JOIN postings p ON p.id = m.posting_id WHERE m.profile = ? ORDER BY m.rank LIMIT ?"""
    rows = list(db.query(sql, [name, top]))
    for row in rows:
        row["terms"] = ", ".join(f"{term} {share:.0%}" for term, share in json.loads(row["terms"] or "[]")[:4])
    return rows


@profiles_group.command("build")
@click.argument("snapshot", type=click.Path(exists=True, dir_okay=False))
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
    from .profiles.builder import build

    target = Path(out) if out else user_dir()
    profiles = build(Path(snapshot), target)
    for profile in profiles:
        click.echo(f"{profile.kind:8} {profile.name:40} {profile.path}")
    stderr_console().print(f"{len(profiles)} profiles written to {target}")
    if db_path:
        save_profiles(get_db(db_path), load_profiles(target))


@profiles_group.command("add")
@click.argument("name")
@click.option("--from", "source", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Plain-text file: a CV, a research statement, or a few lines about what you want.")
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
      asr-jobs profiles add me --from cv.txt
      asr-jobs profiles add streaming-me --from notes.txt --weight RNN-T=3 --weight "on-device=2"
    """
    check_name(name, "profiles add")
    text = Path(source).read_text(encoding="utf-8", errors="replace").strip()
    if not text:
        raise click.ClickException(f"{source} is empty")
    target = Path(directory) if directory else user_dir()
    path = target / f"{name}.toml"
    if (BUILTIN_DIR / f"{name}.toml").exists() and not force:
        raise click.ClickException(f"{name!r} is a built-in profile: pick another name, or --force to override it")
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists: pick another name or pass --force")
    profile = Profile(name=name, title=title or name, kind="user", text=text,
                      weights=dict(parse_weight(w) for w in weights), source=str(source),
                      description=f"Added from {Path(source).name}.")
    target.mkdir(parents=True, exist_ok=True)
    path.write_text(profile_toml(profile, "Added with `asr-jobs profiles add`; edit freely."), encoding="utf-8")
    click.echo(str(path))
    if db_path:
        save_profiles(get_db(db_path), load_profiles(target))


@click.command("match")
@click.option("--profile", "names", multiple=True, metavar="NAME",
              help="Score against this profile (repeatable; default: all profiles).")
@db_option()
@profiles_dir_option
@click.option("--min-score", type=float, default=MIN_SCORE, show_default=True,
              help="Keep matches scoring above this.")
@click.option("--refit", is_flag=True, help="Fit the vocabulary on all open postings again, even if few changed.")
@output_options
@friendly_errors
def match_command(names: tuple[str, ...], db_path: str | None, profiles_dirs: tuple[str, ...], min_score: float,
                  refit: bool, fmt: str) -> None:
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
    db = get_db(db_path)
    profiles = load_profiles(*profiles_dirs)
    save_profiles(db, profiles)
    summary = match_db(db, profiles, list(names) or None, min_score=min_score,
                       vocabulary=user_vocabulary(*profiles_dirs), refit=refit)
    if fmt == "table":  # JSON and CSV stay pure data
        stderr_console().print(f"{summary.mode} match: {summary.note}", highlight=False, markup=False)
    titles = {r["id"]: r["title"] for r in db.query(
        "SELECT id, title FROM postings WHERE id IN (SELECT posting_id FROM matches WHERE rank = 1)")}
    rows = []
    for name, count in summary.items():
        best = summary.top.get(name) or []
        rows.append({"profile": name, "kind": profiles[name].kind, "matches": count,
                     "best score": best[0][1] if best else None,
                     "best posting": titles.get(best[0][0], "") if best else ""})
    emit(rows, fmt, ["profile", "kind", "matches", "best score", "best posting"],
         title=f"{summary.postings} open postings scored")


@click.command("eval")
@click.argument("labels", type=click.Path(exists=True, dir_okay=False))
@click.option("--profile", "name", default=DEFAULT_PROFILE, show_default=True, help="The profile the labels grade.")
@db_option()
@profiles_dir_option
@click.option("--samples", default=1000, show_default=True, help="Bootstrap samples for the 95% intervals.")
@click.option("--seed", default=0, show_default=True, help="Seed of the bootstrap.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@friendly_errors
def eval_command(labels: str, name: str, db_path: str | None, profiles_dirs: tuple[str, ...], samples: int,
                 seed: int, as_json: bool) -> None:
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
    from .matcher.evaluate import load_labels, run_eval

    profiles = load_profiles(*profiles_dirs)
    if name not in profiles:
        raise click.ClickException(f"no profile {name!r} (known: {', '.join(profiles)})")
    report = run_eval(get_db(db_path), load_labels(labels), profiles[name], available=profiles, samples=samples,
                      seed=seed, vocabulary=user_vocabulary(*profiles_dirs))
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    rows = [{"ranker": ranker, **{m: _with_interval(values[m]) for m in _METRICS}}
            for ranker, values in report["rankers"].items()]
    note = (f"{report['postings']} postings, {report['labeled']} labeled >0, profile {report['profile']}, "
            f"relevant for P@10/MAP: grade >= {report['relevant_grade']}")
    emit(rows, "table", ["ranker", *_METRICS], title=note)
    if report["labels_not_found"]:
        stderr_console().print(f"{report['labels_not_found']} labeled ids match no posting's source_id")


def _with_interval(metric: dict[str, Any]) -> str:
    low, high = metric["ci95"]
    return f"{metric['value']:.3f} [{low:.3f}, {high:.3f}]"


def register(group: click.Group) -> None:
    """Add the matching commands to the asr-jobs group."""
    for command in (profiles_group, match_command, eval_command):
        group.add_command(command)
