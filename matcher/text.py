"""Posting text for TF-IDF: boilerplate split off, the field's terms kept whole, their variants merged."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from ..patterns import trie_pattern
from . import scan
from .wordcount import WordCounter

VOCABULARY_FILE = "vocabulary.toml"
# Internal tokens of vocabulary terms carry this prefix, so no ordinary word ("las", "ssl") can collide.
TERM_PREFIX = "v_"
FRENCH_STOP_WORDS = frozenset(
    "le la les de des du et en un une pour par sur au aux avec dans est sont qui que ou ce ces se sa son ses "
    "leur leurs nous vous il elle ils elles on pas plus être avoir été fait faire tout tous toute toutes "
    "très mais comme aussi entre dont cette cet notre nos votre vos lors selon sans sous chez".split()
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | FRENCH_STOP_WORDS
# Same tokens as (?u)\b\w\w+\b (a greedy run never starts inside a word) and a quarter faster.
TOKEN = re.compile(r"\w\w+")
NEAR_WINDOW = 250  # characters either side in which a term's `near` words are looked for
_SEPARATOR = r"[\s\-,/]+"
_SPLIT = re.compile(_SEPARATOR)
_NEXT_WORD = re.compile(r"\W{0,3}(\w+)")
_PREV_WORD = re.compile(r"(\w+)\W{0,3}$")
# Markup that only adds noise tokens: HTML tags, URLs, e-mail addresses, markdown link targets.
_NOISE = re.compile(r"<[^>\n]{1,300}>|https?://\S+|www\.\S+|\]\([^)\s]*\)")
# Where a _NOISE match can start: at "<", "www." or "](", and 4 or 5 characters before "://" ("http", "https").
_NOISE_MARKS = ("<", "www.", "](")
# What a phrase may follow: its match starts with one of these (a lookbehind would be several times slower, and
# a class of literal characters lets the regex engine skip ahead to the next one fast).
_PHRASE_AFTER = r"[ \n(\[\"/'*]"
# Typographic marks and their plain equivalents. Most postings hold one (a curly apostrophe), which makes
# CPython store the whole text at two bytes a character; without them most texts are stored at one, and every
# later pass over them (lower-casing, the phrase pass, counting) is faster. None is a word character, so no word
# changes; after the plain marks, phrases start as they do after the plain ones ("l’apprentissage" as "l'...").
_PLAIN = (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("–", "-"), ("—", "-"), ("…", "..."), ("•", "*"))
_HTML_BLOCK = re.compile(r"<\s*/?\s*(?:p|div|li|ul|ol|br|tr|table|section|h[1-6])\b[^>]*>", re.I)
_HTML_EMPHASIS = re.compile(r"<\s*(h[1-6]|strong|b)\b[^>]*>([^<\n]{1,80})<\s*/\s*\1\s*>", re.I)
_HTML_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")


@dataclass
class Term:
    """One term of the field vocabulary and every way postings write it."""

    name: str
    show: str = ""
    phrases: list[str] = field(default_factory=list)
    acronyms: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    implies: list[str] = field(default_factory=list)
    unless_next: list[str] = field(default_factory=list)
    unless_prev: list[str] = field(default_factory=list)
    near: list[str] = field(default_factory=list)

    @property
    def token(self) -> str:
        return term_token(self.name)


def without_noise(text: str) -> str:
    """_NOISE.sub(" ", text), faster: str.find (in C, at memory speed) finds where a match can start, and the
    regex is tried there only; a regex scan costs about as much per character whatever it looks for."""
    starts = []
    for mark in _NOISE_MARKS:
        at = text.find(mark)
        while at >= 0:
            starts.append(at)
            at = text.find(mark, at + 1)
    at = text.find("://")
    while at >= 0:
        starts += (at - 5, at - 4)
        at = text.find("://", at + 1)
    if not starts:
        return text
    kept: list[str] = []
    end = 0
    for start in sorted(starts):
        if start >= end:  # as re.sub does: the next match is the leftmost one after the last
            found = _NOISE.match(text, start)
            if found:
                kept += (text[end:start], " ")
                end = found.end()
    return "".join(kept) + text[end:] if kept else text


@lru_cache(maxsize=4096)  # each term's token is written at every match of the term
def term_token(name: str) -> str:
    """The internal token of a vocabulary term: 'rnn-t' -> 'v_rnn_t'."""
    return TERM_PREFIX + re.sub(r"\W+", "_", name.lower()).strip("_")


def _units(phrase: str) -> str:
    """A phrase as trie units: its characters, with one space standing for any separator (as in text)."""
    return " ".join(part for part in _SPLIT.split(_plain(phrase).strip()) if part)


def _plain(text: str) -> str:
    """Text with its typographic marks made plain (_PLAIN)."""
    for mark, plain in _PLAIN:
        text = text.replace(mark, plain)
    return text


class Vocabulary:
    """The compiled field vocabulary: rewrites text so each term is one token, then counts tokens."""

    def __init__(self, terms: dict[str, Term], boilerplate: Iterable[str] = ()):
        self.terms = terms
        self.boilerplate = list(boilerplate)
        self.shown = {t.token: t.show or t.name for t in terms.values()}
        self._acronyms: dict[str, Term] = {}
        self._phrases: dict[str, Term | None] = {}
        self._words: dict[str, str | None] = {BOILER_MARK: None}
        # Terms also counted wherever a term occurs ("ASR" is about speech too).
        self.implied: dict[str, tuple[str, ...]] = {}
        for term in terms.values():
            if term.implies:
                self.implied[term.token] = tuple(self._implied(name) for name in term.implies)
            self._words[term.token] = term.token
            for word in term.words:
                self._words[word.lower()] = term.token
            for acronym in term.acronyms:
                self._acronyms[acronym] = term
            for phrase in term.phrases:
                self._phrases[_units(phrase.lower())] = term
        for phrase in boilerplate:
            self._phrases.setdefault(_units(phrase.lower()), None)
        # No lookbehind before the acronyms: a literal first character lets the regex engine skip ahead fast.
        self._acronym_re = re.compile(trie_pattern(self._acronyms))
        self._phrase_re = re.compile(_PHRASE_AFTER + trie_pattern(self._phrases))
        self._cache: dict[str, str | None] = {}
        self.counter = WordCounter(self.token)  # counts many texts' tokens at once (wordcount.py)
        self._scanner: scan.Scanner | None = None
        self.scanning = False  # whether use_scanner() was called (kept when a worker process is given a copy)
        self._unscannable = False  # Hyperscan could not compile these patterns: not tried again at each match

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_scanner": None}  # a Hyperscan database is not pickled: a copy compiles its own

    def use_scanner(self) -> bool:
        """Find acronyms and phrases with Hyperscan from now on (scan.py: for many texts, as compiling takes a few
        tenths of a second); False when it cannot, and re.sub goes on doing it all, to the same result."""
        self.scanning = not self._unscannable
        if self._scanner is None and self.scanning and scan.hyperscan is not None:
            try:
                self._scanner = scan.Scanner(self._acronyms, self._phrases, _PHRASE_AFTER)
            except scan.hyperscan.error:  # a pattern of the user's vocabulary it cannot compile
                self.scanning, self._unscannable = False, True
        return self._scanner is not None

    def _implied(self, name: str) -> str:
        return term_token(name) if name in self.terms else plural_stem(name.lower())

    def show(self, token: str) -> str:
        """How an explanation names a token."""
        return self.shown.get(token, token)

    def normalize(self, text: str) -> str:
        """Lower-case text where every known term is its one internal token and boilerplate phrases a mark."""
        text = self._substituted(self._acronym_re, self._replace_acronym, without_noise(_plain(text)),
                                 scan.Scanner.acronym_starts).lower()
        return self._substituted(self._phrase_re, self._replace_phrase, " " + text, scan.Scanner.phrase_starts)

    def _substituted(self, pattern: re.Pattern, replace: Callable[[re.Match], str], text: str,
                     starts: Callable[[scan.Scanner, str], list[int]]) -> str:
        """pattern.sub(replace, text): tried only where the scanner says a match may start, when there is one."""
        if self._scanner is None:
            return pattern.sub(replace, text)
        return scan.substituted(pattern, replace, text, starts(self._scanner, text))

    def _replace_acronym(self, match: re.Match) -> str:
        found = match.group(0)
        start = match.start()
        if start and (match.string[start - 1].isalnum() or match.string[start - 1] in "-_"):
            return found
        term = self._acronyms.get(found) or self._acronyms.get(found[:-1])
        return self._replacement(term, match) if term else found

    def _replace_phrase(self, match: re.Match) -> str:
        found = match.group(0)  # the mark it follows (_PHRASE_AFTER), then the phrase
        key = found[1:]
        if key not in self._phrases and key[:-1] not in self._phrases:  # not written with single spaces
            key = " ".join(part for part in _SPLIT.split(key) if part)
        if key in self._phrases:
            term = self._phrases[key]
        elif key[:-1] in self._phrases:
            term = self._phrases[key[:-1]]
        else:
            return found
        return f"{found[0]} {BOILER_MARK} " if term is None else self._replacement(term, match, found[0])

    def _replacement(self, term: Term, match: re.Match, mark: str = "") -> str:
        """The term's token for a match of it (after the mark the match starts with), else the match unchanged."""
        text = match.string
        if term.unless_next:
            after = _NEXT_WORD.match(text, match.end())
            if after and after.group(1).lower() in term.unless_next:
                return match.group(0)
        if term.unless_prev:
            start = match.start() + len(mark)
            before = _PREV_WORD.search(text, max(0, start - 40), start)
            if before and before.group(1).lower() in term.unless_prev:
                return match.group(0)
        if term.near:
            window = text[max(0, match.start() - NEAR_WINDOW): match.end() + NEAR_WINDOW].lower()
            if not any(word in window for word in term.near):
                return match.group(0)
        return f"{mark} {term.token} "

    def count(self, text: str) -> Counter:
        """Token counts of a text, stop words and numbers dropped, plurals folded, variants merged."""
        counts: Counter = Counter()
        for word, n in Counter(TOKEN.findall(self.normalize(text or ""))).items():
            token = self.token(word)
            if token:
                for name in (token, *self.implied.get(token, ())):
                    counts[name] += n
        return counts

    def tokens(self, text: str) -> list[str]:
        """The distinct tokens of a text."""
        return sorted(self.count(text))

    def own_tokens(self, text: str) -> list[str]:
        """The tokens a text is written with, implied ones left out ("ASR" -> its one token)."""
        found = (self.token(word) for word in TOKEN.findall(self.normalize(text or "")))
        return list(dict.fromkeys(token for token in found if token))

    def fields(self, title: str, description: str, *, boilerplate: bool = True) -> tuple[str, str, str]:
        """Normalized title, role text and boilerplate of a posting (boilerplate empty when not separated)."""
        text = self.normalize(html_lines(description) if _looks_html(description) else description or "")
        role, rest = split_boilerplate(text) if boilerplate else (text, "")
        return self.normalize(title or ""), role, rest

    def token(self, word: str) -> str | None:
        """The token a word of normalized text counts as, or None for stop words and numbers."""
        token = self._cache.get(word, "")
        if token == "":
            token = self._cache[word] = self._token(word)
        return token

    def _token(self, word: str) -> str | None:
        if word in self._words:
            return self._words[word]
        word = word.strip("_")
        if len(word) < 2 or word in STOP_WORDS or word[0].isdigit() or word.startswith(TERM_PREFIX):
            return None
        if word in self._words:
            return self._words[word]
        stem = plural_stem(word)
        return self._words.get(stem, stem)


def plural_stem(word: str) -> str:
    """English plural to singular, just enough that 'models' and 'model' are one term."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is", "as", "os", "ys")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


def load_vocabulary(*dirs: str | Path) -> Vocabulary:
    """The built-in vocabulary plus vocabulary.toml of each directory given (later files win)."""
    return _load(tuple(str(d) for d in dirs))


@lru_cache(maxsize=8)
def _load(dirs: tuple[str, ...]) -> Vocabulary:
    builtin = resources.files("asr_jobs.profiles").joinpath(VOCABULARY_FILE).read_text(encoding="utf-8")
    terms, boilerplate = parse_vocabulary(builtin, VOCABULARY_FILE)
    for directory in dirs:
        path = Path(directory) / VOCABULARY_FILE
        if path.is_file():
            more_terms, more_boilerplate = parse_vocabulary(path.read_text(encoding="utf-8"), str(path))
            terms.update(more_terms)
            boilerplate.extend(more_boilerplate)
    return Vocabulary(terms, boilerplate)


def parse_vocabulary(text: str, source: str) -> tuple[dict[str, Term], list[str]]:
    """The terms and boilerplate phrases of a vocabulary file; a ValueError names the file and the bad entry."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: not valid TOML ({exc})") from None
    terms = {}
    for name, entry in (data.get("terms") or {}).items():
        if not isinstance(entry, dict):
            raise ValueError(f"{source}: terms.{name} should be a table")
        unknown = set(entry) - (set(Term.__dataclass_fields__) - {"name"})
        if unknown:
            raise ValueError(f"{source}: terms.{name} has unknown keys: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for key, value in entry.items():
            if key == "show":
                if not isinstance(value, str):
                    raise ValueError(f"{source}: terms.{name}.show should be a string")
            elif not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ValueError(f"{source}: terms.{name}.{key} should be a list of strings")
            values[key] = value if key == "show" else [v if key == "acronyms" else v.lower() for v in value]
        terms[name] = Term(name=name, **values)
    boilerplate = (data.get("boilerplate") or {}).get("phrases", [])
    if not (isinstance(boilerplate, list) and all(isinstance(v, str) for v in boilerplate)):
        raise ValueError(f"{source}: boilerplate.phrases should be a list of strings")
    return terms, boilerplate


# --- Boilerplate -----------------------------------------------------------------------------------------
# The phrase pass puts this mark where a boilerplate phrase (vocabulary.toml [boilerplate]) was; lines
# holding it are boilerplate wherever they stand.
BOILER_MARK = "v__boiler"
# Possessive quantifiers: a line that is no heading fails at once instead of backtracking.
_HEADING = re.compile(
    r"\n[ \t]*+(?:#{1,6}+[ \t]*+(?P<a>[^\n]*+)|\*\*(?P<b>[^\n*]{2,80}+)\*\*:?|__(?P<c>[^\n_]{2,80}+)__:?"
    r"|(?P<d>[^\n#*:]{2,60}+):)[ \t]*+(?=\n|$)"
)
# Matched against lower-cased headings.
_BOILER_HEADING = re.compile(
    r"\babout (?!(?:the |this )?(?:role|job|position|team|opportunity|department|work|you|candidate|project))"
    r"|who (?:we are|are we)|company|our (?:mission|values|culture|story|commitment|benefits|core values|hiring)"
    r"|benefit|perks|we offer|offer you|in it for you|total rewards|compensation|salary|\bpay\b|equity|eeo"
    r"|equal|diversity|inclusion|privacy|accommodation|disclaimer|how to apply|application process"
    r"|interview|hiring process|additional information|informations suppl|entreprise|environnement de travail"
    r"|avantages|rémunération|remuneration|proposons|why (?:join|work|you)|working at|life at|get to know us"
    r"|what we do|how we work|time off|flexible working|location|travel|physical|awards|best places|li-"
    r"|join us|apply|our customers|a note|notice|" + BOILER_MARK
)
_ROLE_HEADING = re.compile(
    r"role|responsib|requirement|qualification|what you|you will|you.ll|you have|about you|who you are"
    r"|looking for|nice.to.have|bonus|preferred|skill|experience|education|description|summary|overview"
    r"|opportunity|position|job|dut(?:y|ies)|impact|mission|team|tâche|profil|sujet|poste|projet|project"
    r"|research|technical|stack|competenc|must|desir|ideal|expect|challenge|topic|thesis|thèse|reference"
)


def _looks_html(text: str | None) -> bool:
    return text is not None and "<" in text and _HTML_TAG.search(text) is not None


def html_lines(text: str) -> str:
    """An HTML description as lines, emphasised short text as markdown bold so headings stay headings."""
    text = _HTML_EMPHASIS.sub(lambda m: f"\n**{m.group(2).strip()}**\n", text)
    return _HTML_TAG.sub(" ", _HTML_BLOCK.sub("\n", text))


def split_boilerplate(text: str) -> tuple[str, str]:
    """(role text, boilerplate) of a normalized description: company, benefits, pay, EEO and privacy go apart."""
    if not text:
        return "", ""
    cuts: list[tuple[int, bool]] = []
    text = text if text.startswith("\n") else "\n" + text
    for match in _HEADING.finditer(text):
        heading = match.group("a") or match.group("b") or match.group("c") or match.group("d") or ""
        boiler = _heading_kind(heading)
        if boiler is not None:
            cuts.append((match.start(), boiler))
    role: list[str] = []
    rest: list[str] = []
    bounds = [(0, False), *cuts, (len(text), False)]
    for (start, boiler), (end, _) in zip(bounds, bounds[1:], strict=False):
        if boiler:
            rest.append(text[start:end])
        else:
            _split_lines(text, start, end, role, rest)
    return "\n".join(role), "\n".join(rest)


@lru_cache(maxsize=8192)  # headings repeat across postings ("requirements:", "** about us**")
def _heading_kind(heading: str) -> bool | None:
    """True for a boilerplate heading, False for a role heading, None for a heading that changes nothing."""
    if _BOILER_HEADING.search(heading):
        return True
    if _ROLE_HEADING.search(heading):
        return False
    return None


def _split_lines(text: str, start: int, end: int, role: list[str], rest: list[str]) -> None:
    """Role lines to role, lines holding a boilerplate mark to rest."""
    position = start
    found = text.find(BOILER_MARK, start, end)
    while found >= 0:
        line_start = text.rfind("\n", start, found) + 1
        line_end = text.find("\n", found, end)
        line_end = end if line_end < 0 else line_end
        role.append(text[position:max(position, line_start)])
        rest.append(text[max(position, line_start):line_end])
        position = line_end
        found = text.find(BOILER_MARK, position, end)
    role.append(text[position:end])
