"""Skill profiles: the built-in ones generated from the market snapshot, hand-written additions, users' own."""

from __future__ import annotations

if __name__ != "asr_jobs.profiles":  # the folder also sits at the repository root: one importable copy only
    raise ImportError(f"import asr_jobs.profiles, not {__name__}: profiles/ is installed as part of the asr_jobs package")

import json
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from ..db.matching import save_profile_rows
from ..db.ratings import stored_default_profile

BUILTIN_DIR = Path(__file__).parent
EXTRA_SUFFIX = ".extra.toml"
RESERVED = {"vocabulary"}  # vocabulary.toml is the field vocabulary, not a profile
KINDS = ("overall", "skill", "area", "level", "user")
# What the research signal does for a profile (matcher/signals.py): lift research roles, engineering ones, or
# neither; without `role` the built-in kinds are research profiles and `user` profiles neither.
ROLES = ("research", "engineering", "none")
DEFAULT_PROFILE = "asr-research"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass
class Profile:
    """What a posting is scored against: text TF-IDF sees, term weights, and for levels a pay band."""

    name: str
    title: str = ""
    kind: str = "user"
    description: str = ""
    text: str = ""
    terms: list[str] = field(default_factory=list)  # extra terms, each counted as written once more
    weights: dict[str, float] = field(default_factory=dict)  # term -> factor on its TF-IDF weight
    # Other profiles blended into this one's vector, each with its weight (the profile's own text weighs 1).
    like: dict[str, float] = field(default_factory=dict)
    within: str = ""  # a profile this one narrows: its score is the geometric mean of both cosines
    level: str = ""  # for level profiles: the seniority it stands for (research-scientist, senior, ...)
    role: str = ""  # research | engineering | none: which roles the research signal lifts (default by kind)
    salary_min: float | None = None
    salary_max: float | None = None
    salary_currency: str = ""
    salary_open: bool = False  # the band has no upper bound ("$350K+")
    labs: list[str] = field(default_factory=list)
    venues: list[str] = field(default_factory=list)
    source: str = ""
    path: str = ""
    extra_path: str = ""

    @property
    def match_text(self) -> str:
        """The text the matcher vectorizes: the profile's text and its extra terms."""
        return "\n".join([self.text, *self.terms]).strip()

    def row(self) -> dict[str, Any]:
        """The profiles-table row."""
        terms = {term: 1.0 for term in self.terms}
        terms.update(self.weights)
        return {
            "name": self.name, "title": self.title, "kind": self.kind, "description": self.description,
            "text": self.match_text, "terms": json.dumps(terms, ensure_ascii=False), "within": self.within or None,
            "level": self.level or None,
            "salary_min": self.salary_min, "salary_max": self.salary_max,
            "salary_currency": self.salary_currency or None, "salary_open": int(self.salary_open),
            "path": self.path,
        }


def default_profile(db: sqlite_utils.Database | None = None) -> str:
    """The profile `jobs`, `show` and `update` use: $ASR_JOBS_PROFILE, else the database's setting, else asr-research."""
    return os.environ.get("ASR_JOBS_PROFILE") or stored_default_profile(db) or DEFAULT_PROFILE


def user_dir() -> Path:
    """Where users keep their own profiles: $ASR_JOBS_PROFILES, else ~/.config/asr-jobs/profiles."""
    configured = os.environ.get("ASR_JOBS_PROFILES")
    return Path(configured).expanduser() if configured else Path.home() / ".config" / "asr-jobs" / "profiles"


def profile_dirs(*extra_dirs: str | Path) -> list[Path]:
    """The directories profiles come from, later ones overriding earlier ones."""
    dirs = [BUILTIN_DIR, user_dir(), *(Path(d).expanduser() for d in extra_dirs)]
    return list(dict.fromkeys(d for d in dirs if d == BUILTIN_DIR or d.is_dir()))


def load_profiles(*extra_dirs: str | Path) -> dict[str, Profile]:
    """Built-in profiles, then the user directory's, then those of extra_dirs, later ones replacing earlier
    ones of the same name; NAME.extra.toml adds to NAME's profile from its own or an earlier directory."""
    profiles: dict[str, Profile] = {}
    origin: dict[str, int] = {}
    dirs = profile_dirs(*extra_dirs)
    for rank, directory in enumerate(dirs):
        for path in sorted(directory.glob("*.toml")):
            if path.name.endswith(EXTRA_SUFFIX) or path.stem in RESERVED:
                continue
            try:
                profile = read_profile(path)
            except (ValueError, OSError) as exc:
                warn_skipped(path, exc)
                continue
            profiles[profile.name] = profile
            origin[profile.name] = rank
    for rank, directory in enumerate(dirs):
        for path in sorted(directory.glob("*" + EXTRA_SUFFIX)):
            name = path.name[: -len(EXTRA_SUFFIX)]
            if name in profiles and origin[name] <= rank:
                try:
                    apply_extra(profiles[name], path)
                except (ValueError, OSError) as exc:
                    warn_skipped(path, exc)
    return dict(sorted(profiles.items(), key=lambda item: (KINDS.index(item[1].kind), item[0])))


_warned: set[str] = set()


def warn_skipped(path: Path, problem: Exception) -> None:
    """Say on stderr (once per file and problem) that a broken profile file is skipped: one bad file must
    not stop every command that loads profiles."""
    message = str(problem) if str(path) in str(problem) else f"{path}: {problem}"
    if message not in _warned:
        _warned.add(message)
        print(f"warning: skipped a broken profile file: {message}", file=sys.stderr)


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from None


def read_profile(path: Path) -> Profile:
    """One profile file; a ValueError names the file and what is wrong."""
    data = _load_toml(path)
    name = data.get("name") or path.stem
    check_name(name, str(path))
    kind = data.get("kind", "user")
    if kind not in KINDS:
        raise ValueError(f"{path}: kind {kind!r} is not one of {', '.join(KINDS)}")
    role = str(data.get("role", ""))
    if role not in ("", *ROLES):
        raise ValueError(f"{path}: role {role!r} is not one of {', '.join(ROLES)}")
    text = data.get("text", "")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{path}: a profile needs a non-empty text")
    profile = Profile(
        name=name, title=str(data.get("title") or name), kind=kind, description=str(data.get("description", "")),
        text=text.strip(), terms=_strings(data, "terms", path), weights=_weights(data, path),
        like=_weights(data, path, "like"),
        within=str(data.get("within", "")), level=str(data.get("level", "")), salary_min=_number(data, "salary_min", path),
        salary_max=_number(data, "salary_max", path), salary_currency=str(data.get("salary_currency", "")),
        salary_open=bool(data.get("salary_open", False)), labs=_strings(data, "labs", path),
        venues=_strings(data, "venues", path), source=str(data.get("source", "")), path=str(path), role=role,
    )
    return profile


def apply_extra(profile: Profile, path: Path) -> None:
    """Merge hand-written additions: more text, more terms, weights (theirs win)."""
    data = _load_toml(path)
    unknown = set(data) - {"text", "terms", "weights", "title", "description", "within"}
    if unknown:
        raise ValueError(f"{path}: unknown keys {', '.join(sorted(unknown))} (allowed: text, terms, weights, "
                         "title, description, within)")
    if data.get("text"):
        profile.text = f"{profile.text}\n{str(data['text']).strip()}"
    profile.terms += [t for t in _strings(data, "terms", path) if t not in profile.terms]
    profile.weights.update(_weights(data, path))
    profile.title = str(data.get("title") or profile.title)
    profile.description = str(data.get("description") or profile.description)
    if "within" in data:
        profile.within = str(data["within"])
    profile.extra_path = str(path)


def check_name(name: Any, where: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name) or name in RESERVED:
        raise ValueError(f"{where}: profile name {name!r} must be lower-case letters, digits and dashes "
                         f"(and not {', '.join(sorted(RESERVED))})")


def _strings(data: dict, key: str, path: Path) -> list[str]:
    value = data.get(key, [])
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ValueError(f"{path}: {key} should be a list of strings")
    return list(value)


def _weights(data: dict, path: Path, key: str = "weights") -> dict[str, float]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ValueError(f"{path}: {key} should be a table of {'term' if key == 'weights' else 'profile'} = number")
    for term, weight in value.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            raise ValueError(f"{path}: {key.rstrip('s')} of {term!r} should be a number, got {weight!r}")
    return {term: float(weight) for term, weight in value.items()}


def _number(data: dict, key: str, path: Path) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{path}: {key} should be a number")
    return float(value)


def save_profiles(db: sqlite_utils.Database, profiles: dict[str, Profile] | list[Profile]) -> int:
    """Upsert profiles into the profiles table; returns how many."""
    items = list(profiles.values()) if isinstance(profiles, dict) else list(profiles)
    save_profile_rows(db, [p.row() for p in items])
    return len(items)


def parse_like(option: str) -> tuple[str, float]:
    """'NAME' or 'NAME:W' from the command line: (NAME, W), W 1 when not given."""
    name, sep, value = option.partition(":")
    try:
        weight = float(value) if sep else 1.0
    except ValueError:
        raise ValueError(f"--like {option!r}: {value!r} is not a number (e.g. --like asr-research:0.5)") from None
    if weight <= 0:
        raise ValueError(f"--like {option!r}: the weight must be above 0")
    check_name(name, f"--like {option!r}")
    return name, weight


def parse_weight(option: str) -> tuple[str, float]:
    """'TERM=W' from the command line: ('TERM', W)."""
    term, sep, value = option.rpartition("=")
    if not sep or not term.strip():
        raise ValueError(f"--weight {option!r}: expected TERM=NUMBER, e.g. --weight 'RNN-T=2'")
    try:
        return term.strip(), float(value)
    except ValueError:
        raise ValueError(f"--weight {option!r}: {value!r} is not a number") from None


_TOML_RAW_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # control characters no TOML string holds as is


def toml_string(value: str) -> str:
    """A TOML string: multi-line literal when possible, else a basic string with every control character escaped."""
    if "\n" in value and "'''" not in value and not _TOML_RAW_FORBIDDEN.search(value):
        return "'''\n" + value.strip("\n") + "\n'''"
    # JSON's escapes are TOML's, except that DEL must be escaped in TOML and JSON leaves it as is.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def profile_toml(profile: Profile, header: str = "") -> str:
    """A profile file's text, in the format read_profile reads."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    values: list[tuple[str, Any]] = [
        ("name", profile.name), ("title", profile.title), ("kind", profile.kind),
        ("description", profile.description), ("source", profile.source), ("within", profile.within),
        ("level", profile.level),
        ("salary_min", profile.salary_min), ("salary_max", profile.salary_max),
        ("salary_currency", profile.salary_currency), ("salary_open", profile.salary_open or None),
        ("labs", profile.labs), ("venues", profile.venues), ("terms", profile.terms), ("text", profile.text),
    ]
    for key, value in values:
        if value in (None, "", []):
            continue
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, float):
            lines.append(f"{key} = {int(value) if value.is_integer() else value}")
        elif isinstance(value, list):
            lines.append(f"{key} = [{', '.join(json.dumps(v, ensure_ascii=False) for v in value)}]")
        else:
            lines.append(f"{key} = {toml_string(str(value))}")
    for key, table in (("weights", profile.weights), ("like", profile.like)):
        if table:
            lines += ["", f"[{key}]"]
            lines += [f"{toml_key(term)} = {weight:g}" for term, weight in table.items()]
    return "\n".join(lines) + "\n"
