"""Working with the profile files: list them, show one with its best matches, add a user's own, build from a snapshot."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from ..db import queries
from ..enrich import degree, seniority, venues
from . import (
    BUILTIN_DIR,
    Profile,
    check_name,
    load_profiles,
    parse_like,
    parse_weight,
    profile_toml,
    read_profile,
    save_profiles,
    user_dir,
)
from .builder import build
from .cv import read_cv


@dataclass
class ProfileView:
    """One profile and its best matches (terms as [[term, share], ...])."""

    profile: Profile
    matches: list[dict[str, Any]] = field(default_factory=list)


def band_text(profile: Profile) -> str:
    """The profile's pay band as 'USD 200K-280K' ('+' when open-ended), or ''."""
    if profile.salary_min is None and profile.salary_max is None:
        return ""
    low = f"{profile.salary_min / 1000:.0f}K" if profile.salary_min is not None else "?"
    high = f"{profile.salary_max / 1000:.0f}K" if profile.salary_max is not None else "?"
    return f"{profile.salary_currency or ''} {low}-{high}{'+' if profile.salary_open else ''}".strip()


def origin(profile: Profile) -> str:
    """'built-in', or the path of the file the profile came from."""
    return "built-in" if Path(profile.path).parent == BUILTIN_DIR else profile.path


def profile_rows(db: sqlite_utils.Database | None, *extra_dirs: str | Path) -> list[dict[str, Any]]:
    """A row per profile: name, kind, title, level, band, its match count (None without a database), origin."""
    counts = queries.match_counts(db) if db is not None else {}
    return [{"name": p.name, "kind": p.kind, "title": p.title, "level": p.level, "band": band_text(p),
             "matches": counts.get(p.name), "from": origin(p)} for p in load_profiles(*extra_dirs).values()]


def find_profile(name: str, *extra_dirs: str | Path) -> tuple[Profile, dict[str, Profile]]:
    """The profile called `name` and all loaded profiles; a ValueError suggests the closest names."""
    from ..scrapers.registry import did_you_mean

    profiles = load_profiles(*extra_dirs)
    if name not in profiles:
        raise ValueError(f"no profile {name!r} ({did_you_mean(name, profiles) or 'known: ' + ', '.join(profiles)})")
    return profiles[name], profiles


def profile_view(db: sqlite_utils.Database | None, name: str, *extra_dirs: str | Path, top: int = 10) -> ProfileView:
    """A profile with its `top` best matches (none without a database or with top 0)."""
    profile, _ = find_profile(name, *extra_dirs)
    matches = queries.best_matches(db, name, top) if db is not None and top > 0 else []
    return ProfileView(profile, matches)


def describe(profile: Profile) -> str:
    """The profile as text: name, kind and title, description, level and band, files, weights, terms, text."""
    lines = [f"{profile.name}  ({profile.kind})  {profile.title}"]
    if profile.description:
        lines.append(profile.description)
    if profile.level or band_text(profile):
        lines.append(f"level: {profile.level or '-'}   band: {band_text(profile) or '-'}")
    lines.append(f"file: {profile.path}" + (f"   additions: {profile.extra_path}" if profile.extra_path else ""))
    if profile.weights:
        lines.append("weights: " + ", ".join(f"{term}={weight:g}" for term, weight in profile.weights.items()))
    if profile.terms:
        lines.append("terms: " + ", ".join(profile.terms))
    if profile.like:
        lines.append("like: " + ", ".join(f"{other} ({weight:g})" for other, weight in profile.like.items()))
    if profile.kind == "user":
        facts = cv_facts(profile.text)
        lines.append(f"read from the text: degree {facts['degree'] or '-'}; venues "
                     f"{', '.join(facts['venues']) or '-'}; seniority {facts['seniority'] or '-'}")
    lines += ["", profile.text]
    return "\n".join(lines)


DEGREES = {"phd-required": "PhD", "phd-preferred": "PhD", "ms": "Master's"}


def cv_facts(text: str) -> dict[str, Any]:
    """What the posting readers of enrich.py find in a CV: degree, venues, seniority (empty when not found)."""
    first_line = text.strip().split("\n", 1)[0]
    return {"degree": DEGREES.get(degree(text), ""), "venues": venues(text), "seniority": seniority(first_line, text)}


def add_profile(name: str, source: str | Path, *, weights: tuple[str, ...] | list[str] = (), title: str | None = None,
                directory: str | Path | None = None, force: bool = False, like: tuple[str, ...] | list[str] = (),
                db: sqlite_utils.Database | None = None) -> Path:
    """Write a user profile from a CV or notes (PDF, DOCX, Markdown, text) and return its path; stored in `db` too.

    A ValueError says why not: a bad name or weight, a file of another kind or without text, a built-in or
    existing profile of that name without `force`, a `like` (NAME or NAME:WEIGHT) naming no loaded profile.
    The file is written beside its place, read back, and
    only then put there: a profile that could not be read back would break every command.
    """
    check_name(name, "profiles add")
    liked = dict(parse_like(option) for option in like)
    text = read_cv(source)
    target = Path(directory) if directory else user_dir()
    known = load_profiles(*([target] if target.is_dir() else []))
    unknown = [n for n in liked if n not in known or n == name]
    if unknown:
        from ..scrapers.registry import did_you_mean

        hints = "; ".join(hint for n in unknown if (hint := did_you_mean(n, known)))
        raise ValueError(f"--like {', '.join(unknown)}: no such profile ({hints or 'see `asr-jobs profiles`'})")
    path = target / f"{name}.toml"
    if (BUILTIN_DIR / f"{name}.toml").exists() and not force:
        raise ValueError(f"{name!r} is a built-in profile: pick another name, or --force to override it")
    if path.exists() and not force:
        raise ValueError(f"{path} exists: pick another name or pass --force")
    profile = Profile(name=name, title=title or name, kind="user", text=text,
                      weights=dict(parse_weight(w) for w in weights), like=liked, source=str(source),
                      description=f"Added from {Path(source).name}.")
    target.mkdir(parents=True, exist_ok=True)
    write_checked(path, profile)
    if db is not None:
        save_profiles(db, load_profiles(target))
    return path


def write_checked(path: Path, profile: Profile) -> None:
    """Write a profile file via a temporary file that must read back to the same text, then move it in place."""
    draft = path.with_name(f".{path.name}.new")
    draft.write_text(profile_toml(profile, "Added with `asr-jobs profiles add`; edit freely."), encoding="utf-8")
    try:
        if read_profile(draft).text != profile.text:
            raise ValueError(f"{path}: the profile would not read back as written; nothing was saved")
        os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)


def build_from_snapshot(snapshot: str | Path, directory: str | Path | None = None, *,
                   db: sqlite_utils.Database | None = None) -> tuple[Path, list[Profile]]:
    """Write the profiles a market snapshot describes into `directory` (default: the user directory).

    Returns the directory and the profiles written; they are stored in `db` too when given.
    """
    target = Path(directory) if directory else user_dir()
    profiles = build(Path(snapshot), target)
    if db is not None:
        save_profiles(db, load_profiles(target))
    return target, profiles
