"""Which configured labs a HAR recording belongs to, from the hosts and board names its requests use.

`scrape --replay run.har` without lab names scrapes the labs the recording holds, and `import run.har
--lab X` refuses a recording of another lab (it would "succeed" with nothing but skipped entries).
"""

from __future__ import annotations

import glob
import importlib
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from .models import ConfigError, Lab
from .readers import looks_jsonl
from .scrapers import adapters
from .scrapers.har import load_har
from .scrapers.registry import select_labs

# Params naming the lab's own board, account or tenant on a host that many labs share (Greenhouse, Workday).
IDENTITY_PARAMS = ("token", "board", "account", "tenant", "company", "site")


def expand_paths(patterns: Iterable[str]) -> list[str]:
    """Each pattern's files (shell globs expanded, in name order), without repeats; a ConfigError for none."""
    paths: list[str] = []
    for pattern in patterns:
        matched = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matched:
            raise ConfigError(f"--replay {pattern}: no file matches")
        for path in matched:
            if not Path(path).is_file():
                raise ConfigError(f"--replay {path}: no such file")
            paths.append(path)
    return list(dict.fromkeys(paths))


def lab_hosts(lab: Lab) -> set[str]:
    """The hosts a lab's adapter asks: params.base_url's when set, else those its params and adapter name."""
    if lab.params.get("base_url"):
        return {_host(str(lab.params["base_url"]))}
    hosts = {_host(str(url)) for url in lab.params.get("pages", [])}
    hosts |= {str(h).lower() for h in lab.params.get("follow_hosts", [])}
    if "." in str(lab.params.get("host", "")):
        hosts.add(str(lab.params["host"]).lower())
    module = importlib.import_module(f"{adapters.__name__}.{lab.adapter}")
    if hasattr(module, "public_base"):
        hosts.add(_host(module.public_base(lab)))
    elif isinstance(getattr(module, "BASE_URL", None), str):
        hosts.add(_host(module.BASE_URL))
    hosts |= {_host(url) for url in getattr(module, "API_HOSTS", {}).values()}
    return hosts - {""}


def _host(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()


def lab_owns_url(lab: Lab, hosts: set[str], url: str) -> bool:
    """Whether a request URL is one this lab's scrape makes: its host, and its board/tenant name in the URL."""
    if _host(url) not in hosts:
        return False
    identities = [str(lab.params[key]).lower() for key in IDENTITY_PARAMS if isinstance(lab.params.get(key), str)]
    return all(identity in url.lower() for identity in identities)


def recording_labs(entries: list[dict], labs: Iterable[Lab]) -> list[str]:
    """The labs (in the order given) that made at least one of the recorded requests."""
    urls = {str(entry.get("request", {}).get("url", "")) for entry in entries}
    owners = []
    for lab in labs:
        hosts = lab_hosts(lab)
        if any(lab_owns_url(lab, hosts, url) for url in urls):
            owners.append(lab.name)
    return owners


def labs_of_files(paths: Iterable[str | Path], labs: dict[str, Lab]) -> list[Lab]:
    """The configured labs that HAR files hold requests of; a ConfigError when they hold none."""
    entries = [entry for path in paths for entry in load_har(path)]
    names = recording_labs(entries, labs.values())
    if not names:
        raise ConfigError(f"the recordings ({', '.join(map(str, paths))}) hold requests of no configured lab; "
                          "name the labs to scrape")
    return [labs[name] for name in names]


def labs_to_scrape(configured: dict[str, Lab], names: tuple[str, ...] | list[str],
                   replay_patterns: Iterable[str]) -> tuple[list[Lab], list[str]]:
    """The labs a scrape runs (the named ones, else those the replayed recordings hold, else all) and the
    recordings to replay; a ConfigError for a HAR file given where a lab name goes."""
    for name in names:
        if name not in configured and (name.lower().endswith(".har") or Path(name).is_file()):
            raise ConfigError(f"{name} is a file, not a lab name: use --replay for each file "
                              f"(--replay FIRST.har --replay {name})")
    replay = expand_paths(replay_patterns)
    labs = labs_of_files(replay, configured) if replay and not names else select_labs(configured, names)
    return labs, replay


def looks_like_har(path: str | Path, fmt: str | None) -> bool:
    """Whether an import file may be a HAR recording: --format har, or undeclared and named or shaped like one."""
    if fmt is not None:
        return fmt == "har"
    with open(path, "rb") as file:
        head = file.read(1024).lstrip()
    return Path(path).suffix.lower() == ".har" or (head[:1] == b"{" and b'"log"' in head and not looks_jsonl(path))


def check_recording_lab(path: str | Path, lab_name: str, labs: dict[str, Lab], fmt: str | None) -> None:
    """A ConfigError when a HAR file holds only other configured labs' requests, naming them."""
    if not looks_like_har(path, fmt):
        return
    try:
        entries = load_har(path)
    except ValueError:
        return  # not a HAR file after all: the import says what it is
    owners = recording_labs(entries, labs.values())
    if owners and lab_name not in owners:
        raise ConfigError(f"{path} is a recording of {', '.join(owners)}, not of {lab_name}: "
                          f"import it with --lab {owners[0]}")
