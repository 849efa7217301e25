"""The lab registry (labs.toml plus a user's --labs file) and the adapter for each format."""

from __future__ import annotations

import importlib
import pkgutil
import re
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

from ..models import CATEGORIES, ConfigError, Lab, Politeness
from . import adapters

BUILTIN_LABS = Path(__file__).with_name("labs.toml")

# Every module of scrapers/adapters/ is an adapter, named after its file. Each module has:
#   async def scrape(ctx: LabContext) -> list[Posting]
#   def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]   (pure)
#   def detect(data: Any, url: str) -> bool     (does a saved body look like this format?)
ADAPTER_MODULES = {m.name: m.name for m in pkgutil.iter_modules(adapters.__path__) if not m.name.startswith("_")}


def adapter_module(name: str) -> ModuleType:
    if name not in ADAPTER_MODULES:
        raise ConfigError(f"unknown adapter {name!r} (known: {', '.join(sorted(ADAPTER_MODULES))})")
    return importlib.import_module(f"{adapters.__name__}.{ADAPTER_MODULES[name]}")


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
    adapter_module(entry["adapter"])  # fail early on an unknown adapter
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
    )


def load_labs(*extra_files: str | Path | None) -> dict[str, Lab]:
    """The built-in labs, with entries of each extra file added or merged over them."""
    raw = _read_toml(BUILTIN_LABS)
    defaults = raw.get("defaults", {})
    entries: dict[str, dict[str, Any]] = dict(raw.get("labs", {}))
    sources = {name: BUILTIN_LABS for name in entries}
    for extra in extra_files:
        if not extra:
            continue
        path = Path(extra)
        user = _read_toml(path)
        if "labs" not in user or not isinstance(user["labs"], dict):
            raise ConfigError(f"{path}: expected [labs.NAME] tables")
        defaults = _merge(defaults, user.get("defaults", {}))
        for name, entry in user["labs"].items():
            entries[name] = _merge(entries.get(name, {}), entry)
            sources[name] = path
    enabled = {n: e for n, e in entries.items() if e.get("enabled", True)}
    return {name: _lab(name, entry, defaults, sources[name]) for name, entry in enabled.items()}


def select_labs(labs: dict[str, Lab], names: tuple[str, ...] | list[str]) -> list[Lab]:
    """The named labs (all when none named), or a ConfigError naming the unknown ones."""
    if not names:
        return list(labs.values())
    unknown = [n for n in names if n not in labs]
    if unknown:
        raise ConfigError(f"unknown lab(s): {', '.join(unknown)} (known: {', '.join(sorted(labs))})")
    return [labs[n] for n in names]


def ad_hoc_lab(name: str, adapter: str = "jsonl") -> Lab:
    """A lab not in the registry, for `import --lab NAME` of postings from elsewhere."""
    return Lab(name=name, title=name, category="industry", adapter=adapter)
