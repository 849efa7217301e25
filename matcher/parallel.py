"""Counting the tokens of many postings on every core: worker processes normalize and count chunks of rows.

Normalizing text (the field vocabulary's phrase rewriting, boilerplate splitting) is most of the cost of
matching, and each posting is independent: chunks of rows go to worker processes, each returns its
chunk's counts as sparse arrays over the chunk's own tokens, and the parent maps those tokens to the
vectorizer's columns. A worker numbers tokens as it meets them and sends each token's text once; a chunk's
tokens travel as numbers, mapped through one array per worker. Rows are read lazily and only a few chunks
are in flight, so memory stays bounded.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import chain, islice, repeat
from typing import Any

import numpy as np

from ..workers import watch_parent
from .text import Vocabulary
from .wordcount import word_characters

# Rows per task: each task costs a fixed share (its token numbers sent and mapped here); 1,000 rows (about 5 MB of
# text) make those shares small and still balance the workers. The corpus with 2 workers, 3 alternating runs:
# 12.0-14.1 s of CPU with 400 rows, 11.5-13.2 s with 1,000 (when each task sent the texts of all its tokens).
CHUNK = 1000
# Rows per chunk counted in this process: each chunk's tokens are listed and mapped afresh, so fewer, larger
# chunks cost less in all (memory stays a few tens of MB a chunk).
OWN_CHUNK = 2000
MIN_ROWS = 3000  # fewer rows are counted in this process: starting workers would cost more than it saves
# From this many rows on, acronyms and phrases are found with Hyperscan (scan.py): compiling its patterns takes
# about 0.3 s, and it saves about 0.15 s per 1,000 postings. At most MIN_ROWS, the rows read before counting
# starts: reading further ahead would look more rows up in the token cache before their twins are counted.
SCAN_ROWS = 2000
IN_FLIGHT = 3  # chunks queued per worker


@dataclass(frozen=True)
class ChunkTokens:
    """A chunk's tokens as the numbers its counter gave them: column c is names[numbers[c]] (column 0: "").

    Worker processes send the parent each token's text once (Numbered); the parent then maps a chunk's columns
    through arrays indexed by these numbers (column_ids), instead of a dictionary lookup per token and chunk.
    """

    source: tuple[int, int]  # (process, generation) of the counter: the same numbers mean the same tokens
    numbers: np.ndarray  # int32, numbers[0] == 0
    names: list[str]  # the counter's tokens by number, at least up to the largest of these numbers

    def strings(self) -> list[str]:
        return [self.names[number] for number in self.numbers.tolist()]


# A chunk's tokens (their texts, or their numbers) and per field (indices, counts, indptr) over its columns
Arrays = list[tuple[np.ndarray, np.ndarray, np.ndarray]]
ChunkCounts = tuple[list[str] | ChunkTokens, Arrays]
# What a worker sends for a chunk's tokens: (source, first, texts of its tokens numbered from first on, numbers)
Numbered = tuple[tuple[int, int], int, list[str], np.ndarray]

_vocabulary: Vocabulary | None = None
_sent: tuple[tuple[int, int], int] = ((0, 0), 0)  # in a worker: the tokens the parent has heard of (source, how many)


def column_ids(tokens: list[str] | ChunkTokens, known: dict[str, int], names: list[str] | None = None,
               maps: dict[tuple[int, int], np.ndarray] | None = None) -> np.ndarray:
    """The ids of a chunk's tokens in `known` ("" and unknown tokens: 0). With `names` (id -> token), tokens not
    known yet get the next ids, in order of first use, and are added to both. Numbered tokens are looked up
    through an array per counter, each token once: across calls when the caller keeps `maps` (while `known` only
    grows)."""
    if isinstance(tokens, ChunkTokens):
        return _mapped(tokens, known, names, {} if maps is None else maps)
    new = set(tokens).difference(known)  # C-level: only chunks with new tokens loop below
    new.discard("")
    if names is not None and new:
        for token in (token for token in tokens if token in new):
            known[token] = len(names)
            names.append(token)
    return np.fromiter(map(known.get, tokens, repeat(0)), dtype=np.int32, count=len(tokens))


def _mapped(tokens: ChunkTokens, known: dict[str, int], names: list[str] | None,
            maps: dict[tuple[int, int], np.ndarray]) -> np.ndarray:
    """column_ids of numbered tokens: numbers not looked up before are looked up as texts, in column order."""
    ids = maps.get(tokens.source)
    if ids is None or len(ids) < len(tokens.names):
        grown = np.full(len(tokens.names), -1, dtype=np.int32)
        if ids is not None:
            grown[:len(ids)] = ids
        ids = maps[tokens.source] = grown
    found = ids[tokens.numbers]
    missing = np.flatnonzero(found < 0)
    if len(missing):
        numbers = tokens.numbers[missing]
        found[missing] = ids[numbers] = column_ids([tokens.names[n] for n in numbers.tolist()], known, names)
    return found


def workers() -> int:
    """Worker processes for matching: $ASR_JOBS_WORKERS, else one per core (1 means no workers)."""
    raw = os.environ.get("ASR_JOBS_WORKERS", "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            raise ValueError(f"ASR_JOBS_WORKERS={raw!r} is not a whole number") from None
    return os.cpu_count() or 1


def count_chunk(rows: list[tuple[str, str]], vocabulary: Vocabulary | None = None) -> tuple[ChunkTokens, Arrays]:
    """Token counts of (title, description) rows per field (title, role text, boilerplate), over local columns.

    Its ChunkTokens hold the counter's own list of names: use them before counting the next chunk."""
    vocabulary = vocabulary or _vocabulary
    if vocabulary is None:
        raise RuntimeError("count_chunk needs a vocabulary: worker processes are given theirs when they start")
    fields = [vocabulary.fields(title, description) for title, description in rows]
    # All three fields in one call, field by field: each distinct word of the chunk is looked up once.
    counter = vocabulary.counter
    numbers, indices, counts, indptr = counter.numbered([row[field] for field in range(3) for row in fields])
    arrays = []
    for field in range(3):
        low, high = indptr[field * len(rows)], indptr[(field + 1) * len(rows)]
        field_indptr = indptr[field * len(rows):(field + 1) * len(rows) + 1] - low
        arrays.append((indices[low:high], counts[low:high], field_indptr))
    return ChunkTokens((os.getpid(), counter.generation), numbers, counter.names), arrays


def _count_in_worker(rows: list[tuple[str, str]]) -> tuple[Numbered, Arrays]:
    """count_chunk in a worker process: with the texts of only the tokens the parent has not heard of yet."""
    global _sent
    tokens, arrays = count_chunk(rows)
    source, heard = _sent
    first = heard if source == tokens.source else 0
    _sent = (tokens.source, len(tokens.names))
    return (tokens.source, first, tokens.names[first:], tokens.numbers), arrays


class _Heard:
    """In the parent: the texts of each worker's tokens, by number, as the workers send them."""

    def __init__(self) -> None:
        self._names: dict[int, tuple[int, list[str]]] = {}  # process -> (generation, names)

    def chunk(self, result: tuple[Numbered, Arrays]) -> ChunkCounts:
        (source, first, new, numbers), arrays = result
        process, generation = source
        known = self._names.get(process)
        if known is None or known[0] != generation:
            known = self._names[process] = (generation, [])
        names = known[1]
        if len(names) != first:  # a worker's results come back in the order it counted them
            raise RuntimeError(f"worker {process} sent tokens from number {first}, expected {len(names)}")
        names.extend(new)
        return ChunkTokens(source, numbers, names), arrays


def _start(vocabulary: Vocabulary, parent: int) -> None:
    global _vocabulary
    _vocabulary = vocabulary
    if vocabulary.scanning:  # a copy sent whole (spawn) does not bring its Hyperscan databases
        vocabulary.use_scanner()
    watch_parent(parent)


def _context() -> Any:
    # fork starts a worker in milliseconds with the vocabulary already in memory; elsewhere spawn is the safe choice.
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def counted(rows: Iterable[tuple[str, str]], vocabulary: Vocabulary, processes: int) -> Iterator[ChunkCounts]:
    """Chunk counts of all rows, in order: in worker processes when there are enough rows, else here."""
    rows = iter(rows)
    head = list(islice(rows, MIN_ROWS))
    if len(head) >= SCAN_ROWS:
        vocabulary.use_scanner()  # before the workers fork: they share it
    if processes <= 1 or len(head) < MIN_ROWS:
        yield from (count_chunk(head[i:i + OWN_CHUNK], vocabulary) for i in range(0, len(head), OWN_CHUNK))
        yield from (count_chunk(chunk, vocabulary) for chunk in _chunks(rows, OWN_CHUNK))
        return
    word_characters()  # built here before the workers fork, which then share it instead of each building it
    heard = _Heard()
    with ProcessPoolExecutor(processes, mp_context=_context(), initializer=_start,
                             initargs=(vocabulary, os.getpid())) as pool:
        pending: deque[Future] = deque()
        for chunk in _chunks(chain(head, rows)):
            pending.append(pool.submit(_count_in_worker, chunk))
            while len(pending) >= processes * IN_FLIGHT:
                yield heard.chunk(pending.popleft().result())
        while pending:
            yield heard.chunk(pending.popleft().result())


def _chunks(rows: Iterator[tuple[str, str]], size: int = CHUNK) -> Iterator[list[tuple[str, str]]]:
    while chunk := list(islice(rows, size)):
        yield chunk
