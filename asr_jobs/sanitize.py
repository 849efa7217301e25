"""The sanitize step of ingestion: what a posting may hold once stored, whatever its adapter did."""

from __future__ import annotations

import dataclasses
from typing import Any

from .models import Posting
from .scrapers.html_text import safe_url, strip_markup

# Text fields cleaned on the way in: no markup, no control characters.
TEXT_FIELDS = ("title", "company", "team", "location", "description")


def sanitized(posting: Posting) -> Posting:
    """The posting as it may be stored: text without markup or control characters, an http(s) URL or ''."""
    changes: dict[str, Any] = {name: strip_markup(getattr(posting, name)) for name in TEXT_FIELDS}
    changes["url"] = safe_url(posting.url)
    if all(changes[name] == getattr(posting, name) for name in changes):
        return posting
    return dataclasses.replace(posting, **changes)
