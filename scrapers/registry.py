"""The lab registry (labs.toml plus a user's --labs file) and the adapter for each format."""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
import re
import tomllib
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import click

from ..models import (
    ADAPTER_FUNCTIONS,
    ASYNC_FUNCTIONS,
    CATEGORIES,
    Adapter,
    ConfigError,
    Lab,
    Politeness,
    Posting,
)
from . import adapters

if TYPE_CHECKING:  # httpx stays unimported until a scrape runs (the CLI's --help lists `import --format`)
    from .fetch import LabContext

BUILTIN_LABS = Path(__file__).with_name("labs.toml")


@dataclass(frozen=True)
class ModuleAdapter:
    """An adapter module of scrapers/adapters/, checked to provide every member of models.Adapter."""

    name: str
    module: ModuleType

    def scrape(self, ctx: LabContext) -> Awaitable[list[Posting]]:
        return self.module.scrape(ctx)

    def parse(self, body: bytes | str, lab: Lab, url: str) -> list[Posting]:
        return self.module.parse(body, lab, url)

    def detect(self, data: Any, url: str) -> bool:
        return bool(self.module.detect(data, url))

    def detail_route(self, lab: Lab, posting: Posting) -> str | None:
        return self.module.detail_route(lab, posting)

    def probe(self, ctx: LabContext) -> Awaitable[int | None]:
        return self.module.probe(ctx)


def adapter_names() -> tuple[str, ...]:
    """Every adapter: each module of scrapers/adapters/ is one, named after its file."""
    return tuple(sorted(m.name for m in pkgutil.iter_modules(adapters.__path__) if not m.name.startswith("_")))


def saved_formats() -> tuple[str, ...]:
    """The formats `import` reads: HAR recordings, JSON lines, and each adapter's saved response bodies."""
    return ("har", "jsonl", *(name for name in adapter_names() if name != "jsonl"))


@cache
def adapter(name: str) -> Adapter:
    """The named adapter, or a ConfigError naming the unknown name or the module's missing members."""
    if name not in adapter_names():
        raise ConfigError(f"unknown adapter {name!r} (known: {', '.join(adapter_names())})")
    module = importlib.import_module(f"{adapters.__name__}.{name}")
    problems = [problem for member in ADAPTER_FUNCTIONS if (problem := _member_problem(module, member))]
    if problems:
        raise ConfigError(f"{module.__file__}: not an adapter: {'; '.join(problems)} (see models.Adapter)")
    return ModuleAdapter(name, module)


def _member_problem(module: ModuleType, member: str) -> str | None:
    """What is wrong with one member of an adapter module, or None."""
    function = getattr(module, member, None)
    if not inspect.isfunction(function):
        return f"no function {member}()"
    wanted = member in ASYNC_FUNCTIONS
    if wanted != inspect.iscoroutinefunction(function):
        return f"{member}() must {'' if wanted else 'not '}be async"
    return None


def all_adapters() -> list[Adapter]:
    """Every adapter, checked, in name order."""
    return [adapter(name) for name in adapter_names()]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read lab file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _lab(name: str, entry: dict[str, Any], defaults: dict[str, Any], source: Path) -> Lab:
    entry = _merge(defaults, entry)
    missing = [k for k in ("adapter",) if k not in entry]
    if missing:
        raise ConfigError(f"{source}: lab {name!r} has no {', '.join(missing)}")
    adapter(entry["adapter"])  # fail early on an unknown adapter
    category = entry.get("category", "industry")
    if category not in CATEGORIES:
        raise ConfigError(f"{source}: lab {name!r} has category {category!r}; use one of {', '.join(CATEGORIES)}")
    filters = entry.get("filters", {})
    for kind, patterns in filters.items():
        if kind not in ("title", "team", "text") or not isinstance(patterns, list):
            raise ConfigError(f"{source}: lab {name!r} filter {kind!r} must be title/team/text = [patterns]")
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(f"{source}: lab {name!r} filter {pattern!r} is not a regular expression ({exc})") from None
    return Lab(
        name=name,
        title=entry.get("title", name),
        category=category,
        adapter=entry["adapter"],
        params=dict(entry.get("params", {})),
        queries=list(entry.get("queries", [])),
        filters=filters,
        politeness=Politeness(int(entry.get("concurrency", 4)), float(entry.get("interval", 0.0))),
        max_details=int(entry.get("max_details", 400)),
        homepage=entry.get("homepage", ""),
        headers=_headers(name, entry.get("headers", {}), source),
        time_budget=_time_budget(name, entry.get("time_budget"), source),
    )


def _time_budget(name: str, value: Any, source: Path) -> float | None:
    """A lab's `time_budget` (seconds its scrape may take), checked to be a positive number; None when unset."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        raise ConfigError(f"{source}: lab {name!r} time_budget must be a positive number of seconds, not {value!r}")
    return float(value)


def _headers(name: str, headers: Any, source: Path) -> dict[str, str]:
    """A lab's request headers (`headers = { Referer = "..." }`), checked to be names and text values."""
    if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise ConfigError(f"{source}: lab {name!r} headers must be a table of header names and text values")
    return dict(headers)


def user_labs_file() -> Path:
    """The user's own labs file when no --labs is given: labs.toml in the user's config directory
    (~/.config/asr-jobs on Linux, as click.get_app_dir says); `labs add` writes there."""
    return Path(click.get_app_dir("asr-jobs")) / "labs.toml"


def default_labs_file() -> Path | None:
    """The user's labs file in the config directory when it exists, else None."""
    path = user_labs_file()
    return path if path.is_file() else None


@dataclass
class LabEntries:
    """Every lab entry (built-in ones with the user's merged over them), before any is checked."""

    defaults: dict[str, Any]
    entries: dict[str, dict[str, Any]]
    sources: dict[str, list[Path]]  # the files each entry comes from, built-in first


def lab_entries(*extra_files: str | Path | None) -> LabEntries:
    """The built-in entries, with entries of each extra file added or merged over them."""
    raw = _read_toml(BUILTIN_LABS)
    found = LabEntries(raw.get("defaults", {}), dict(raw.get("labs", {})), {})
    found.sources = {name: [BUILTIN_LABS] for name in found.entries}
    for extra in extra_files:
        if not extra:
            continue
        path = Path(extra)
        user = _read_toml(path)
        if "labs" not in user or not isinstance(user["labs"], dict):
            raise ConfigError(f"{path}: expected [labs.NAME] tables")
        found.defaults = _merge(found.defaults, user.get("defaults", {}))
        for name, entry in user["labs"].items():
            found.entries[name] = _merge(found.entries.get(name, {}), entry)
            found.sources.setdefault(name, []).append(path)
    return found


def load_labs(*extra_files: str | Path | None) -> dict[str, Lab]:
    """The built-in labs, with entries of each extra file added or merged over them; switched-off ones left out."""
    found = lab_entries(*extra_files)
    enabled = {n: e for n, e in found.entries.items() if e.get("enabled", True)}
    return {name: _lab(name, entry, found.defaults, found.sources[name][-1]) for name, entry in enabled.items()}


def lab_sources(*extra_files: str | Path | None) -> dict[str, str]:
    """Where each configured lab comes from: 'built-in', a user file's path, or 'built-in + PATH' for an override."""
    found = lab_entries(*extra_files)
    return {name: " + ".join("built-in" if p == BUILTIN_LABS else str(p) for p in paths)
            for name, paths in found.sources.items()}


def select_labs(labs: dict[str, Lab], names: tuple[str, ...] | list[str]) -> list[Lab]:
    """The named labs (all when none named), or a ConfigError naming the unknown ones."""
    if not names:
        return list(labs.values())
    unknown = [n for n in names if n not in labs]
    if unknown:
        hints = "; ".join(f"{n}: {hint}" for n in unknown if (hint := did_you_mean(n, labs)))
        raise ConfigError(f"unknown lab(s): {', '.join(unknown)} ({hints or 'known: ' + ', '.join(sorted(labs))})")
    return [labs[n] for n in names]


def closest_names(name: str, known: Iterable[str], limit: int = 3) -> list[str]:
    """The known names most like `name` (difflib's ratio, best first), for "did you mean" hints."""
    known = list(known)
    close = difflib.get_close_matches(name, known, n=limit, cutoff=0.6)
    # A prefix ("anthrop", "google") is what people type most; difflib may rank it below the cutoff.
    prefixed = [k for k in sorted(known) if len(name) >= 3 and k.startswith(name) and k not in close]
    return (close + prefixed)[:limit]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """'did you mean X or Y?' for the closest known names, or '' when none is close."""
    close = closest_names(name, known)
    return f"did you mean {' or '.join(close)}?" if close else ""


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: how many inserted, deleted or replaced characters turn `a` into `b`."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def ad_hoc_lab(name: str, adapter: str = "jsonl") -> Lab:
    """A lab not in the registry, for `import --lab NAME` of postings from elsewhere."""
    return Lab(name=name, title=name, category="industry", adapter=adapter)
