"""Regular expressions built from word lists, shared by enrichment and the matcher's vocabulary."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

_SEPARATOR = r"[\s\-,/]"
_END = r"s?(?!\w)"
# Letters in the order they are most common in job postings at the start of a word, and after it (counted on
# the corpus). The regex engine tries a trie's alternatives in turn, so the common letters go first: the phrase
# pass over the corpus takes a sixth less time than with them in alphabetical order. Alternatives that could
# match the same character (a separator and a literal "-") keep their order: only letters move.
_FIRST_LETTERS = "atoscwipedfbmrlhygunvjkqxz"
_LATER_LETTERS = "eitanorslcdupmhgfywbvkxqjz"


def trie_pattern(keys: Iterable[str], end: str = _END, *, separator: str = _SEPARATOR,
                 escape: Callable[[str], str] = re.escape) -> str:
    """One regex alternation shaped as a trie, so each position tries few branches; longest match first.

    A space in a key matches any run of separators (`separator`, once or more); `end` follows every key (by
    default: an optional plural "s", then no word character); `escape` writes each other character.
    """
    trie: dict = {}
    for key in keys:
        node = trie
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}
    return _emit(trie, end, separator + "+", escape) if trie else r"(?!x)x"


def _emit(node: dict, end: str, separator: str, escape: Callable[[str], str], letters: str = _FIRST_LETTERS) -> str:
    alternatives = []
    for unit in sorted(node, key=lambda u: (u == "", _letter_rank(u, letters), u)):
        if unit == "":
            alternatives.append(end)
        else:
            alternatives.append((separator if unit == " " else escape(unit))
                                + _emit(node[unit], end, separator, escape, _LATER_LETTERS))
    return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"


def _letter_rank(unit: str, letters: str) -> int:
    """Where a unit comes in `letters` (either case); after them all when it is no letter listed."""
    found = letters.find(unit.lower())
    return found if found >= 0 and len(unit) == 1 else len(letters)


def any_case(source: str, folds: dict[str, str] | None = None) -> str:
    """A regex whose letters match either case, spelled as character classes ('ab' -> '[aA][bB]').

    A lowercase regex so rewritten matches a text as the regex matches the lowered text, without lowering it
    (slow for non-ASCII text); `folds` adds the characters str.lower() also maps to a letter (the Kelvin sign
    to 'k'). For regexes without character classes or named groups: their letters are not all literal.
    """
    if "[" in source or "(?P" in source:
        raise ValueError(f"any_case cannot rewrite character classes or named groups: {source!r}")
    out = []
    escaped = False
    for char in source:
        if escaped or not char.isalpha():
            out.append(char)
        else:
            variants = dict.fromkeys(char.lower() + char.upper() + (folds or {}).get(char.lower(), ""))
            out.append("[" + re.escape("".join(variants)) + "]")
        escaped = not escaped and char == "\\"
    return "".join(out)


def matches_at(pattern: re.Pattern, text: str, starts: Iterable[int]) -> Iterator[re.Match]:
    """pattern.finditer(text) for a pattern whose every match starts at one of `starts` (ascending): it is tried
    there only, each match resuming the search after it, as finditer and re.sub resume."""
    end = 0
    for start in starts:
        if start >= end:
            match = pattern.match(text, start)
            if match:
                end = match.end()
                yield match
