"""Transactions and queries over many ids: what every module of db/ writes and reads with."""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import sqlite_utils

# Ids bound per IN (...) list: under SQLite's oldest limit of 999 bound parameters, with room for others.
MAX_IDS = 900
# A writer finding the write lock taken says so after NOTICE_MS, then every PROGRESS_MS while it waits,
# and gives up only after $ASR_JOBS_LOCK_WAIT seconds (default LOCK_WAIT): an import commits in batches,
# so another process's turn comes within seconds; only a stuck process holds the lock that long.
NOTICE_MS = 2000
PROGRESS_MS = 10000
LOCK_WAIT = 900.0


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Where a waiting writer's messages go (stderr; a test or an embedding program may swap it).
notify: Callable[[str], None] = _stderr


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One transaction that takes the write lock up front (BEGIN IMMEDIATE).

    A deferred transaction that reads, then writes, fails at once with "database is locked" when another
    process wrote in between; an immediate one waits its turn instead, saying on stderr that it waits.
    Nested inside another transaction it is a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    begin_immediate(db)
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.execute("COMMIT")


def begin_immediate(db: sqlite_utils.Database) -> None:
    """BEGIN IMMEDIATE; while another process holds the write lock, say so (with how long) and keep waiting."""
    previous = db.execute("PRAGMA busy_timeout").fetchone()[0]
    started = time.monotonic()
    limit = lock_wait()
    step = NOTICE_MS
    waited = False
    try:
        while True:
            db.execute(f"PRAGMA busy_timeout={step}")
            try:
                db.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
            elapsed = time.monotonic() - started
            if elapsed >= limit:
                raise sqlite3.OperationalError(
                    f"database is locked: another process has been writing {database_name(db)} for over "
                    f"{elapsed:.0f} s (set ASR_JOBS_LOCK_WAIT to wait longer)")
            notify(f"still waiting for the write lock on {database_name(db)} ({elapsed:.0f} s)..." if waited else
                   f"waiting for another asr-jobs process to finish writing {database_name(db)}...")
            waited = True
            step = int(min(PROGRESS_MS, max(1.0, (limit - elapsed) * 1000)))
    finally:
        db.execute(f"PRAGMA busy_timeout={previous}")
    if waited:
        notify(f"got the write lock on {database_name(db)} after {time.monotonic() - started:.0f} s")


def lock_wait() -> float:
    """Seconds a writer waits for another one before giving up ($ASR_JOBS_LOCK_WAIT, default LOCK_WAIT)."""
    raw = os.environ.get("ASR_JOBS_LOCK_WAIT", "").strip()
    if not raw:
        return LOCK_WAIT
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"ASR_JOBS_LOCK_WAIT={raw!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"ASR_JOBS_LOCK_WAIT={raw!r} must be a number of seconds, 0 or more")
    return value


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def database_name(db: sqlite_utils.Database) -> str:
    """The database's file as a user would name it (relative to the current directory when under it)."""
    row = db.execute("PRAGMA database_list").fetchone()
    path = row[2] if row and row[2] else ":memory:"
    if path == ":memory:":
        return path
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


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
