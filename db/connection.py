"""Transactions and queries over many ids: what every module of db/ writes and reads with."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlite_utils

# Ids bound per IN (...) list: under SQLite's oldest limit of 999 bound parameters, with room for others.
MAX_IDS = 900


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One transaction that takes the write lock up front (BEGIN IMMEDIATE).

    A deferred transaction that reads, then writes, fails at once with "database is locked" when another
    process wrote in between; an immediate one waits its turn (busy timeout) instead.
    Nested inside another transaction it is a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.execute("COMMIT")


def id_chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    """The ids in lists of at most MAX_IDS, in their order."""
    chunk: list[str] = []
    for value in ids:
        chunk.append(value)
        if len(chunk) == MAX_IDS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _with_ids(sql: str, count: int) -> str:
    return sql.replace("{ids}", ", ".join("?" * count))


def rows_in(db: sqlite_utils.Database, sql: str, ids: Iterable[str],
            params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
    """Rows of a SELECT whose `IN ({ids})` is filled with the ids, a chunk at a time (params come first)."""
    for chunk in id_chunks(ids):
        yield from db.query(_with_ids(sql, len(chunk)), [*params, *chunk])


def execute_in(db: sqlite_utils.Database, sql: str, ids: Iterable[str], params: Sequence[Any] = ()) -> int:
    """Run a statement whose `IN ({ids})` is filled with the ids, a chunk at a time; returns the rows changed."""
    changed = 0
    for chunk in id_chunks(ids):
        changed += db.execute(_with_ids(sql, len(chunk)), [*params, *chunk]).rowcount
    return changed
