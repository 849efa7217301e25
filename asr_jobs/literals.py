"""Where listed words start in a text, all found in one pass by Hyperscan (or by `re` and bytes.find without it).

Enrichment reads a posting's text only near a few kinds of word (a currency, "PhD", a venue's name, "publish"),
and the matcher tries its vocabulary's patterns only where one may start. Finding those places with the `re`
engine or with str.find costs a pass over the text per word, or a pattern tried at every letter. Hyperscan (the
open-source Vectorscan fork, through the `hyperscan` package) compiles every word into one automaton that reads
the text once at memory speed and reports where each ends. Without the package (Linux on ARM has no wheel),
one `re` pattern per group of words, or bytes.find, finds the same places.

Hyperscan reads bytes: offsets are counted in the text's UTF-8 and turned into character offsets (`characters`).
A scratch space may serve one scan at a time, so each thread gets its own (`Compiled`).
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable, Mapping

try:
    import hyperscan
except ImportError:  # no wheel for this platform: str.find (or re) does the work
    hyperscan = None  # type: ignore[assignment]


def hyperscan_byte(value: int) -> str:
    """One byte as Hyperscan pattern text: ASCII letters and digits as they are, any other byte escaped."""
    char = chr(value)
    return char if char.isascii() and char.isalnum() else f"\\x{value:02x}"


def utf8(text: str) -> bytes:
    """A text as the bytes Hyperscan reads (a lone surrogate, which str allows, kept rather than refused)."""
    return text.encode("utf-8", "surrogatepass")


class Compiled:
    """A block-mode Hyperscan database of (pattern, flags), pattern i reported as i, scanned with a scratch per thread."""

    def __init__(self, patterns: list[tuple[str, int]]) -> None:
        self.database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self.database.compile(expressions=[pattern.encode("ascii") for pattern, _ in patterns],
                              ids=list(range(len(patterns))), elements=len(patterns),
                              flags=[flags for _, flags in patterns])
        self._local = threading.local()

    def reported(self, text: str, offset: Callable[[int, int, int], int]) -> list[int]:
        """offset(pattern, start, end) of every match reported in the text, as character offsets, as reported."""
        data = utf8(text)
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self.database)
        found: list[int] = []
        self.database.scan(data, match_event_handler=lambda pattern, start, end, _flags, _context:
                           found.append(offset(pattern, start, end)), scratch=scratch)
        return characters(data, text, found)


def characters(data: bytes, text: str, offsets: list[int]) -> list[int]:
    """Byte offsets into a text's UTF-8 as character offsets (the characters that start before each)."""
    if not offsets or len(data) == len(text):  # ASCII: the same
        return offsets
    # A character starts at every byte but a continuation byte (0x80-0xBF): the bytes between two offsets, less
    # their continuation bytes, are the characters between them (bytes.translate deletes the rest, in C).
    at: dict[int, int] = {}
    counted = chars = 0
    for offset in sorted(set(offsets)):
        piece = data[counted:offset]
        chars += len(piece) - len(piece.translate(None, _NOT_CONTINUATION))
        at[offset], counted = chars, offset
    return [at[offset] for offset in offsets]


_NOT_CONTINUATION = bytes(range(0x80)) + bytes(range(0xC0, 0x100))


class WordStarts:
    """Where the words of each group start in a text: case as written, or ASCII letters in either case.

    The groups' words are found in one Hyperscan pass when the package is there, else as `_found` says.
    """

    def __init__(self, groups: Mapping[str, Iterable[str]], caseless: Iterable[str] = ()) -> None:
        self.groups = {name: tuple(dict.fromkeys(words)) for name, words in groups.items()}
        self.caseless = frozenset(caseless)
        words = [(name, word) for name, group in self.groups.items() for word in group]
        self._word_group = [name for name, _ in words]
        self._word_length = [len(utf8(word)) for _, word in words]
        self._compiled = Compiled([("".join(hyperscan_byte(byte) for byte in utf8(word)),
                                    hyperscan.HS_FLAG_CASELESS if name in self.caseless else 0)
                                   for name, word in words]) if hyperscan is not None and words else None

    def __call__(self, text: str) -> dict[str, list[int]]:
        """Each group's start positions in the text, ascending, each once."""
        if self._compiled is None:
            return self._found(text)
        found: dict[str, list[int]] = {name: [] for name in self.groups}
        for word, start in zip(*self._reported(text), strict=True):
            found[self._word_group[word]].append(start)
        return {name: sorted(set(starts)) if len(starts) > 1 else starts for name, starts in found.items()}

    def _reported(self, text: str) -> tuple[list[int], list[int]]:
        """The words Hyperscan reports, and where each starts (in characters)."""
        assert self._compiled is not None
        words: list[int] = []

        def start(word: int, _start: int, end: int) -> int:
            words.append(word)
            return end - self._word_length[word]
        return words, self._compiled.reported(text, start)

    def _found(self, text: str) -> dict[str, list[int]]:
        """The starts found without Hyperscan: a group's words by one `re` pattern, each search resuming just after
        the last start (so that overlapping words count); a caseless group's by bytes.find of each word in the
        UTF-8 text with its ASCII letters lowered (faster than either re.I or str.lower())."""
        found: dict[str, list[int]] = {}
        lowered: bytes | None = None
        for name, words in self.groups.items():
            if name in self.caseless:
                lowered = utf8(text).lower() if lowered is None else lowered
                offsets = sorted({at for word in words for at in _find_all(lowered, utf8(word).lower())})
                found[name] = characters(lowered, text, offsets)  # lowering ASCII moves no character
                continue
            pattern, starts = self._patterns[name], []
            match = pattern.search(text)
            while match is not None:
                starts.append(match.start())
                match = pattern.search(text, match.start() + 1)
            found[name] = starts
        return found

    @functools.cached_property
    def _patterns(self) -> dict[str, re.Pattern[str]]:
        """Each case-sensitive group's words as one `re` pattern."""
        return {name: re.compile("|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)))
                for name, words in self.groups.items() if name not in self.caseless}


def _find_all(data: bytes, word: bytes) -> Iterable[int]:
    """Every offset where word starts in data, overlapping ones included."""
    position = data.find(word)
    while position >= 0:
        yield position
        position = data.find(word, position + 1)
