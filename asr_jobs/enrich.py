"""Fields read from a posting's text: seniority, pay, degree asked for, publication expectations, venues."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .models import Posting
from .patterns import any_case, matches_at, trie_pattern

if TYPE_CHECKING:
    from .literals import WordStarts

LEVELS = ("intern", "student-researcher", "postdoc", "research-engineer", "research-scientist", "senior",
          "principal-staff", "manager")
HOURS_PER_YEAR = 2080

# --- Seniority ------------------------------------------------------------------------------------------
# Ordered: the first pattern that matches the title decides ("Research Scientist Intern" is an intern).
SENIORITY_PATTERNS: list[tuple[str, re.Pattern]] = [
    (level, re.compile(pattern, re.I)) for level, pattern in (
        ("student-researcher", r"\bstudent researcher|\bph\.?\s?d\.?\s+(?:student|candidate|position|studentship|"
                               r"researcher|fellow(?:ship)?|opportunit|project)|\bdoctoral (?:student|candidate|"
                               r"researcher|position)|\bpre-?doctoral|\bresidency\b|\bresident\b|\bearly.stage "
                               r"researcher|\bdoctorant|\bfully.funded ph\.?\s?d|^ph\.?\s?d\b|\bthèse\b"),
        ("intern", r"\bintern(?:ship)?s?\b|\bco-?op\b|\bstagiaire\b|\bpraktikum|\bwerkstudent|\bsummer student"),
        ("postdoc", r"\bpost-?\s?doc|\bpost-?doctoral|\bresearch fellow\b"),
        ("manager", r"\bmanager\b|\bhead of\b|\bdirector\b|\bvp\b|\bvice president\b|\blead(?:er)? of\b|\bchief\b"),
        ("principal-staff", r"\bprincipal\b|\bstaff\b|\bdistinguished\b|\bfellow\b"),
        ("senior", r"\bsenior\b|\bsr\.?(?=\s|$)|\blead\b"),
        ("research-engineer", r"\bresearch (?:software )?engineer"),
        ("research-scientist", r"\bscientist|\bresearcher\b|\bchercheur|\bchercheuse|\bresearch\b"),
        ("research-engineer", r"\bengineer|\bdeveloper\b|\bingénieur"),
    )
]
# When the title names no level, the opening of the description may (an internship, a postdoc, a PhD).
_DESCRIPTION_LEVELS = [
    ("intern", re.compile(r"\binternship\b|\bintern position\b", re.I)),
    ("postdoc", re.compile(r"\bpost-?doctoral (?:position|researcher|fellow)|\bpostdoc position", re.I)),
    ("student-researcher", re.compile(r"\bph\.?\s?d\.? (?:position|studentship)", re.I)),
]


# Titles are read to _TITLE_REACH characters (the corpus's longest is 111), descriptions to _OPENING_REACH:
# a level named later is about something else ("... our interns", "... the hiring manager").
_TITLE_REACH = 300
_OPENING_REACH = 600


def seniority(title: str, description: str = "") -> str:
    """The level a posting is for, from its title first, else from the opening of its description, else ''."""
    title = (title or "")[:_TITLE_REACH]
    for level, pattern in SENIORITY_PATTERNS:
        if pattern.search(title):
            return level
    opening = (description or "")[:_OPENING_REACH]
    for level, pattern in _DESCRIPTION_LEVELS:
        if pattern.search(opening):
            return level
    return ""


def level_of(name: str) -> str:
    """The seniority a level of the market snapshot stands for ('Senior Research Scientist' -> 'senior')."""
    return seniority(name)


# --- Pay ------------------------------------------------------------------------------------------------
_CODES = {"USD": "USD", "US$": "USD", "EUR": "EUR", "EURO": "EUR", "EUROS": "EUR", "GBP": "GBP", "CAD": "CAD",
          "CA$": "CAD", "C$": "CAD", "AUD": "AUD", "AU$": "AUD", "A$": "AUD", "NZD": "NZD", "NZ$": "NZD",
          "SGD": "SGD", "S$": "SGD", "HK$": "HKD", "R$": "BRL", "BRL": "BRL", "MX$": "MXN", "MXN": "MXN", "CHF": "CHF",
          "INR": "INR", "RS": "INR", "RS.": "INR", "₹": "INR", "€": "EUR", "£": "GBP", "$": "USD", "JPY": "JPY",
          "¥": "JPY", "SEK": "SEK", "NOK": "NOK", "DKK": "DKK", "PLN": "PLN", "LPA": "INR", "LAKH": "INR",
          "LAKHS": "INR"}
_PREFIX = r"(?:US\$|USD\s?\$?|CA\$|C\$|CAD\s?\$?|AU\$|A\$|AUD\s?\$?|NZ\$|NZD\s?\$?|S\$|SGD\s?\$?|HK\$|R\$|MX\$|" \
          r"EUR\s?€?|GBP\s?£?|CHF|INR|Rs\.?|JPY|SEK|NOK|DKK|PLN|[€£₹¥$])"
_SUFFIX = r"(?:USD|EUR|GBP|CAD|AUD|NZD|SGD|CHF|INR|JPY|SEK|NOK|DKK|PLN|euros?|EUROS?|€|£|LPA|lakhs?)"
_NUMBER = r"\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?(?!\d)|\d+(?:[.,]\d+)?"
_MONEY = (r"(?P<c{n}>{prefix})?\s?(?P<a{n}>{number})\s?(?P<k{n}>[kK](?![a-zA-Z]))?(?:\s?(?P<s{n}>{suffix})(?![a-zA-Z]))?")
_PAY = re.compile(
    _MONEY.format(n=1, prefix=_PREFIX, number=_NUMBER, suffix=_SUFFIX)
    + r"(?:\s?/\s?(?:year|yr|annum|hour|hr|month))?"
    + r"(?:\s*,?\s*(?P<sep>-|–|—|~|\bto\b|\band\b|\bà\b|\bbis\b|\ba\b)\s*"
    + _MONEY.format(n=2, prefix=_PREFIX, number=_NUMBER, suffix=_SUFFIX) + ")?"
)
# Where pay can be (found by _word_starts).
_CURRENCY_HINTS = ("$", "€", "£", "₹", "¥", "USD", "EUR", "GBP", "CAD", "AUD", "NZD", "SGD", "CHF", "INR", "JPY",
                   "LPA", "euro", "Euro", "lakh")
# Pay is read in windows around each hint: the amount from 25 characters before the hint to 60 after (a range
# such as "USD 150,000.00 - 200,000.00" is about 30), its context up to 90 characters before it on its line
# (the pay words of "The base salary range for this role is") and 30 after (its period, "per annum").
_BEFORE_HINT, _AFTER_HINT, _CONTEXT = 25, 60, 90
# At most this many amounts are read per text: the corpus's postings have at most 20 before their pay (or
# their end); a text with more is a price list or noise, and each amount costs several pattern searches.
_MAX_AMOUNTS = 500
_DIGIT = re.compile(r"\d")  # every amount has one: windows without are skipped unread
# "$" of another country when the line names it: "CAD base pay range: $150,000 - $200,000".
_DOLLAR_CODE = re.compile(r"\b(CAD|AUD|NZD|SGD|MXN)\b", re.I)
_SCALE_AFTER = re.compile(r"\s?(?:m|mm|mn|bn|b|million|billion|milliards?|millions?)\b", re.I)
_PERIODS = (
    ("hour", re.compile(r"^\W{0,3}(?:/\s?h(?:ou)?r\b|/\s?h\b|p/?h\b|per hour|an hour|a hour|hourly|/heure|"
                        r"de l'heure|pro stunde)", re.I)),
    ("month", re.compile(r"^\W{0,3}(?:/\s?mo(?:nth)?\b|per month|a month|monthly|mensuel|par mois|/\s?mois|"
                         r"bruts? mensuels?|brut par mois|pro monat|monatlich|/\s?mes|mensual)", re.I)),
    ("year", re.compile(r"^\W{0,3}(?:/\s?y(?:ea)?r\b|per year|a year|annual|annually|per annum|p\.?\s?a\.?\b|"
                        r"/\s?an\b|par an|bruts? annuels?|jährlich|pro jahr|yearly|base\b)", re.I)),
    ("week", re.compile(r"^\W{0,3}(?:/\s?w(?:ee)?k\b|per week|a week|weekly|/\s?semaine)", re.I)),
    ("day", re.compile(r"^\W{0,3}(?:/\s?day\b|per day|a day|daily|day rate|/\s?jour|par jour)", re.I)),
)
# re.I also reads these as i, s and k; str.lower() does not (and makes 'İ' two characters).
_FOLDED_BY_RE_ONLY = ("\u0130", "\u0131", "\u017f", "\u212a")


def _literal_first(source: str) -> str:
    r"""A lowercase alternation with each '\bword' branch written 'word(?<!\wword)': the same matches, and as
    every branch then starts with a letter the regex engine skips to the positions where one could start."""
    if source != source.lower() or re.search(r"\([^)]*\|", source):
        raise ValueError(f"not a lowercase alternation of plain branches: {source!r}")
    branches = []
    for branch in source.split("|"):
        word = re.match(r"\\b(\w[\w' -]*)", branch)
        if word is None:
            branches.append(branch)
            continue
        run = word[1][:-1] if branch[word.end():][:1] in ("?", "*", "+", "{") else word[1]
        branches.append(re.escape(run) + r"(?<!\w" + re.escape(run) + ")" + branch[2 + len(run):])
    return "|".join(branches)


class _Caseless:
    """A case-insensitive alternation for the short windows pay is read in: lowered and literal-first, many times
    faster than re.I; with re.I itself for the rare window with characters the two fold differently."""

    def __init__(self, source: str) -> None:
        self.folded = re.compile(source, re.I)
        self.lowered = re.compile(_literal_first(source))

    def _pick(self, window: str) -> tuple[re.Pattern, str]:
        if any(char in window for char in _FOLDED_BY_RE_ONLY):
            return self.folded, window
        return self.lowered, window.lower()

    def search(self, window: str) -> re.Match | None:
        pattern, window = self._pick(window)
        return pattern.search(window)

    def ends(self, window: str) -> list[int]:
        """Where each match in the window ends."""
        pattern, window = self._pick(window)
        return [match.end() for match in pattern.finditer(window)]

    def search_in(self, text: str, start: int, end: int) -> re.Match | None:
        """Search text[start:end], the character before it read for a word boundary as in pattern.search."""
        pattern, window = self._pick(text[max(0, start - 1): end])
        return pattern.search(window, 1 if start > 0 else 0)


_PERIOD_BEFORE = (
    ("hour", _Caseless(r"hourly|per hour|hour(?:ly)? rate|\brate\b")),
    ("month", _Caseless(r"monthly|per month|mensuel|par mois|/mois|monatlich")),
)
_PAY_WORDS = _Caseless(
    r"salar|\bpay\b|paid|compensation|\bwage|remunerat|rémunér|salaire|gehalt|vergütung|\bbase\b|\bote\b|\bearn"
    r"|income|\brange\b|annual|hourly|per hour|\brate\b|\bbrut|\bgross\b|stipend|fellowship of|\bctc\b")
_NOT_PAY = _Caseless(
    r"allowance|budget|reimburs|credit|donat|referral|funding|raised|revenue|valuation|\barr\b|\bgmv\b|series "
    r"[a-e]\b|invest|spend|coworking|co-working|membership|signing bonus|relocation|\bworth\b|\bcost|\bprice"
    r"|\bfee|lifetime|per employee|home office|equipment|wellness|learning|education|training|in payments"
    r"|\bsaving|insurance|\bfund\b|grant of|market|billion|million|\bcustomers?\b|\bsales\b|\bdeals?\b"
    r"|benefit|fertility|family|adoption|401|match|bonus of|gift|voucher|meal|lunch|food|phone|internet")
_FROM = re.compile(r"(?:starting at|from|à partir de|minimum(?: of)?|at least|ab)\s*$", re.I)
_UP_TO = re.compile(r"(?:up to|to|max(?:imum)?(?: of)?|bis zu|jusqu'à)\s*$", re.I)


def _amount(number: str, k: str | None) -> float:
    """'145,292' / '119,200.00' / '60.000' / '4.5' / '3 041' -> float, times 1000 with k."""
    number = number.replace("\u00a0", " ").replace("\u202f", " ")
    grouped = re.fullmatch(r"(\d{1,3}(?:[,. ]\d{3})+)(?:[.,](\d{1,2}))?", number)
    if grouped:
        value = float(re.sub(r"[,. ]", "", grouped.group(1)) + "." + (grouped.group(2) or "0"))
    else:
        value = float(number.replace(",", "."))
    return value * 1000 if k else value


def _currency(match: re.Match) -> str | None:
    """The currency of a pay match: an explicit code ('USD', 'CA$', '€') wins over a bare '$'."""
    codes = []
    for group in ("s1", "s2", "c1", "c2"):
        key = "".join((match[group] or "").split()).upper()
        code = _CODES.get(key) or _CODES.get(key.rstrip("$€£"))
        if code:
            codes.append((key == "$", code))
    return min(codes)[1] if codes else None


_PERIOD_INSIDE = {period: re.compile(r"/\s?" + unit, re.I) for period, unit in (
    ("hour", "h(?:ou)?r"), ("month", "month"), ("year", "(?:year|yr|annum)"), ("week", "week"), ("day", "day"))}


# Whether any period is stated at all, each list in one pattern: most amounts state none.
_ANY_PERIOD_AFTER = re.compile(r"^\W{0,3}(?:" + "|".join(pattern.pattern[len(r"^\W{0,3}(?:"):-1]
                                                        for _, pattern in _PERIODS) + ")", re.I)
_ANY_PERIOD_BEFORE = _Caseless("|".join(pattern.folded.pattern for _, pattern in _PERIOD_BEFORE))


def _period(text: str, match: re.Match) -> str | None:
    after = text[match.end(): match.end() + 30]
    inside = text[match.start(): match.end()]
    for period, pattern in _PERIODS:
        if pattern.search(after) or _PERIOD_INSIDE[period].search(inside):
            return period
    before = text[max(0, match.start() - 60): match.start()]
    for period, words in _PERIOD_BEFORE:
        if words.search(before):
            return period
    return None


def _may_state_period(text: str, match: re.Match) -> bool:
    """False only when _period would find no period (in one pass instead of seven)."""
    return bool(_ANY_PERIOD_AFTER.search(text[match.end(): match.end() + 30])
                or "/" in match.group(0)
                or _ANY_PERIOD_BEFORE.search(text[max(0, match.start() - 60): match.start()]))


def _candidate(text: str, match: re.Match) -> dict[str, Any] | None:
    """One pay match as yearly/hourly min-max, or None when it is not plausibly a salary."""
    currency = _currency(match)
    if currency is None or _SCALE_AFTER.match(text, match.end()):
        return None
    low, high = _amounts(match)
    if max(low, high or 0) < 5:
        return None  # below any hourly pay even when scaled: skipped before the costlier context checks
    # Only a line start within _CONTEXT characters matters (both uses clip to it): a bounded search.
    line_start = text.rfind("\n", max(0, match.start() - _CONTEXT), match.start()) + 1
    before = text[max(line_start, match.start() - _CONTEXT): match.start()]
    # Every test below only rejects, so the cheap ones go first (most amounts in hostile text fail them).
    has_pay_word = bool(_PAY_WORDS.search(before))
    biggest = max(low, high or 0)
    if not has_pay_word and not (biggest >= 15_000 and high is not None) and not _may_state_period(text, match):
        return None  # no period stated and none to guess
    period = _period(text, match)
    stated = period is not None
    if period is None:
        period = _guess_period(biggest, high is not None, has_pay_word)
    if period in (None, "week", "day"):
        return None
    if period == "month":
        low, high, biggest, period = low * 12, high * 12 if high else None, biggest * 12, "year"
    if period == "hour" and not 5 <= biggest <= 1000:
        return None
    if _not_pay(text, match, line_start, before):
        return None
    if currency == "USD" and "USD" not in match.group(0).upper():
        named = _DOLLAR_CODE.findall(before)
        currency = _CODES[named[-1].upper()] if named else currency
    if period == "year" and not 10_000 <= biggest <= (1e9 if currency in ("INR", "JPY") else 2_000_000):
        return None
    if high is None:
        if _FROM.search(before):
            return _pay(low, None, currency, period)
        if _UP_TO.search(before):
            return _pay(None, low, currency, period)
        return _pay(low, low, currency, period) if has_pay_word or stated else None
    return _pay(min(low, high), max(low, high), currency, period)


def _amounts(match: re.Match) -> tuple[float, float | None]:
    """The low and high amounts of a pay match, in units (k and lakh applied)."""
    low = _amount(match["a1"], match["k1"] or (match["k2"] if match["a2"] and not match["s1"] else None))
    high = _amount(match["a2"], match["k2"]) if match["a2"] else None
    if (match["s1"] or match["s2"] or "").lower().startswith(("lpa", "lakh")):
        low, high = low * 100_000, high * 100_000 if high else None
    if high is not None and low < 1000 <= high and low * 1000 <= high * 1.5:
        low *= 1000  # "$110-145,000"
    return low, high


def _guess_period(biggest: float, is_range: bool, has_pay_word: bool) -> str | None:
    """A period for pay that names none: big amounts are yearly; small ones only beside a pay word."""
    if biggest >= 15_000 and (is_range or has_pay_word):
        return "year"
    if has_pay_word:
        return "hour" if biggest < 300 else "month"
    return None


def _not_pay(text: str, match: re.Match, line_start: int, before: str) -> bool:
    """Is the amount an allowance, a funding round, a benefit...? A pay word nearer than the non-pay word wins."""
    if _NOT_PAY.search_in(text, match.end(), match.end() + 20) and not _PAY_WORDS.search(before):
        return True
    close = text[max(line_start, match.start() - 45): match.start()]
    not_pay = _NOT_PAY.ends(close)
    pay = _PAY_WORDS.ends(close)
    return bool(not_pay) and (not pay or pay[-1] < not_pay[-1])


def _pay(low: float | None, high: float | None, currency: str, period: str) -> dict[str, Any]:
    return {"salary_min": low, "salary_max": high, "salary_currency": currency, "salary_period": period}


def salary_from_text(text: str, starts: dict[str, list[int]] | None = None) -> dict[str, Any] | None:
    """The first plausible pay in a text: min/max (yearly, or hourly for hourly pay), currency and period.

    `starts`: what _word_starts() finds in the text, when the caller has it.
    """
    if not text:
        return None
    hints = (starts or _word_starts()(text))["pay"]
    # Markdown bold splits "**$225,000** **to $275,000**"; the same length, so the hints stay where they are.
    text = text.replace("**", "  ").replace("__", "  ")
    position = amounts = 0
    digit = _DIGIT.search(text)
    for hint in hints:
        if hint < position:
            continue
        begin, end = max(position, hint - _BEFORE_HINT), min(len(text), hint + _AFTER_HINT)
        if digit and digit.start() < begin:
            digit = _DIGIT.search(text, begin)
        if digit is None:
            return None  # no amount in the rest of the text
        if digit.start() >= end:
            position = max(position, hint + 1)
            continue
        for match in _PAY.finditer(text, begin, end):
            amounts += 1
            if amounts > _MAX_AMOUNTS:
                return None
            if not match["a1"] or not any(match[g] for g in ("c1", "c2", "s1", "s2")):
                continue
            found = _candidate(text, match)
            if found:
                return found
            position = max(position, match.end())
        position = max(position, hint + 1)
    return None


def yearly(amount: float | None, period: str | None) -> float | None:
    """An amount per year (hourly pay at 2080 hours a year)."""
    if amount is None:
        return None
    return amount * HOURS_PER_YEAR if period == "hour" else amount * 12 if period == "month" else amount


# --- Degree, publications, venues -----------------------------------------------------------------------
# Tries of the ways postings write a word scan several times faster than case-insensitive regexes; the
# word boundary before a match is checked apart (_starts_word) for the same reason.
_PHD_WORDS = ("PhD", "Ph.D", "Ph. D", "PHD", "phd", "Phd", "Doctoral degree", "doctoral degree", "Doctorate",
              "doctorate", "Doctorat", "doctorat", "Thèse en", "thèse en", "thèse de", "thèse dans")
_PHD = re.compile(trie_pattern(_PHD_WORDS, end=r"\.?(?!\w)"))
_PHD_NOT_REQUIRED = re.compile(
    r"\W{0,3}(?:students?|candidates?|positions?|programs?|programmes?|studentships?|interns?(?:hip)?s?|"
    r"fellowships?|scholarships?|researchers? positions?|opportunit|project|supervis|thesis|level interns?)")
_PHD_ENROLLED = re.compile(r"(?:pursuing|enrolled|current(?:ly)?|towards?|working on|completing)\W+(?:\w+\W+){0,3}$")
_PREFERRED = re.compile(
    r"prefer|\bplus\b|bonus|nice|ideal|desir|advantage|asset|beneficial|welcome|or equivalent|or relevant"
    r"|or (?:\d+\+? )?years|or industry|master'?s? (?:degree )?or|\bm\.?s\.?c?\.? (?:degree )?or|\bms/|/ms\b"
    r"|or (?:a )?master|or ms\b|or m\.s|ms or\b|strongly considered|souhait|apprécié|serait un plus")
_PREFERRED_HEADING = re.compile(r"prefer|nice|bonus|plus|desir|ideal|additional|souhait")
_MASTER_WORDS = ("Master", "master", "MASTER", "Master's", "master's", "Masters", "masters", "M.S.", "MSc", "M.Sc",
                 "Graduate degree", "graduate degree", "M2")
_MASTER = re.compile(trie_pattern(_MASTER_WORDS,
                                  end=r"(?!\w)(?! ?(?:of )?(?:ceremonies|data|class|craft|plan|branch|card))"))
_MS = re.compile(r"MS(?= in| degree|/| or|,)")
# A heading: a line of a few words after bullets, '#' or '**', before an optional ':'. Lines are read one by
# one, upwards from a mention, each once.
_HEADING = re.compile(r"\W*(?:#{1,6}\s*)?(?:\*\*)?([^\W\d_][^\n]{1,59}?)(?:\*\*)?:?\s*")
# _PREFERRED as it matched the lowered sentence, run on the text itself (lowering a long text costs more).
_PREFERRED_ANY_CASE = re.compile(any_case(_PREFERRED.pattern, {"k": "\u212a"}))
# Windows around a PhD mention. A sentence is read up to _SENTENCE_REACH characters each way from the mention
# (the corpus's requirement sentences are a few hundred characters; "preferred" or "or equivalent" beyond
# that belongs to another point). The mention's line start is looked for up to _LINE_REACH characters back:
# deeper in a line a heading above it no longer governs it. Headings are looked for up to _HEADING_REACH
# characters above the line, the length of a long list of qualifications.
_SENTENCE_REACH, _LINE_REACH, _HEADING_REACH = 1000, 3000, 1500
# A search for preferred words reads this far past its sentence, for the next mentions' sentences to share.
_SEARCH_AHEAD = 200


def degree(text: str, starts: dict[str, list[int]] | None = None) -> str:
    """'phd-required', 'phd-preferred', 'ms' (a Master's asked, no PhD) or ''.

    `starts`: what _word_starts() finds in the text, when the caller has it.
    """
    text = text or ""
    starts = starts or _word_starts()(text)
    preferred = False
    preferred_words = _NextMatch(_PREFERRED_ANY_CASE, text)
    headings = _Headings(text)
    for match in matches_at(_PHD, text, starts["phd"]):
        if not _starts_word(text, match.start()):
            continue
        after = text[match.end(): match.end() + 40].lower()
        before = text[max(0, match.start() - 60): match.start()].lower()
        if _PHD_NOT_REQUIRED.match(after) or _PHD_ENROLLED.search(before):
            continue
        if preferred_words.within(*_sentence(text, match.start(), match.end())) \
                or headings.preferred_above(match.start()):
            preferred = True
        else:
            return "phd-required"  # one required mention decides: the rest need not be read
    if preferred:
        return "phd-preferred"
    masters = itertools.chain(matches_at(_MASTER, text, starts["master"]), _MS.finditer(text))
    return "ms" if any(_starts_word(text, m.start()) for m in masters) else ""


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """Bounds of the sentence around text[start:end]: line breaks or '. ', at most _SENTENCE_REACH away."""
    low = max(0, start - _SENTENCE_REACH)
    high = min(len(text), end + _SENTENCE_REACH)
    begin = max(text.rfind("\n", low, start), text.rfind(". ", low, start)) + 1 or low
    ends = (text.find("\n", end, high), text.find(". ", end, high + 1))
    return begin, min((x for x in ends if x >= 0), default=high)


class _NextMatch:
    """Whether a pattern matches inside a window; windows sliding forward over one text share one search.

    Each search reads one window and _SEARCH_AHEAD characters beyond it, so the windows of mentions close
    together are answered from it, and the text is read a bounded number of times however many mentions.
    """

    def __init__(self, pattern: re.Pattern, text: str) -> None:
        self.pattern, self.text = pattern, text
        self.searched = (len(text) + 1, len(text) + 1)
        self.found: re.Match | None = None

    def within(self, begin: int, end: int) -> bool:
        """Does the pattern match inside text[begin:end] (its edges at non-word characters)?"""
        searched_from, searched_to = self.searched
        known = self.found.start() >= begin if self.found else end <= searched_to
        if not (searched_from <= begin and known):
            self.searched = begin, min(len(self.text), end + _SEARCH_AHEAD)
            self.found = self.pattern.search(self.text, *self.searched)
        if self.found is None or self.found.start() >= end:
            return False
        if self.found.end() <= end:
            return True
        return self.pattern.search(self.text, begin, end) is not None  # the match found runs past the window


def _starts_word(text: str, position: int) -> bool:
    return position == 0 or not text[position - 1].isalnum()


class _Headings:
    """The headings of one text, each line read once however many mentions sit below it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: dict[int, str | None] = {}  # line start -> its heading, or None
        self.answers: dict[int, bool] = {}  # line start -> is it in a preferred section

    def preferred_above(self, position: int) -> bool:
        """Is position in a 'Preferred qualifications' / 'Nice to have' section?"""
        line_start = self.text.rfind("\n", max(0, position - _LINE_REACH), position) + 1
        if line_start == 0:
            return False  # first line, or too deep in a long one
        if line_start not in self.answers:
            heading = self._nearest_above(line_start)
            self.answers[line_start] = heading is not None and bool(_PREFERRED_HEADING.search(heading.lower()))
        return self.answers[line_start]

    def _nearest_above(self, line_start: int) -> str | None:
        """The nearest heading among the lines starting within _HEADING_REACH characters before line_start."""
        top = max(0, line_start - _HEADING_REACH)
        end = line_start - 1
        while end >= top:
            previous = self.text.rfind("\n", max(0, top - 1), end)
            if previous < 0 and top > 0:
                return None  # this line starts above the window
            heading = self._heading(previous + 1, end)
            if heading is not None:
                return heading
            end = previous
        return None

    def _heading(self, begin: int, end: int) -> str | None:
        """The line text[begin:end] as a heading (a few words, no full stop), or None."""
        if begin not in self.lines:
            line = _HEADING.fullmatch(self.text, begin, end)
            short = line is not None and len(line[1].split()) <= 6 and not line[1].rstrip().endswith((".", ";"))
            self.lines[begin] = line[1] if line is not None and short else None
        return self.lines[begin]


PUBLICATION_PATTERNS = (
    ("first-author", re.compile(r"first[- ]author|lead author|premier auteur", re.I)),
    ("track-record", re.compile(r"(?:track record|record) of (?:\w+ ){0,3}(?:publication|publishing|papers)|"
                                r"publications? (?:record|history|in (?:top|leading|peer|major|premier|"
                                r"high)|at (?:top|leading|major|premier))|published (?:at|in) (?:top|leading|"
                                r"major|premier|peer)|top-tier (?:venues|conferences)", re.I)),
    ("expected", re.compile(r"\bpublish|\bpublication|\bpapers? (?:at|in)\b|peer-reviewed|\bsoumission "
                            r"d'article|conference papers", re.I)),
)


# Words every match of a pattern starts with ("track record of" also matches from its "record"). Only where
# one occurs is the pattern tried, anchored there, so a match is only read in a window that starts at its word.
# Their ASCII letters are matched in either case: the same places as re.I (the words are ASCII, and the only
# other characters re.I folds to ASCII letters are the Kelvin sign and 'İ', which take a plain re.I search).
_PUBLICATION_WORDS = {
    "first-author": ("first", "lead author", "premier auteur"),
    "track-record": ("record", "publication", "published", "top-tier"),
    "expected": ("publi", "paper", "peer-reviewed", "soumission d'article", "conference papers"),
}


def publication_expectation(text: str, starts: dict[str, list[int]] | None = None) -> str:
    """What a posting asks about publishing: 'first-author', 'track-record', 'expected' or ''.

    `starts`: what _word_starts() finds in the text, when the caller has it.
    """
    text = text or ""
    if any(char in text for char in _FOLDED_BY_RE_ONLY):
        return next((label for label, pattern in PUBLICATION_PATTERNS if pattern.search(text)), "")
    starts = starts or _word_starts()(text)
    for label, pattern in PUBLICATION_PATTERNS:
        if any(pattern.match(text, position) for position in starts[label]):
            return label
    return ""


# Venues as postings write them. Weak ones (also common words or other things) count only beside a strong
# venue or a year.
VENUES: dict[str, str] = {
    "Interspeech": "Interspeech", "INTERSPEECH": "Interspeech", "InterSpeech": "Interspeech",
    "ICASSP": "ICASSP", "ASRU": "ASRU", "SLT": "SLT",
    "NeurIPS": "NeurIPS", "NEURIPS": "NeurIPS", "Neurips": "NeurIPS", "NIPS": "NeurIPS",
    "ICML": "ICML", "ICLR": "ICLR", "AAAI": "AAAI", "ACL": "ACL",
    "EMNLP": "EMNLP", "NAACL": "NAACL", "EACL": "EACL", "COLING": "COLING", "CVPR": "CVPR",
    "ICCV": "ICCV", "ECCV": "ECCV", "IJCAI": "IJCAI", "KDD": "KDD", "ISMIR": "ISMIR",
    "WASPAA": "WASPAA", "EUSIPCO": "EUSIPCO", "TASLP": "TASLP",
    "Transactions on Audio, Speech, and Language Processing": "TASLP",
    "Transactions on Audio, Speech and Language Processing": "TASLP",
    "Computer Speech and Language": "Computer Speech & Language",
    "Computer Speech & Language": "Computer Speech & Language", "JASA": "JASA",
}
WEAK_VENUES = {"SLT", "ACL", "KDD", "JASA"}
_VENUES = re.compile(trie_pattern(VENUES, end=r"(?!\w)"))
_YEAR_AFTER = re.compile(r"\W{0,2}(?:(?:19|20)\d\d|'\d\d)\b")


def venues(text: str, starts: dict[str, list[int]] | None = None) -> list[str]:
    """Publication venues a posting names, in order of first mention.

    `starts`: what _word_starts() finds in the text, when the caller has it.
    """
    text = text or ""
    found: dict[str, int] = {}
    weak: dict[str, int] = {}
    for match in matches_at(_VENUES, text, (starts or _word_starts()(text))["venue"]):
        if not _starts_word(text, match.start()):
            continue
        name = VENUES.get(match.group(0)) or _VENUE_SPELLINGS.get(_spelling(match.group(0)))
        if name is None or name in found:
            continue
        if name in WEAK_VENUES and not _YEAR_AFTER.match(text, match.end()):
            weak.setdefault(name, match.start())
        else:
            found[name] = match.start()
    if any(name not in WEAK_VENUES for name in found):
        for name, start in weak.items():
            found.setdefault(name, start)
    return sorted(found, key=found.__getitem__)


def _spelling(written: str) -> str:
    """A venue as written, with separators and case evened out ('Computer Speech  and Language')."""
    return _SEPARATORS.sub(" ", written).lower()


_SEPARATORS = re.compile(r"[\s\-,/]+")
# The venue of a match whose separators differ from the table; the first spelling in the table wins.
_VENUE_SPELLINGS = {_spelling(variant): name for variant, name in reversed(VENUES.items())}


@functools.cache
def _word_starts() -> WordStarts:
    """Where the words each field is read near start in a text: one pass over it for them all.

    Every match of _PHD, _MASTER or _VENUES starts with the first word of one of its keys (a space in a key is
    a run of separators); pay is read around its hints.
    """
    from .literals import WordStarts  # here, not at the top: `asr-jobs --help` imports this module (LEVELS)

    return WordStarts({"pay": _CURRENCY_HINTS, "phd": _first_words(_PHD_WORDS), "master": _first_words(_MASTER_WORDS),
                       "venue": _first_words(VENUES), **_PUBLICATION_WORDS}, caseless=_PUBLICATION_WORDS)


def _first_words(keys: Iterable[str]) -> list[str]:
    return [key.split(" ")[0] for key in keys]


def posting_fields(posting: Posting) -> dict[str, Any]:
    """Columns derived from a posting's text, stored beside what the site gave."""
    text = posting.description or ""
    starts = _word_starts()(text)
    fields: dict[str, Any] = {
        "seniority": seniority(posting.title, text),
        "degree": degree(text, starts),
        "venues": ", ".join(venues(text, starts)),
        "publications": publication_expectation(text, starts),
    }
    if posting.salary_min is None and posting.salary_max is None:
        pay = salary_from_text(text, starts) or salary_from_text(posting.location or "")
        if pay:
            fields.update(pay, salary_source="text")
    return fields
