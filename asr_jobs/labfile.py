"""The user's labs file: `labs add` (detect, prove, write), `labs remove`, `labs enable`.

The file is edited with tomlkit, which keeps the user's comments, order and layout: an entry is added or
removed, nothing else of the file changes. Every edit is checked by loading the new text as the registry
would before it replaces the file (written beside it, then renamed), so a failed edit leaves the file as it was.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import tomlkit
from tomlkit.items import Table

from .doctor import DEFAULT_TIMEOUT, Check, check_lab, probe_fetcher
from .models import CATEGORIES, ConfigError, Lab
from .scrapers import detect
from .scrapers.fetch import LabContext
from .scrapers.registry import BUILTIN_LABS, lab_entries, load_labs, user_labs_file

STARTER_LABS = BUILTIN_LABS.with_name("starter-labs.toml")
HEADER = "# Your own labs for asr-jobs: entries here add labs or override built-in ones (README: Adding a lab).\n"
SYSTEM_NAMES = "Greenhouse, Ashby, Lever, Workable, Workday, Eightfold, SmartRecruiters, Recruitee, Personio or Teamtailor"


@dataclass
class Added:
    """A lab `labs add` wrote: its name, its entry, the file, how the system was found, and the check's answer."""

    name: str
    entry: dict[str, Any]
    path: Path
    how: str
    check: Check | None = None

    def entry_text(self) -> str:
        """The entry as it reads in the file."""
        doc = tomlkit.document()
        labs = tomlkit.table(is_super_table=True)
        labs[self.name] = _table(self.entry)
        doc["labs"] = labs
        return tomlkit.dumps(doc)


@dataclass
class Found:
    """What detection found, and what it tried before."""

    detected: detect.Detected
    tried: list[str] = field(default_factory=list)


def target_file(labs_file: str | Path | None) -> Path:
    """The file edits go to: --labs / $ASR_JOBS_LABS, else labs.toml in the user's config directory."""
    return Path(labs_file) if labs_file else user_labs_file()


def add_lab(url: str, labs_file: str | Path | None, *, name: str | None = None, category: str | None = None,
            check: bool = True, transport: httpx.AsyncBaseTransport | None = None,
            timeout: float = DEFAULT_TIMEOUT) -> Added:
    """Detect the career system behind `url`, prove it with one listing request (unless `check` is off), write the entry."""
    if category is not None and category not in CATEGORIES:
        raise ConfigError(f"category {category!r}: use one of {', '.join(CATEGORIES)}")
    path = target_file(labs_file)
    return asyncio.run(_add(url, path, name, category, check, transport, timeout))


async def _add(url: str, path: Path, name: str | None, category: str | None, check: bool,
               transport: httpx.AsyncBaseTransport | None, timeout: float) -> Added:
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        url = "https://" + url
    async with probe_fetcher(transport) as fetcher:
        found = await find_system(url, fetcher if check else None)
        lab_name = detect.slug_of(name or found.detected.slug)
        if not lab_name:
            raise ConfigError(f"{url}: no lab name could be made from {name or found.detected.slug!r}: give --name")
        _refuse_taken(lab_name, path)
        entry = _entry(found.detected, url, category or "industry")
        lab = _checked_lab(lab_name, entry)
        added = Added(lab_name, entry, path, found.detected.how)
        if check:
            added.check = await check_lab(lab, fetcher, timeout)
            if not added.check.ok:
                raise ConfigError(f"{url}: found a {found.detected.adapter} board ({_params_text(entry)}) from "
                                  f"{found.detected.how}, but the check failed: {added.check.message} -> "
                                  f"{added.check.advice}; nothing written to {path} (--no-check writes it anyway)")
    write_entries(path, {lab_name: entry})
    return added


async def find_system(url: str, fetcher: Any | None) -> Found:
    """The system behind a URL: from its host and path, else (with a fetcher) from the page; a ConfigError
    saying what was tried when nothing is found."""
    found = detect.from_url(url)
    if found is not None:
        return Found(found)
    tried = [f"the URL's host and path (no {SYSTEM_NAMES} board)"]
    if detect.eightfold_without_domain(url):
        raise ConfigError(f"{url}: an Eightfold site, but its search needs the employer's domain: add "
                          f"?domain=EMPLOYER.COM to the URL (as the careers page's own address shows it)")
    if fetcher is None:
        raise ConfigError(f"{url}: tried {tried[0]}; --no-check reads only the URL: without it, asr-jobs reads "
                          f"the page for an embedded board")
    lab = Lab(name=detect.slug_of(_host(url)) or "page", title=_host(url), category="industry", adapter="jsonld",
              params={"pages": [url]})
    ctx = LabContext(lab, fetcher)
    if not await ctx.allowed(url):
        raise ConfigError(f"{url}: robots.txt does not let asr-jobs read this page; give the board's own URL")
    html = (await ctx.send("GET", url)).text
    page_found = detect.from_page(html, str(url))
    if page_found is not None:
        return Found(page_found, tried)
    tried.append("the page (no embedded board script or iframe, no link to a board)")
    count = detect.jsonld_count(html, url, lab)
    if count:
        return Found(detect.Detected("jsonld", {"pages": [url]}, lab.name,
                                     f"{count} schema.org JobPostings (JSON-LD) on the page"), tried)
    tried.append("JobPosting JSON-LD (none on the page)")
    raise ConfigError(f"{url}: no career system found; tried {'; '.join(tried)}. Give the URL of the board itself "
                      f"(its job list on {SYSTEM_NAMES}), or write the entry by hand (README: Adding a lab)")


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.").removeprefix("careers.").removeprefix("jobs.").split(".")[0] if host else ""


def _entry(found: detect.Detected, url: str, category: str) -> dict[str, Any]:
    return {"title": found.slug, "category": category, "adapter": found.adapter, "homepage": url,
            "params": dict(found.params)}


def _params_text(entry: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v!r}" for k, v in entry["params"].items())


def _refuse_taken(name: str, path: Path) -> None:
    """A ConfigError when a lab of that name is built in or already in the user's file."""
    found = lab_entries(path if path.is_file() else None)
    if name in found.entries:
        where = "a built-in lab" if found.sources[name][0] == BUILTIN_LABS else f"already in {path}"
        raise ConfigError(f"lab {name!r} is {where}: choose another name with --name")


def _checked_lab(name: str, entry: dict[str, Any]) -> Lab:
    """The Lab an entry makes, checked as the registry checks it (through a file of that one entry)."""
    with tempfile.TemporaryDirectory() as folder:
        probe_file = Path(folder) / "entry.toml"
        probe_file.write_text(tomlkit.dumps({"labs": {name: entry}}), encoding="utf-8")
        return load_labs(probe_file)[name]


def _document(path: Path) -> tomlkit.TOMLDocument:
    """The user's file as a tomlkit document (a new one with a header comment when there is no file yet)."""
    if not path.exists():
        return tomlkit.parse(HEADER)
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read lab file ({exc.strerror})") from None
    except tomlkit.exceptions.TOMLKitError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix it before asr-jobs edits it") from None


def _labs_table(doc: tomlkit.TOMLDocument, path: Path) -> Table:
    if "labs" not in doc:
        doc.add("labs", tomlkit.table(is_super_table=True))
    labs = doc["labs"]
    if not isinstance(labs, Table):
        raise ConfigError(f"{path}: `labs` is not a table of [labs.NAME] entries")
    return labs


def write_entries(path: Path, entries: dict[str, dict[str, Any]]) -> None:
    """Add each entry to the user's file (merged into an entry of the same name), keeping the rest as it is."""
    doc = _document(path)
    labs = _labs_table(doc, path)
    for name, entry in entries.items():
        if name in labs and isinstance(labs[name], Table):
            for key, value in entry.items():
                labs[name][key] = _inline(value)
        else:
            labs[name] = _table(entry)
    _save(path, doc)


def _table(entry: dict[str, Any]) -> Table:
    table = tomlkit.table()
    for key, value in entry.items():
        table[key] = _inline(value)
    table.add(tomlkit.nl())  # a blank line before the next table, as people write them
    return table


def _inline(value: Any) -> Any:
    """Dicts as inline tables (`params = { token = "x" }`, as labs.toml writes them)."""
    if isinstance(value, dict):
        inline = tomlkit.inline_table()
        inline.update({k: _inline(v) for k, v in value.items()})
        return inline
    return value


def _save(path: Path, doc: tomlkit.TOMLDocument) -> None:
    """Check the new text loads as a labs file, then replace the file with it (never a half-written file)."""
    text = tomlkit.dumps(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".labs-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        load_labs(temporary)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def remove_lab(name: str, labs_file: str | Path | None) -> tuple[Path, str]:
    """Remove a lab's entry from the user's file: (the file, what now happens to that name)."""
    path = target_file(labs_file)
    builtin = name in lab_entries().entries
    doc = _document(path) if path.is_file() else None
    labs = _labs_table(doc, path) if doc is not None else None
    if doc is None or labs is None or name not in labs:
        if builtin:
            raise ConfigError(f"{name!r} is a built-in lab, not an entry of {path}: switch it off there with "
                              f"[labs.{name}] enabled = false (asr-jobs labs disable {name})")
        known = sorted(labs) if labs is not None else []
        raise ConfigError(f"no lab {name!r} in {path} (its labs: {', '.join(known) or 'none'})")
    del labs[name]
    if not labs:  # an empty `[labs]` keeps the file a labs file (the registry refuses one without it)
        doc["labs"] = tomlkit.table()
    _save(path, doc)
    return path, "the built-in entry applies again" if builtin else "removed"


def set_enabled(names: list[str], enabled: bool, labs_file: str | Path | None) -> Path:
    """Write `enabled = true/false` for each named lab (built-in, starter or the user's) into the user's file."""
    path = target_file(labs_file)
    known = lab_entries(path if path.is_file() else None).entries
    starters = starter_entries()
    entries: dict[str, dict[str, Any]] = {}
    for name in names:
        if name in starters and name not in known:  # a starter lab not yet in the file: its whole entry
            entries[name] = {**starters[name], "enabled": enabled}
        elif name in known:
            entries[name] = {"enabled": enabled}
        else:
            raise ConfigError(f"unknown lab {name!r}: not built in, not in the starter list, not in {path}")
    write_entries(path, entries)
    return path


def starter_entries(group: str | None = None) -> dict[str, dict[str, Any]]:
    """The starter list's entries (of one group when given), without their `group` and `enabled` keys."""
    doc = tomlkit.parse(STARTER_LABS.read_text(encoding="utf-8")).unwrap()
    labs = doc.get("labs", {})
    return {name: {k: v for k, v in entry.items() if k not in ("group", "enabled")}
            for name, entry in labs.items() if group is None or entry.get("group") == group}


def starter_groups() -> list[str]:
    doc = tomlkit.parse(STARTER_LABS.read_text(encoding="utf-8")).unwrap()
    return sorted({entry.get("group", "") for entry in doc.get("labs", {}).values()} - {""})


def enable_group(group: str, labs_file: str | Path | None) -> tuple[Path, list[str]]:
    """Switch on every starter lab of a group: its entry with `enabled = true` in the user's file (only
    `enabled = true` for one the file already has, so the user's own keys stay)."""
    names = sorted(starter_entries(group))
    if not names:
        raise ConfigError(f"no starter group {group!r} (groups: {', '.join(starter_groups())})")
    return set_enabled(names, True, labs_file), names
