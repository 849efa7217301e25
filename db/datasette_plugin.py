"""Datasette hooks for the instances `asr-jobs serve` builds: read-only answers, CSV without formulas,
errors logged as one printable line, posting ids and titles linked to the posting, the SAMPLE banner.

The hooks are registered on datasette's (process-wide) plugin manager, but act only on the instances
passed to `guard` (browse.build_datasette does), so that a plain Datasette in the same process stays plain.
"""

from __future__ import annotations

import csv
import io
import logging
import sys
import weakref
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from datasette import Response, hookimpl
from datasette.plugins import pm
from datasette.utils import add_cors_headers, tilde_decode, tilde_encode
from datasette.utils.asgi import Base400
from datasette.views.base import DatasetteError
from markupsafe import Markup, escape

from ..safetext import csv_cell, printable
from .expressions import terms_sql
from .match_levels import match_level_sql

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

LOG = logging.getLogger("asr_jobs.serve")
PLUGIN = "asr-jobs"  # this plugin's name in datasette, and the key of its configuration in the metadata
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_GUARDED: weakref.WeakSet = weakref.WeakSet()


def guard(datasette: Any) -> None:
    """Apply this module's hooks to `datasette` (registered on import, before any Datasette builds its app)."""
    _GUARDED.add(datasette)


def neutralized_csv(body: bytes) -> bytes:
    """The CSV with every text cell that a spreadsheet would run as a formula prefixed with '."""
    rows = csv.reader(io.StringIO(body.decode("utf-8", errors="replace"), newline=""))
    out = io.StringIO(newline="")
    csv.writer(out).writerows([csv_cell(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8")


def _is_csv(scope: Scope) -> bool:
    query = scope.get("query_string", b"")
    return scope.get("path", "").endswith(".csv") or b"_format=csv" in query


async def _send_text(send: Callable[[Message], Awaitable[None]], status: int, text: str,
                     headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def read_only_csv_safe(datasette: Any, app: ASGIApp) -> ASGIApp:
    """The app, refusing requests that would write (a clean 405, not a 500) and rewriting its CSV answers."""

    async def guarded(scope: Scope, receive: Callable[[], Awaitable[Message]],
                      send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http" or datasette not in _GUARDED:
            await app(scope, receive, send)
            return
        if scope.get("method", "GET") not in READ_METHODS:
            await _send_text(send, 405, "asr-jobs serves this database read-only: only GET requests are answered\n",
                             [(b"allow", b"GET, HEAD, OPTIONS")])
            return
        if not _is_csv(scope):
            await app(scope, receive, send)
            return
        await app(scope, receive, _csv_rewriter(send))

    return guarded


def _csv_rewriter(send: Callable[[Message], Awaitable[None]]) -> Callable[[Message], Awaitable[None]]:
    """A `send` that collects a CSV answer (bounded: CSV streaming is off) and sends it neutralized."""
    start: Message = {}
    chunks: list[bytes] = []

    async def collect(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = b"".join(chunks)
        if start.get("status") == 200:
            body = neutralized_csv(body)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return collect


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[ASGIApp], ASGIApp]:
    return lambda app: read_only_csv_safe(datasette, app)


@hookimpl(hookwrapper=True)
def handle_exception(datasette: Any, request: Any, exception: BaseException):
    """For a guarded instance, answer as datasette's own handler does, minus the traceback it prints
    (with every local, the raw request included): one printable line is logged instead."""
    outcome = yield
    if datasette in _GUARDED:
        outcome.force_result([lambda: quiet_error_response(datasette, request, exception)])


async def quiet_error_response(datasette: Any, request: Any, exception: BaseException) -> Response:
    """The error page (or JSON) datasette would send; the error logged on one printable line."""
    title = None
    info: dict[str, Any] = {}
    if isinstance(exception, Base400):
        status, message = exception.status, exception.args[0] if exception.args else ""
    elif isinstance(exception, DatasetteError):
        status, message, title = exception.status, exception.message, exception.title
        info = dict(exception.error_dict)
        if exception.message_is_html:
            message = Markup(message)
    else:
        status, message = 500, str(exception)
    log_line = printable(f"{request.method} {request.path} -> HTTP {status}: {type(exception).__name__}: "
                         f"{message}", lines=False)[:300]
    LOG.log(logging.ERROR if status >= 500 else logging.INFO, "%s", log_line)
    info.update({"ok": False, "error": message, "status": status, "title": title})
    headers: dict[str, str] = {}
    if datasette.cors:
        add_cors_headers(headers)
    if request.path.split("?")[0].endswith(".json"):
        return Response.json(info, status=status, headers=headers)
    template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
    page = await template.render_async(dict(info, urls=datasette.urls, app_css_hash=datasette.app_css_hash(),
                                            menu_links=lambda: []))
    return Response.html(page, status=status, headers=headers)


class OneLineFormatter(logging.Formatter):
    """Log records as `level: message` on one printable line; an exception adds its type and message,
    never a traceback (whose frames would quote the raw request)."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{record.levelname.lower()}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            line += f" ({type(exc).__name__}: {exc})"
        return printable(line, lines=False)[:500]


# Tables whose posting_id is a declared foreign key: datasette links those itself.
LINKED_BY_DATASETTE = {"matches", "posting_versions", "match_postings", "applications"}


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Markup | None:
    """A posting_id, or the title of a row that has one, as a link to the posting's row page."""
    if datasette not in _GUARDED or table in LINKED_BY_DATASETTE or column not in ("posting_id", "title") or value is None:
        return None
    keys = row.keys() if hasattr(row, "keys") else []
    if "posting_id" not in keys or not row["posting_id"]:
        return None
    href = f"{datasette.urls.table(database, 'postings')}/{tilde_encode(str(row['posting_id']))}"
    return Markup('<a href="{}">{}</a>').format(href, escape(str(value)))


@hookimpl
def extra_template_vars(datasette: Any, view_name: str, database: str | None, table: str | None,
                        request: Any) -> Callable[[], Awaitable[dict[str, Any]]]:
    """`asr_jobs_sample`: whether the database served holds the demo's SAMPLE data (base.html shows a banner);
    on a posting's page, `asr_jobs_scores` (its score, level and explanation per profile) and `asr_jobs_history`
    (the user's application status changes), which row.html lists."""

    async def template_vars() -> dict[str, Any]:
        config = (datasette.plugin_config(PLUGIN) or {}) if datasette in _GUARDED else {}
        history: list[dict[str, Any]] = []
        scores: list[dict[str, Any]] = []
        if datasette in _GUARDED and view_name == "row" and table == "postings" and database and request is not None:
            posting = tilde_decode(request.url_vars.get("pks", ""))
            history = await _application_history(datasette, database, posting)
            scores = await _posting_scores(datasette, database, posting)
        return {"asr_jobs_sample": bool(config.get("sample")), "asr_jobs_history": history, "asr_jobs_scores": scores}

    return template_vars


async def _application_history(datasette: Any, database: str, posting: str) -> list[dict[str, Any]]:
    """A posting's application status changes, oldest first ([] when the database keeps none)."""
    db = datasette.get_database(database)
    if "applications" not in await db.table_names():
        return []
    result = await db.execute("SELECT marked_at, status, note FROM applications WHERE posting_id = ? ORDER BY id",
                              [posting])
    return [dict(row) for row in result.rows]


async def _posting_scores(datasette: Any, database: str, posting: str) -> list[dict[str, Any]]:
    """A posting's score against every profile, best first: rank, level and the terms behind it (as `show`)."""
    sql = (f"SELECT m.profile, round(m.score, 3) AS score, {match_level_sql()} AS match, m.rank, "
           f"{terms_sql()} AS terms FROM matches m WHERE m.posting_id = ? ORDER BY m.score DESC")
    result = await datasette.get_database(database).execute(sql, [posting])
    return [dict(row) for row in result.rows]


if not pm.is_registered(sys.modules[__name__]):
    pm.register(sys.modules[__name__], name=PLUGIN)
