"""Words of many texts counted at once with numpy: what Counter(re.findall(r"\\w\\w+", text)) gives for each text,
without a Python object per word.

The texts are joined and read as an array of code points. Word characters are those `\\w` matches (str.isalnum()
or "_"), looked up in a table of every code point; a word is a run of two or more of them. Each word gets a
64-bit polynomial hash computed from prefix sums, so equal words get equal hashes whatever their position. A
hash met before is found in a table indexed by its bits (no sorting); only a hash not met before is read back as
a string and turned into its token (a Python call each); counts per text and token come from one sparse matrix
build. On postings this costs about a third of findall and Counter.

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
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # odd, its bits well mixed: spreads lengths and hashes over 64 bits
_SEPARATOR = "\0"  # no word character: no word runs from one text into the next


@lru_cache(maxsize=1)
def word_characters() -> np.ndarray:
    """For every code point, whether `\\w` matches it (0.15 s, once per process; forked workers share it)."""
    table = np.zeros(0x110000, dtype=bool)
    table[list(map(ord, filter(str.isalnum, map(chr, range(0x110000)))))] = True
    table[ord("_")] = True
    return table


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
    in an earlier call costs no Python call: worker processes keep theirs across the chunks they count. Known
    hashes also sit in a table of SLOTS entries indexed by bits of the hash: most words are looked up there with
    two array reads, without sorting; only the words whose slot holds another hash are sorted and looked up
    one distinct hash at a time.
    """

    MAX_KEPT = 200_000  # hashes kept (about 20 MB with their tokens); then all are forgotten at once
    SLOTS = 1 << 19  # 6 MB a process; the words of a chunk missing from it are a few percent at most

    def __init__(self, token_of: Callable[[str], str | None]):
        self.token_of = token_of
        self._token_ids: dict[str, int] = {}  # token -> its number in this counter (from 1)
        self._tokens: list[str] = [""]  # number -> token; 0: words not counted
        self._keys = np.zeros(1, dtype=np.uint64)  # number -> hash of the token: the order of columns
        self._ids: dict[int, int] = {}  # word hash -> token number
        self._slot_hashes = np.zeros(0, dtype=np.uint64)
        self._slot_ids = np.zeros(0, dtype=np.int32)
        self.generation = 0  # moves on whenever the numbers start afresh

    def counts(self, texts: list[str]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """(tokens, indices, counts, indptr): per text, the columns of its tokens and their counts, a CSR matrix
        over the texts' own tokens (tokens[0] is "", the column of words not counted). Columns follow a hash of
        each token, an order that depends only on the texts."""
        numbers, indices, counts, indptr = self.numbered(texts)
        return [self.names[number] for number in numbers.tolist()], indices, counts, indptr

    def numbered(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """counts(), with each column's token as its number in this counter (column c is names[numbers[c]]):
        valid until the next call, which may start the numbers afresh (then `generation` moves on)."""
        if len(self._ids) > self.MAX_KEPT or not len(self._slot_hashes):
            self._forget()
        parts = [self._group(texts[start:end]) for start, end in _groups(texts)]
        if not parts:
            return np.zeros(1, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), \
                np.zeros(1, dtype=np.int64)
        held = np.zeros(len(self._tokens), dtype=bool)
        for part in parts:
            held[part.indices] = True
        held[0] = False
        present = np.flatnonzero(held)
        present = present[np.argsort(self._keys[present], kind="stable")]
        local = np.zeros(len(self._tokens), dtype=np.int32)
        local[present] = np.arange(1, len(present) + 1, dtype=np.int32)
        matrix = sp.vstack([sp.csr_matrix((part.data, local.take(part.indices), part.indptr),
                                          shape=(part.shape[0], len(present) + 1)) for part in parts], format="csr")
        numbers = np.concatenate(([0], present)).astype(np.int32)
        return numbers, matrix.indices.astype(np.int32), matrix.data.astype(np.int32), matrix.indptr.astype(np.int64)

    @property
    def names(self) -> list[str]:
        """Each token by its number (0: ""); grows as tokens are met, emptied when the numbers start afresh."""
        return self._tokens

    def _forget(self) -> None:
        """Start afresh: forget every hash and number tokens from 1 again, as a new generation."""
        self.generation += 1
        self._ids.clear()
        self._token_ids.clear()
        del self._tokens[1:]
        self._keys = self._keys[:1]
        # An empty slot holds a hash that belongs in another slot: no word's hash found there can equal it.
        self._slot_hashes = np.zeros(self.SLOTS, dtype=np.uint64)  # 0 belongs in slot 0
        self._slot_hashes[0] = 1  # and 1 elsewhere
        self._slot_ids = np.zeros(self.SLOTS, dtype=np.int32)

    def _group(self, texts: list[str]) -> sp.csr_matrix:
        """Counts of one group of texts by token number."""
        # Separators at both ends too: every run of word characters starts and ends inside the array.
        joined = _SEPARATOR.join(["", *texts, ""])
        points = _code_points(joined)
        # np.take: a gather without fancy indexing's overhead, twice as fast on arrays of this size
        word = word_characters().take(points)
        edges = np.flatnonzero(word[1:] != word[:-1])
        edges += 1
        starts, ends = edges[0::2], edges[1::2]  # each run of word characters
        long = ends - starts >= 2
        starts, ends = starts[long], ends[long]
        hashes = _hashes(points, starts, ends)
        slots = self._slot(hashes)
        ids = self._slot_ids.take(slots)
        missed = np.flatnonzero(self._slot_hashes.take(slots) != hashes)
        if len(missed):
            ids[missed] = self._looked_up(hashes[missed], joined, starts[missed], ends[missed])
        # Each word's text: the text after the k-th separator starts where k texts and k + 1 separators end.
        rows = np.searchsorted(np.cumsum([len(text) + 1 for text in texts]), starts, side="left")
        return _tallied(rows, ids, len(texts), len(self._tokens))

    def _looked_up(self, hashes: np.ndarray, joined: str, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """The token numbers of words missing from the slots: each distinct hash looked up in the kept ones, a
        word not met before turned into its token (a Python call each); then put in the slots still free."""
        distinct, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
        values = distinct.tolist()
        ids = np.fromiter(map(self._ids.get, values, repeat(-1)), dtype=np.int32, count=len(values))
        new = np.flatnonzero(ids < 0)
        if len(new):
            tokens_before = len(self._tokens)
            for i, start, end in zip(new.tolist(), starts[first[new]].tolist(), ends[first[new]].tolist(), strict=True):
                ids[i] = self._ids[values[i]] = self._token_id(joined[start:end])
            if len(self._tokens) > tokens_before:
                self._keys = np.concatenate((self._keys, _token_hashes(self._tokens[tokens_before:])))
        slots = self._slot(distinct)
        free = np.flatnonzero(self._slot(self._slot_hashes[slots]) != slots)
        taken, once = np.unique(slots[free], return_index=True)  # two new hashes for one slot: the first wins
        self._slot_hashes[taken] = distinct[free[once]]
        self._slot_ids[taken] = ids[free[once]]
        return ids[inverse]

    def _slot(self, hashes: np.ndarray) -> np.ndarray:
        """The slot of each hash: its top bits after a multiplication that spreads every bit up (a short word's
        hash has few high bits of its own)."""
        return (hashes * _GOLDEN) >> np.uint64(65 - self.SLOTS.bit_length())

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


def _tallied(rows: np.ndarray, ids: np.ndarray, height: int, width: int) -> sp.csr_matrix:
    """How often each (row, id) pair occurs, as a CSR matrix: one sort of the pairs as single integers (a COO
    matrix's conversion, which sorts each row's columns, takes about three times as long)."""
    pairs = rows.astype(np.int64)
    pairs *= width
    pairs += ids
    pairs.sort()
    first = np.flatnonzero(np.diff(pairs, prepend=-1))  # where each distinct pair starts (pairs are >= 0)
    counts = np.diff(np.append(first, len(pairs))).astype(np.int32)
    distinct = pairs[first]
    indptr = np.searchsorted(distinct, np.arange(height + 1, dtype=np.int64) * width)
    return sp.csr_matrix((counts, (distinct % width).astype(np.int32), indptr), shape=(height, width))


def _token_hashes(tokens: list[str]) -> np.ndarray:
    """The hash of each token's text, as _hashes gives it: what orders a chunk's columns."""
    points = _code_points(_SEPARATOR + _SEPARATOR.join(tokens))
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    ends = np.cumsum(lengths + 1)
    return _hashes(points, ends - lengths, ends)


def _code_points(text: str) -> np.ndarray:
    """A text as an array of its code points (lone surrogates kept as they are)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _hashes(points: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A hash of each word points[start:end] that does not depend on where the word stands."""
    up, down = _POWERS.upto(len(points))
    prefix = np.empty(len(points) + 1, dtype=np.uint64)
    prefix[0] = 0
    np.multiply(points, down, out=prefix[1:])  # point j times base**-j
    np.cumsum(prefix[1:], out=prefix[1:])
    hashes = prefix.take(ends)
    hashes -= prefix.take(starts)
    hashes *= up.take(starts)  # sum of point j times base**(start - j): the same wherever the word starts
    hashes ^= (ends - starts).astype(np.uint64) * _GOLDEN
    return hashes
