"""Token counts kept per posting text, so that a refit merges stored counts instead of tokenizing again.

A text's counts are kept under a hash of the text itself (title and description as fed to the tokenizer,
learned boilerplate already moved apart) and of the vocabulary that tokenized it: a changed posting, a
change in learned boilerplate or in the vocabulary gives a new key, and the text is tokenized afresh.
Each entry packs int32 arrays: the three fields' lengths, then token ids (token_vocabulary), then counts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator

import numpy as np

from ..db import matching
from ..db.connection import write_transaction
from . import parallel
from .text import Vocabulary

# Part of every key: bump it whenever text.py tokenizes differently, so that kept counts are not reused.
TOKENIZER_VERSION = "3"
BATCH = 500  # rows looked up at a time


def vocabulary_digest(vocabulary: Vocabulary) -> str:
    """A hash of what decides a text's tokens besides the text: the vocabulary and the tokenizer's version."""
    described = {"version": TOKENIZER_VERSION, "boilerplate": list(vocabulary.boilerplate),
                 "terms": sorted((name, repr(term)) for name, term in vocabulary.terms.items())}
    return hashlib.sha1(json.dumps(described, sort_keys=True).encode()).hexdigest()


class TokenCache:
    """The kept token counts of one database, for one vocabulary; new counts are kept by save()."""

    def __init__(self, db, vocabulary: Vocabulary):
        self.db = db
        self.vocabulary = vocabulary
        self._prefix = vocabulary_digest(vocabulary).encode()
        self.tokens = matching.token_vocabulary(db)  # id -> token
        self._ids_of = {token: i for i, token in enumerate(self.tokens) if token}
        self._stored = len(self.tokens)  # ids from here on are new
        self._new: dict[str, bytes] = {}
        self.used: list[str] = []
        self.hits = 0
        self._order: list[int] = []  # row positions in the order their counts were produced
        self._maps: dict[tuple[int, int], np.ndarray] = {}  # numbered tokens -> token ids (parallel.column_ids)

    def key(self, title: str, description: str) -> str:
        """The key of a text's counts: 160 bits of its SHA-256 (which processors compute in hardware, in OpenSSL:
        on the corpus 0.06 s against 0.10 s for BLAKE2b)."""
        digest = hashlib.sha256(self._prefix)
        digest.update(title.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
        digest.update(description.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()[:40]

    def counted(self, rows: Iterable[tuple[str, str]], processes: int) -> Iterator[parallel.ChunkCounts]:
        """Chunk counts of all rows: texts not kept first (counted as parallel.counted does), kept ones last.

        order() then gives each produced row's position among the rows.
        """
        self._order = []
        self._maps = {}  # numbered tokens -> token ids, per counter: mapped afresh by each call
        hits: list[tuple[int, bytes]] = []
        missed: list[str] = []

        def misses() -> Iterator[tuple[str, str]]:
            batch: list[tuple[int, str, tuple[str, str]]] = []
            for position, (title, description) in enumerate(rows):
                batch.append((position, self.key(title or "", description or ""), (title, description)))
                if len(batch) >= BATCH:
                    yield from self._looked_up(batch, hits, missed)
                    batch = []
            yield from self._looked_up(batch, hits, missed)

        for chunk in parallel.counted(misses(), self.vocabulary, processes):
            self._keep(chunk, missed)
            # Written chunk by chunk, each in a short transaction: at 100,000 postings the packed counts are
            # a quarter of a gigabyte, never held at once.
            with write_transaction(self.db):
                self.save(prune=False)
            yield chunk
        self.hits = len(hits)
        self._order.extend(position for position, _ in hits)
        if hits:
            yield self.counts_of([blob for _, blob in hits])

    def _looked_up(self, batch: list, hits: list, missed: list) -> Iterator[tuple[str, str]]:
        """The batch's texts not kept (their keys noted in missed); kept ones go to hits, among them twins of texts
        counted earlier in this run (counted() keeps each chunk as soon as it is counted)."""
        kept = matching.kept_token_counts(self.db, [key for _, key, _ in batch]) if batch else {}
        for position, key, text in batch:
            self.used.append(key)
            blob = kept.get(key)
            if blob is None:
                self._order.append(position)
                missed.append(key)
                yield text
            else:
                hits.append((position, blob))

    def order(self) -> np.ndarray:
        """Positions of the rows in the order counted() produced them."""
        return np.asarray(self._order, dtype=np.int64)

    def _keep(self, chunk: parallel.ChunkCounts, missed: list[str]) -> None:
        """Each row of a freshly counted chunk packed under its key (the keys in missed, in order).

        A row packs int32 arrays: its three fields' lengths, then their token ids, then their counts. Ids are
        mapped and stop words and numbers (id 0) dropped for the whole chunk at once, with numpy; every row is
        then written into one array at its place (the layout counts_of reads), and each blob is a slice of its
        bytes.
        """
        tokens, arrays = chunk
        ids = parallel.column_ids(tokens, self._ids_of, self.tokens, self._maps)
        rows = len(arrays[0][2]) - 1
        keys, missed[:rows] = missed[:rows], []
        kept_ids, kept_counts, lengths = [], [], []
        for indices, data, indptr in arrays:
            field_ids = ids.take(indices)
            counted = field_ids != 0
            kept_ids.append(field_ids[counted])
            kept_counts.append(np.asarray(data, dtype=np.int32)[counted])
            # counted entries per row: a cumulative sum read at the row bounds
            running = np.concatenate(([0], np.cumsum(counted, dtype=np.int64)))
            lengths.append(np.diff(running[indptr]))
        per_row = np.stack(lengths, axis=1)  # rows x 3
        offsets = np.zeros(rows + 1, dtype=np.int64)
        np.cumsum(3 + 2 * per_row.sum(axis=1), out=offsets[1:])  # each row's blob: 3 lengths, ids, counts
        packed = np.empty(offsets[-1], dtype=np.int32)
        packed[(offsets[:-1, np.newaxis] + np.arange(3)).ravel()] = per_row.ravel()
        for field, (id_places, count_places) in enumerate(_places(offsets[:-1], per_row)):
            packed[id_places] = kept_ids[field]
            packed[count_places] = kept_counts[field]
        blob = packed.tobytes()
        for key, start, end in zip(keys, (4 * offsets[:-1]).tolist(), (4 * offsets[1:]).tolist(), strict=True):
            self._new[key] = blob[start:end]

    def counts_of(self, blobs: list[bytes]) -> parallel.ChunkCounts:
        """One chunk of kept counts (as kept_token_counts gives them), rows in the order given, over its own tokens
        (only those the rows hold, numbered in token id order), every blob unpacked at once: what counted()
        yields for the kept rows, so a rescore's columns come out as a refit's do."""
        sizes = np.fromiter((len(blob) // 4 for blob in blobs), dtype=np.int64, count=len(blobs))
        packed = np.frombuffer(b"".join(blobs), dtype=np.int32)
        starts = np.zeros(len(blobs), dtype=np.int64)
        np.cumsum(sizes[:-1], out=starts[1:])
        lengths = packed[starts[:, np.newaxis] + np.arange(3)].astype(np.int64).reshape(len(blobs), 3)
        joined = []
        for field_lengths, (id_places, count_places) in zip(lengths.T, _places(starts, lengths), strict=True):
            indptr = np.zeros(len(blobs) + 1, dtype=np.int64)
            np.cumsum(field_lengths, out=indptr[1:])
            joined.append((packed[id_places], packed[count_places], indptr))
        # Ids to local columns through one dense array (no sort): columns follow the ids, as a sorted unique would.
        held = np.zeros(len(self.tokens), dtype=bool)
        for field_ids, _, _ in joined:
            held[field_ids] = True
        present = np.flatnonzero(held)
        local = np.zeros(len(self.tokens), dtype=np.int32)
        local[present] = np.arange(1, len(present) + 1, dtype=np.int32)
        arrays = [(local[field_ids], field_counts, field_indptr) for field_ids, field_counts, field_indptr in joined]
        return ["", *(self.tokens[i] for i in present.tolist())], arrays

    def save(self, prune: bool) -> None:
        """Keep the new tokens and counts (call inside a write transaction); prune=True drops unused counts.

        When another process added tokens meanwhile, this run's new counts are not kept (the next refit keeps them).
        Either way they are released.
        """
        if matching.token_vocabulary_size(self.db) == self._stored:
            matching.add_token_vocabulary(self.db, self._stored, self.tokens[self._stored:])
            matching.keep_token_counts(self.db, self._new)
            if prune:
                matching.prune_token_counts(self.db, self.used)
            self._stored = len(self.tokens)
        self._new = {}


def _places(starts: np.ndarray, lengths: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per field, where its ids and its counts lie among packed rows (int32 positions): the rows start at
    `starts` and hold lengths[row, field] entries of each field. The one layout _keep writes and counts_of reads."""
    totals = lengths.sum(axis=1)
    ahead = np.cumsum(lengths, axis=1) - lengths  # each field's ids start this far into the row's ids
    places = []
    for field_lengths, field_ahead in zip(lengths.T, ahead.T, strict=True):
        firsts = np.zeros(len(field_lengths), dtype=np.int64)  # where each row's entries start in the field's arrays
        np.cumsum(field_lengths[:-1], out=firsts[1:])
        # Place of every id: its row's first id of the field, plus its place within the row; its count, totals on.
        ids = np.repeat(starts + 3 + field_ahead - firsts, field_lengths)
        ids += np.arange(len(ids), dtype=np.int64)
        places.append((ids, ids + np.repeat(totals, field_lengths)))
    return places
