"""Words of many texts counted at once with numpy: what Counter(re.findall(r"\\w\\w+", text)) gives for each text,
without a Python object per word.

The texts are joined and read as an array of code points. Word characters are those `\\w` matches (str.isalnum()
or "_"), looked up in a table of every code point; a word is a run of two or more of them. Each word gets a
64-bit polynomial hash computed from prefix sums, so equal words get equal hashes whatever their position. Only
a hash not met before is read back as a string and turned into its token (a Python call each); counts per text
and token come from one sparse matrix build. On postings this costs about half of findall and Counter.

Two different words sharing a 64-bit hash would be counted as one. For random hashes over the few million distinct
words of a large database the chance is below one in a billion. The known worst case of polynomial hashes modulo
2**64 (Thue-Morse strings, which collide for any odd base) needs two words of 2,048 or more word characters built
from two letters in that order, which no posting holds. Mixing in each word's length rules out collisions between
words of different lengths that the sums alone could give.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import repeat

import numpy as np
import scipy.sparse as sp

# Characters hashed at a time: arrays of a few MB, also the fastest (they stay in the processor's cache). A worker
# process's peak grows with this: counting 50,000 postings it peaked 70 MB higher at 1,500,000.
GROUP_CHARS = 400_000
_BASE = 0x100000001B3  # odd, so invertible modulo 2**64
_BASE_INVERSE = pow(_BASE, -1, 2**64)
_LENGTH_MIX = np.uint64(0x9E3779B97F4A7C15)
_SEPARATOR = "\0"  # no word character: no word runs from one text into the next


@lru_cache(maxsize=1)
def word_characters() -> np.ndarray:
    """For every code point, whether `\\w` matches it (0.1 s, once per process; forked workers share it)."""
    return np.fromiter((chr(c).isalnum() or c == 0x5F for c in range(0x110000)), dtype=bool, count=0x110000)


class _Powers:
    """Powers of the base and of its inverse modulo 2**64, grown as longer groups need them."""

    def __init__(self) -> None:
        self.up = np.ones(1, dtype=np.uint64)
        self.down = np.ones(1, dtype=np.uint64)

    def upto(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.up) < n:
            size = max(n, 2 * len(self.up))
            self.up, self.down = _powers(_BASE, size), _powers(_BASE_INVERSE, size)
        return self.up[:n], self.down[:n]


def _powers(base: int, n: int) -> np.ndarray:
    out = np.full(n, base, dtype=np.uint64)
    out[0] = 1
    return np.cumprod(out, out=out)  # unsigned products wrap modulo 2**64


_POWERS = _Powers()


class WordCounter:
    """Counts the words of texts as tokens (token_of(word): a token, or None for words not counted).

    What each word hash stands for is kept for the life of the counter (up to MAX_KEPT hashes), so a word met
    in an earlier call costs no Python call: worker processes keep theirs across the chunks they count.
    """

    MAX_KEPT = 200_000  # hashes kept (about 20 MB with their tokens); then all are forgotten at once

    def __init__(self, token_of: Callable[[str], str | None]):
        self.token_of = token_of
        self._token_ids: dict[str, int] = {}  # token -> its number in this counter (from 1)
        self._tokens: list[str] = [""]  # number -> token; 0: words not counted
        self._ids: dict[int, int] = {}  # word hash -> token number

    def counts(self, texts: list[str]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """(tokens, indices, counts, indptr): per text, the columns of its tokens and their counts, a CSR matrix
        over the texts' own tokens (tokens[0] is "", the column of words not counted). Columns are numbered in
        an order that depends only on the texts."""
        if len(self._ids) > self.MAX_KEPT:  # start afresh: numbers are only ever used within one call
            self._ids.clear()
            self._token_ids.clear()
            del self._tokens[1:]
        parts = [self._group(texts[start:end]) for start, end in _groups(texts)]
        local = np.full(len(self._tokens), -1, dtype=np.int64)
        local[0] = 0
        numbered = 1
        for _, distinct_ids in parts:  # first met, first numbered: the same columns in every run
            fresh = distinct_ids[local[distinct_ids] < 0]
            if len(fresh):
                _, first = np.unique(fresh, return_index=True)
                fresh = fresh[np.sort(first)]
                local[fresh] = np.arange(numbered, numbered + len(fresh))
                numbered += len(fresh)
        matrices = [sp.csr_matrix((matrix.data, local[matrix.indices], matrix.indptr), shape=(matrix.shape[0], numbered))
                    for matrix, _ in parts]
        held = np.flatnonzero(local > 0)
        tokens = [""] * numbered
        for number, token_id in zip(local[held].tolist(), held.tolist(), strict=True):
            tokens[number] = self._tokens[token_id]
        if not matrices:
            return tokens, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int64)
        matrix = sp.vstack(matrices, format="csr")
        return tokens, matrix.indices.astype(np.int32), matrix.data.astype(np.int32), matrix.indptr.astype(np.int64)

    def _group(self, texts: list[str]) -> tuple[sp.csr_matrix, np.ndarray]:
        """Counts of one group of texts by token number, and the numbers of its distinct words in hash order."""
        joined = _SEPARATOR.join(texts)
        points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        edges = np.flatnonzero(np.diff(word_characters()[points], prepend=False, append=False))
        starts, ends = edges[0::2], edges[1::2]  # each run of word characters
        long = ends - starts >= 2
        starts, ends = starts[long], ends[long]
        hashes = _hashes(points, starts, ends)
        # Distinct hashes, a place where each stands, and each word's rank among them (np.unique, without its
        # stable sort).
        order = np.argsort(hashes)
        ranked = hashes[order]
        first = np.ones(len(ranked), dtype=bool)
        np.not_equal(ranked[1:], ranked[:-1], out=first[1:])
        which = np.empty(len(hashes), dtype=np.int64)
        which[order] = np.cumsum(first) - 1
        at = order[first]
        distinct = ranked[first].tolist()
        ids = np.fromiter(map(self._ids.get, distinct, repeat(-1)), dtype=np.int64, count=len(distinct))
        for i in np.flatnonzero(ids < 0).tolist():  # words this counter has not met: a Python call each
            ids[i] = self._ids[distinct[i]] = self._token_id(joined[int(starts[at[i]]):int(ends[at[i]])])
        # Each word's text: texts begin after their separator.
        rows = np.searchsorted(np.cumsum([len(text) + 1 for text in texts]), starts, side="right")
        matrix = sp.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, ids[which])),
                               shape=(len(texts), len(self._tokens)))
        return matrix, ids

    def _token_id(self, word: str) -> int:
        token = self.token_of(word)
        if token is None:
            return 0
        number = self._token_ids.get(token)
        if number is None:
            number = self._token_ids[token] = len(self._tokens)
            self._tokens.append(token)
        return number


def _groups(texts: list[str]) -> Iterator[tuple[int, int]]:
    """(start, end) of runs of texts of about GROUP_CHARS characters (a longer text is a run alone)."""
    start = 0
    while start < len(texts):
        end, size = start, 0
        while end < len(texts) and (end == start or size + len(texts[end]) <= GROUP_CHARS):
            size += len(texts[end]) + 1
            end += 1
        yield start, end
        start = end


def _hashes(points: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A hash of each word points[start:end] that does not depend on where the word stands."""
    up, down = _POWERS.upto(len(points))
    weighted = points.astype(np.uint64)
    weighted *= down  # point j times base**-j
    prefix = np.zeros(len(points) + 1, dtype=np.uint64)
    np.cumsum(weighted, out=prefix[1:])
    del weighted
    hashes = prefix[ends]
    hashes -= prefix[starts]
    hashes *= up[starts]  # sum of point j times base**(start - j): the same wherever the word starts
    hashes ^= (ends - starts).astype(np.uint64) * _LENGTH_MIX
    return hashes
