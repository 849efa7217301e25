"""Text from outside (career sites, servers, browsers) made safe to print, store and export."""

from __future__ import annotations

import re

# Whole terminal escape sequences go first, so that no "[2J" or "]0;title" residue is left to read:
# CSI (ESC [ or 8-bit 0x9b) with its parameters; OSC, DCS, APC, PM and SOS strings up to their
# terminator (bounded, so an unterminated one costs a short scan, not the rest of the text); the
# two-byte escapes (ESC c resets a terminal). ESC followed by "\", "[" or "]" that starts no sequence
# loses only the ESC: the bracket may be rich's markup escape and must stay.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]{0,64}[ -/]{0,16}[@-~]"
    r"|(?:\x1b[\]P_^X]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]{0,4096}(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]{0,16}[0-Z^-~]"
)
_ESCAPE_START = re.compile(r"[\x1b\x90\x98\x9b\x9d\x9e\x9f]")
# C0 controls but tab and newline, DEL, C1 controls; bidi controls (U+061C, U+200E/F, U+202A-U+202E,
# U+2066-U+2069) that reorder what a reader sees; zero-width and invisible characters (U+180E,
# U+200B-U+200D, U+2060-U+2064, U+FEFF) and Unicode tag characters that hide text in plain sight; lone
# surrogates (a JSON "\ud800" escape decodes to one), which no encoding can write: SQLite, a terminal and a
# CSV file would each refuse the whole text.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
    "\ud800-\udfff\U000e0000-\U000e007f]"
)
_LINE_BREAKS = re.compile(r"[\t\n\r\v\f\u2028\u2029]")
# What a spreadsheet reads as a formula when a cell starts with it.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def printable(text: str, *, lines: bool = True) -> str:
    """The text without terminal escapes, control, bidi or invisible characters; newlines and tabs kept
    when `lines`, else turned into spaces (for one-line messages)."""
    if not lines:
        text = _LINE_BREAKS.sub(" ", text)
    if not _UNSAFE.search(text):  # most texts: one scan (every escape starts with a character _UNSAFE holds)
        return text
    if _ESCAPE_START.search(text):
        text = _ESCAPE_SEQUENCE.sub("", text)
    return _UNSAFE.sub("", text)


def printable_value(value: object, *, lines: bool = True) -> object:
    """`printable` applied to a string, and to every string inside lists and dicts; other values as they are."""
    if isinstance(value, str):
        return printable(value, lines=lines)
    if isinstance(value, list | tuple):
        return [printable_value(v, lines=lines) for v in value]
    if isinstance(value, dict):
        return {printable(str(k)): printable_value(v, lines=lines) for k, v in value.items()}
    return value


def csv_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: a leading ' before = + - @, tab or CR (numbers like -5 stay)."""
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text
