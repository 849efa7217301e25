"""Words of many texts counted at once with numpy: what Counter(re.findall(r"\\w\\w+", text)) gives for each text,
without a Python object per word.

The texts are joined and read as an array of code points. Word characters are those `\\w` matches (str.isalnum()
or "_"), looked up in a table of every code point; a word is a run of two or more of them. Each word gets a
64-bit polynomial hash computed from prefix sums, so equal words get equal hashes whatever their position; each
distinct hash is then read back as a string once, and given its column by the caller. Counts per text and column
come from one sparse matrix build. Python work is per distinct word, not per word: about half the cost of
findall and Counter on postings.

Two different words sharing a 64-bit hash would be counted as one. For random hashes over the few million distinct
words of a large database the chance is below one in a billion. The known worst case of polynomial hashes modulo
2**64 (Thue-Morse strings, which collide for any odd base) needs two words of 2,048 or more word characters built
from two letters in that order, which no posting holds. Mixing in each word's length rules out collisions between
words of different lengths that the sums alone could give.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from itertools import repeat

import numpy as np
import scipy.sparse as sp

GROUP_CHARS = 1_500_000  # characters hashed at a time: arrays that stay in the processor's cache do it fastest
_BASE = 0x100000001B3  # odd, so invertible modulo 2**64
_BASE_INVERSE = pow(_BASE, -1, 2**64)
_LENGTH_MIX = np.uint64(0x9E3779B97F4A7C15)
_SEPARATOR = "\0"  # no word character: no word runs from one text into the next


@lru_cache(maxsize=1)
def _word_characters() -> np.ndarray:
    """For every code point, whether `\\w` matches it (0.1 s, once per process; worker processes inherit it)."""
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


def word_counts(texts: list[str], column_of: Callable[[str], int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indices, counts, indptr) of a CSR matrix: per text, each distinct word's column (column_of(word), called
    once per distinct word) and how often the text holds it. Words whose column is the same are summed."""
    columns: dict[int, int] = {}  # word hash -> column
    parts: list[sp.csr_matrix] = []
    start = 0
    while start < len(texts):
        end, size = start, 0
        while end < len(texts) and (end == start or size + len(texts[end]) <= GROUP_CHARS):
            size += len(texts[end]) + 1
            end += 1
        parts.append(_group_counts(texts[start:end], column_of, columns))
        start = end
    if not parts:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int64)
    width = max(part.shape[1] for part in parts)
    matrix = sp.vstack([sp.csr_matrix(part, shape=(part.shape[0], width)) for part in parts], format="csr")
    return matrix.indices.astype(np.int32), matrix.data.astype(np.int32), matrix.indptr.astype(np.int64)


def _group_counts(texts: list[str], column_of: Callable[[str], int], columns: dict[int, int]) -> sp.csr_matrix:
    """Counts of one group of texts (rows) by column; `columns` keeps the columns of hashes already met."""
    joined = _SEPARATOR.join(texts)
    points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    edges = np.flatnonzero(np.diff(_word_characters()[points], prepend=False, append=False))
    starts, ends = edges[0::2], edges[1::2]  # each run of word characters
    long = ends - starts >= 2
    starts, ends = starts[long], ends[long]
    hashes = _hashes(points, starts, ends)
    # Distinct hashes, one place each holds, and each word's place among them (np.unique without its stable sort).
    order = np.argsort(hashes)
    ranked = hashes[order]
    first = np.ones(len(ranked), dtype=bool)
    np.not_equal(ranked[1:], ranked[:-1], out=first[1:])
    distinct = np.cumsum(first) - 1
    which = np.empty(len(hashes), dtype=np.int64)
    which[order] = distinct
    at = order[first]
    distinct_hashes = ranked[first].tolist()
    found = np.fromiter(map(columns.get, distinct_hashes, repeat(-1)), dtype=np.int64, count=len(distinct_hashes))
    for i in np.flatnonzero(found < 0).tolist():  # words not met before in this call: a Python call each
        word = joined[int(starts[at[i]]):int(ends[at[i]])]
        found[i] = columns[distinct_hashes[i]] = column_of(word)
    word_columns = found[which]
    # Each word's text: texts begin after their separator.
    bounds = np.cumsum([len(text) + 1 for text in texts])
    rows = np.searchsorted(bounds, starts, side="right")
    width = int(word_columns.max()) + 1 if len(word_columns) else 1
    return sp.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, word_columns)), shape=(len(texts), width))


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
