"""Career-site HTML to clean text: paragraphs and list items as lines, nothing else kept."""

from __future__ import annotations

import html as htmllib
import re
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from ..safetext import printable

BLOCK_TAGS = frozenset(
    "p div section article header footer main aside ul ol li h1 h2 h3 h4 h5 h6 br hr tr table "
    "thead tbody blockquote pre dl dt dd figure figcaption form fieldset details summary".split()
)
HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())
# Whole subtrees that never hold posting text; script/style would leak code into the text.
SKIP_TAGS = frozenset("script style noscript template iframe head svg object embed canvas button select".split())
_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_TAG_HINT = re.compile(r"<[a-zA-Z/!]")
# Markup that survives as text (HTML escaped twice, or text that spells tags) is removed from stored text.
_CODE_BLOCK = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_MARKUP = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|</?[a-zA-Z][^<>]*>|<![a-zA-Z][^<>]*>", re.S)
_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f\"'<>\\`]")


def unescape_entities(value: str) -> str:
    """Greenhouse-style content: HTML escaped inside the JSON string, unescaped once."""
    return htmllib.unescape(value)


def html_to_text(markup: str | None) -> str:
    """Readable text of an HTML fragment: one line per paragraph, '- ' before list items."""
    if not markup:
        return ""
    if not _TAG_HINT.search(markup):
        text = htmllib.unescape(markup)
        if not _TAG_HINT.search(text):
            return _tidy(strip_markup(text).split("\n"))
        markup = text  # HTML that arrived entity-escaped: read its structure, not its tags as text
    tree = LexborHTMLParser(markup)
    root = tree.body if tree.body is not None else tree.root
    if root is None:
        return ""
    lines: list[str] = []
    buffer: list[str] = []
    _walk(root, lines, buffer)
    _flush(lines, buffer)
    return _tidy(lines)


def _walk(node, lines: list[str], buffer: list[str], in_item: bool = False) -> None:
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            buffer.append(child.text_content or "")
            continue
        if tag in SKIP_TAGS or tag == "-comment":
            continue
        if tag == "br":
            _flush(lines, buffer)
            continue
        if tag not in BLOCK_TAGS:
            _walk(child, lines, buffer, in_item)
            continue
        _flush(lines, buffer)
        if tag == "li":
            buffer.append("- ")
            _walk(child, lines, buffer, True)
            _flush(lines, buffer)
            buffer.clear()  # an empty item's marker must not stick to the next text
            continue
        _walk(child, lines, buffer, in_item)
        _flush(lines, buffer)
        # Paragraphs, headings and whole lists stand apart; paragraphs inside one list item do not.
        if not in_item and (tag in HEADING_TAGS or tag in ("p", "ul", "ol", "table", "blockquote")):
            lines.append("")


def _flush(lines: list[str], buffer: list[str]) -> None:
    text = _SPACE.sub(" ", strip_markup("".join(buffer)).replace("\n", " ")).strip()
    if text == "-":  # a list marker still waiting for its item's text (<li><p>text</p></li>)
        buffer[:] = ["- "]
        return
    buffer.clear()
    if text:
        lines.append(text)


def _tidy(lines: list[str]) -> str:
    """Fold spaces, drop empty list markers and runs of blank lines."""
    out: list[str] = []
    for raw in lines:
        line = _SPACE.sub(" ", raw).strip()
        if not line:
            if out and out[-1] != "":
                out.append("")
            continue
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)


def strip_markup(text: str) -> str:
    """Text with any markup spelled in it removed: script/style blocks with their code, tags, comments,
    terminal escapes, control, bidi and invisible characters. Stored text can then never render as HTML,
    nor act on a terminal, whoever displays it."""
    if not isinstance(text, str):
        return ""
    if "<" in text:
        text = _MARKUP.sub("", _CODE_BLOCK.sub("", text))
    return printable(text)


def safe_url(url: str | None) -> str:
    """The URL if it is an absolute http(s) URL with a host and no user:password@, else ''
    (no javascript:, data:, relative junk, nor credentials that make https://bank@evil.example read as bank)."""
    if not isinstance(url, str):
        return ""
    url = url.strip()
    if _URL_FORBIDDEN.search(url) or printable(url) != url or not re.match(r"^https?://", url, re.I):
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return ""
    if parts.username is not None or parts.password is not None:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and host else ""
