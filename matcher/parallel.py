"""Counting the tokens of many postings on every core: worker processes normalize and count chunks of rows.

Normalizing text (the field vocabulary's phrase rewriting, boilerplate splitting) is most of the cost of
matching, and each posting is independent: chunks of rows go to worker processes, each returns its
chunk's counts as sparse arrays over the chunk's own tokens, and the parent maps those tokens to the
vectorizer's columns. Rows are read lazily and only a few chunks are in flight, so memory stays bounded.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import chain, islice, repeat
from typing import Any

import numpy as np

from ..workers import watch_parent
from .text import Vocabulary
from .wordcount import word_characters

# Rows per task: each task costs a fixed share (its tokens listed there, mapped here twice); 1,000 rows (about
# 5 MB of text) make those shares small and still balance the workers. The corpus with 2 workers, 3 alternating
# runs: 12.0-14.1 s of CPU with 400 rows, 11.5-13.2 s with 1,000.
CHUNK = 1000
# Rows per chunk counted in this process: each chunk's tokens are listed and mapped afresh, so fewer, larger
# chunks cost less in all (memory stays a few tens of MB a chunk).
OWN_CHUNK = 2000
MIN_ROWS = 3000  # fewer rows are counted in this process: starting workers would cost more than it saves
IN_FLIGHT = 3  # chunks queued per worker

# (tokens, [(indices, counts, indptr) per field]); tokens[0] is "" (stop words and numbers), column 0
ChunkCounts = tuple[list[str], list[tuple[np.ndarray, np.ndarray, np.ndarray]]]

_vocabulary: Vocabulary | None = None


def column_ids(tokens: list[str], known: dict[str, int], names: list[str] | None = None) -> np.ndarray:
    """The ids of a chunk's tokens in `known` ("" and unknown tokens: 0). With `names` (id -> token), tokens not
    known yet get the next ids, in order of first use, and are added to both."""
    new = set(tokens).difference(known)  # C-level: only chunks with new tokens loop below
    new.discard("")
    if names is not None and new:
        for token in (token for token in tokens if token in new):
            known[token] = len(names)
            names.append(token)
    return np.fromiter(map(known.get, tokens, repeat(0)), dtype=np.int32, count=len(tokens))


def workers() -> int:
    """Worker processes for matching: $ASR_JOBS_WORKERS, else one per core (1 means no workers)."""
    raw = os.environ.get("ASR_JOBS_WORKERS", "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            raise ValueError(f"ASR_JOBS_WORKERS={raw!r} is not a whole number") from None
    return os.cpu_count() or 1


def count_chunk(rows: list[tuple[str, str]], vocabulary: Vocabulary | None = None) -> ChunkCounts:
    """Token counts of (title, description) rows per field (title, role text, boilerplate), over local columns."""
    vocabulary = vocabulary or _vocabulary
    if vocabulary is None:
        raise RuntimeError("count_chunk needs a vocabulary: worker processes are given theirs when they start")
    fields = [vocabulary.fields(title, description) for title, description in rows]
    # All three fields in one call, field by field: each distinct word of the chunk is looked up once.
    tokens, indices, counts, indptr = vocabulary.counter.counts([row[field] for field in range(3) for row in fields])
    arrays = []
    for field in range(3):
        low, high = indptr[field * len(rows)], indptr[(field + 1) * len(rows)]
        field_indptr = indptr[field * len(rows):(field + 1) * len(rows) + 1] - low
        arrays.append((indices[low:high], counts[low:high], field_indptr))
    return tokens, arrays


def _start(vocabulary: Vocabulary, parent: int) -> None:
    global _vocabulary
    _vocabulary = vocabulary
    watch_parent(parent)


def _context() -> Any:
    # fork starts a worker in milliseconds with the vocabulary already in memory; elsewhere spawn is the safe choice.
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def counted(rows: Iterable[tuple[str, str]], vocabulary: Vocabulary, processes: int) -> Iterator[ChunkCounts]:
    """Chunk counts of all rows, in order: in worker processes when there are enough rows, else here."""
    rows = iter(rows)
    head = list(islice(rows, MIN_ROWS))
    if processes <= 1 or len(head) < MIN_ROWS:
        yield from (count_chunk(head[i:i + OWN_CHUNK], vocabulary) for i in range(0, len(head), OWN_CHUNK))
        yield from (count_chunk(chunk, vocabulary) for chunk in _chunks(rows, OWN_CHUNK))
        return
    word_characters()  # built here before the workers fork, which then share it instead of each building it
    with ProcessPoolExecutor(processes, mp_context=_context(), initializer=_start,
                             initargs=(vocabulary, os.getpid())) as pool:
        pending: deque[Future] = deque()
        for chunk in _chunks(chain(head, rows)):
            pending.append(pool.submit(count_chunk, chunk))
            while len(pending) >= processes * IN_FLIGHT:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _chunks(rows: Iterator[tuple[str, str]], size: int = CHUNK) -> Iterator[list[tuple[str, str]]]:
    while chunk := list(islice(rows, size)):
        yield chunk
