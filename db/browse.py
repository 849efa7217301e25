"""The datasette configuration shipped with asr-jobs: metadata for any database file name, the app itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

METADATA_PATH = Path(__file__).with_name("datasette.yaml")
# The metadata file configures these database names; any other file name gets the same block under its own name.
CONFIGURED_NAMES = ("jobs", "demo")
LANDING_VIEW = "ranked_matches"


def database_name(path: str | Path) -> str:
    """The name datasette gives a database file (its stem), which is also its URL path."""
    return Path(path).stem


def load_metadata(name: str = "jobs", *, allow_sql: bool = False) -> dict[str, Any]:
    """The shipped metadata with its database block under `name`; arbitrary SQL stays off unless allowed."""
    metadata = yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))
    metadata["databases"] = {name: metadata["databases"][CONFIGURED_NAMES[0]]}
    if allow_sql:
        metadata.pop("allow_sql", None)
    return metadata


def build_datasette(path: str | Path, *, allow_sql: bool = False):
    """A Datasette serving one jobs database read-only with the shipped metadata."""
    from datasette.app import Datasette

    # The metadata names the useful facets; datasette's suggestions would cost a query per column per page.
    settings = {"default_allow_sql": allow_sql, "allow_download": False, "suggest_facets": False}
    return Datasette([str(path)], metadata=load_metadata(database_name(path), allow_sql=allow_sql),
                     settings=settings)


def feed_path(path: str | Path, profile: str) -> str:
    """URL path of the Atom feed of new top matches for a profile."""
    from datasette.utils import tilde_encode

    return f"/{tilde_encode(database_name(path))}/new_top_matches.atom?{urlencode({'profile': profile})}"


def landing_path(path: str | Path, profile: str | None = None) -> str:
    """URL path of the ranked view of postings still open, for one profile when given."""
    from datasette.utils import tilde_encode

    query = {"profile": profile} if profile else {}
    query["status__not"] = "closed"
    return f"/{tilde_encode(database_name(path))}/{LANDING_VIEW}?{urlencode(query)}"
