"""JSON lines of postings (`id, title, description, url, location, company`), e.g. a corpus export."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ...models import Lab, ParseError, Posting
from ..html_text import safe_url
from ..parsing import clean

if TYPE_CHECKING:  # annotations only: the worker process reads files through this module, without HTTP
    from ..fetch import LabContext


async def scrape(ctx: LabContext) -> list[Posting]:
    url = ctx.param("url")
    if not url:
        raise ctx.config_error("", "a jsonl lab needs params.url")
    response = await ctx.send("GET", url)
    return parse(response.content, ctx.lab, url)


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """One posting per non-empty line; `lab` of a line wins over the lab given."""
    try:
        text = body.decode("utf-8-sig") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise ParseError(lab.name, url, f"body is not UTF-8 text ({exc.reason})") from None
    return list(postings_of(text.splitlines(), lab, url))


def postings_of(lines: Iterable[str], lab: Lab, url: str) -> Iterator[Posting]:
    """One posting per non-empty line (numbered from 1 in errors), read as the lines come: a stream of any size."""
    for number, row in rows_of(lines, lab, url):
        yield parse_row(row, lab, url, number)


def check(lines: Iterable[str], lab: Lab, url: str) -> None:
    """The ParseError postings_of would raise on these lines, if any, without making the postings."""
    for number, row in rows_of(lines, lab, url):
        check_row(row, lab, url, number)


def rows_of(lines: Iterable[str], lab: Lab, url: str) -> Iterator[tuple[int, Any]]:
    """The JSON value of each non-empty line, with its number (from 1)."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise ParseError(lab.name, url, f"line {number}: invalid JSON ({exc.msg})") from None
        except RecursionError:
            raise ParseError(lab.name, url, f"line {number}: JSON nested too deeply to read") from None


def check_row(row: Any, lab: Lab, url: str, number: int) -> None:
    """A ParseError naming the line unless the row is an object with an id and a title."""
    if not isinstance(row, dict):
        raise ParseError(lab.name, url, f"line {number}: expected an object, got {type(row).__name__}")
    for key in ("id", "title"):
        if row.get(key) in (None, ""):
            raise ParseError(lab.name, url, f"line {number}: no {key!r}")
    if not _encodes(str(row["id"])):
        # Text fields are cleaned (sanitize); an id is a key, kept as written, so it must be storable as it is.
        raise ParseError(lab.name, url, f"line {number}: the id {row['id']!r} holds a lone surrogate")


def _encodes(text: str) -> bool:
    """Can the text be written as UTF-8 (no lone surrogate, which a JSON escape such as \\ud800 can give)?"""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_row(row: Any, lab: Lab, url: str, number: int) -> Posting:
    check_row(row, lab, url, number)
    return Posting(
        lab=clean(row.get("lab")) or lab.name,
        source_id=str(row["id"]),
        title=clean(str(row["title"])),
        url=safe_url(row.get("url")),
        description=description if isinstance(description := row.get("description"), str) else "",
        location=clean(row.get("location")),
        team=clean(row.get("team")),
        company=clean(row.get("company")),
        posted_at=row.get("posted_at") if isinstance(row.get("posted_at"), str) else None,
        extra={"source": row["source"]} if isinstance(row.get("source"), str) else {},
    )


def detect(data: Any, url: str = "") -> bool:
    return False  # decided on the raw text by the importer: several JSON objects, one per line


def detail_route(lab: Lab, posting: Posting) -> str | None:
    """None: every line is a whole posting: no detail request."""
    return None


async def probe(ctx: LabContext) -> int:
    """The file in its one GET (as scrape asks it), parsed: the number of postings in it."""
    return len(await scrape(ctx))
