"""Where the vocabulary's acronyms and phrases may start in a text, found in one pass by Hyperscan.

`re` tries a pattern at every position where its first character stands: the phrase pattern at every word,
the acronym pattern at every capital letter. On postings that was a quarter of matching's time, for one match
in a hundred words. Hyperscan (the open-source Vectorscan fork, through the `hyperscan` package) compiles all
of them into one automaton that reads the text at memory speed and reports where each may start; the `re`
pattern is then tried there only, in order, as re.sub would (`substituted`). The text comes out exactly as
re.sub gives it, because every place a match can start is reported: Hyperscan's patterns match wherever the
`re` ones do (they leave out the end checks, a plural "s" and no word character after, and take in more
separators), and each is reported on its own.

Hyperscan reports where a match ends. An acronym is a literal: it starts its length before (one written with
a space, a run of separators in `re`'s pattern, has Hyperscan report its start: there is one for each end). A
phrase is not (a run of separators may stand for each space), so its patterns are written backwards and run
over the text backwards: where a reversed phrase and its mark end is where the phrase's mark starts.
(Hyperscan can report starts itself, but only the leftmost one for each end, which for a trie of phrases may
be a match `re` does not make, hiding another that it does.)

Compiling takes a few tenths of a second, so it is done only for many texts (Vocabulary.use_scanner). Without
the package (or where its patterns cannot be compiled), `re` does it all: slower, the same text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from ..literals import Compiled, hyperscan, hyperscan_byte
from ..patterns import matches_at, trie_pattern

# What a space in a phrase stands for (patterns._SEPARATOR, `[\s\-,/]`) as UTF-8 bytes, for Hyperscan: the ASCII
# whitespace Python's \s holds, "-,/", and any byte of a character beyond ASCII, which takes in all of Python's
# other whitespace. More than the separators, in a pattern short enough to compile: only candidates come of it.
_SEPARATOR = r"[\x09-\x0d\x1c-\x20,\-/\x80-\xff]"


def _byte_chars(text: str) -> str:
    """A text's UTF-8 bytes, one character each (trie_pattern builds its trie of characters)."""
    return text.encode("utf-8").decode("latin-1")


class Scanner:
    """Hyperscan databases of a vocabulary's acronyms (case as written) and phrases (after a mark), backwards."""

    def __init__(self, acronyms: Iterable[str], phrases: Iterable[str], mark: str):
        if hyperscan is None:
            raise RuntimeError("the hyperscan package is not installed")
        acronyms, phrases = list(acronyms), list(phrases)
        # A space in an acronym stands for a run of separators, as in a phrase: Hyperscan reports where such a
        # match starts (the one start for each end: the units hold no separator); others are literals.
        self._acronym_lengths = [None if " " in word else len(word.encode("utf-8")) for word in acronyms]
        self._acronyms = _compiled([(_separated([_byte_chars(word)]), 0 if length else hyperscan.HS_FLAG_SOM_LEFTMOST)
                                    for word, length in zip(acronyms, self._acronym_lengths, strict=True)])
        backwards = (_byte_chars(phrase[::-1]) for phrase in phrases)
        self._phrases = _compiled([(_separated(backwards) + mark, 0)] if phrases else [])

    def acronym_starts(self, text: str) -> list[int]:
        """Every position where one of the acronyms is written, in order."""
        if self._acronyms is None:
            return []
        return sorted(set(self._acronyms.reported(text, self._acronym_start)))

    def _acronym_start(self, pattern: int, start: int, end: int) -> int:
        """Where a reported acronym starts: its length before its end, or where Hyperscan says (one with a space)."""
        length = self._acronym_lengths[pattern]
        return start if length is None else end - length

    def phrase_starts(self, text: str) -> list[int]:
        """Every position where a mark and a phrase start, in order (the phrase's end left unchecked)."""
        if self._phrases is None:
            return []
        return sorted({len(text) - end for end in self._phrases.reported(text[::-1], lambda _, _start, end: end)})


def _separated(keys: Iterable[str]) -> str:
    """A Hyperscan pattern of a trie of keys (given as _byte_chars), each space a run of separators."""
    return trie_pattern(keys, end="", separator=_SEPARATOR, escape=lambda char: hyperscan_byte(ord(char)))


def _compiled(patterns: list[tuple[str, int]]) -> Compiled | None:
    """A database of (pattern, flags), pattern i reported as i; None for no patterns."""
    return Compiled(patterns) if patterns else None


def substituted(pattern: re.Pattern, replace: Callable[[re.Match], str], text: str, starts: list[int]) -> str:
    """pattern.sub(replace, text) when every match starts at one of `starts` (ascending): the pattern is tried
    there only (patterns.matches_at), each match resuming after the last, as re.sub resumes."""
    kept: list[str] = []
    end = 0
    for found in matches_at(pattern, text, starts):
        kept += (text[end:found.start()], replace(found))
        end = found.end()
    if not kept:
        return text
    kept.append(text[end:])
    return "".join(kept)
