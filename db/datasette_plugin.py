"""The datasette plugin `asr-jobs serve` registers: posting ids and titles link to the posting's page."""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.utils import tilde_encode
from markupsafe import Markup, escape

from .browse import PLUGIN

# Tables whose posting_id is a declared foreign key: datasette links those itself.
LINKED_BY_DATASETTE = {"matches", "posting_versions", "match_postings"}


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Markup | None:
    """A posting_id, or the title of a row that has one, as a link to the posting's row page."""
    if table in LINKED_BY_DATASETTE or column not in ("posting_id", "title") or value is None:
        return None
    keys = row.keys() if hasattr(row, "keys") else []
    if "posting_id" not in keys or not row["posting_id"]:
        return None
    href = f"{datasette.urls.table(database, 'postings')}/{tilde_encode(str(row['posting_id']))}"
    return Markup('<a href="{}">{}</a>').format(href, escape(str(value)))


@hookimpl
def extra_template_vars(datasette: Any) -> dict[str, Any]:
    """`asr_jobs_sample`: whether the database served holds the demo's SAMPLE data (base.html shows a banner)."""
    config = datasette.plugin_config(PLUGIN) or {}
    return {"asr_jobs_sample": bool(config.get("sample"))}
