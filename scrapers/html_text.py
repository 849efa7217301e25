"""Career-site HTML to clean text: paragraphs and list items as lines, nothing else kept."""

from __future__ import annotations

import html as htmllib
import re

from selectolax.lexbor import LexborHTMLParser

BLOCK_TAGS = frozenset(
    "p div section article header footer main aside ul ol li h1 h2 h3 h4 h5 h6 br hr tr table "
    "thead tbody blockquote pre dl dt dd figure figcaption form fieldset details summary".split()
)
HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())
# Whole subtrees that never hold posting text; script/style would leak code into the text.
SKIP_TAGS = frozenset("script style noscript template iframe head svg object embed canvas button select".split())
_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_TAG_HINT = re.compile(r"<[a-zA-Z/!]")


def unescape_entities(value: str) -> str:
    """Greenhouse-style content: HTML escaped inside the JSON string, unescaped once."""
    return htmllib.unescape(value)


def html_to_text(markup: str | None) -> str:
    """Readable text of an HTML fragment: one line per paragraph, '- ' before list items."""
    if not markup:
        return ""
    if not _TAG_HINT.search(markup):
        return _tidy(htmllib.unescape(markup).split("\n"))
    tree = LexborHTMLParser(markup)
    root = tree.body if tree.body is not None else tree.root
    if root is None:
        return ""
    lines: list[str] = []
    buffer: list[str] = []
    _walk(root, lines, buffer)
    _flush(lines, buffer)
    return _tidy(lines)


def _walk(node, lines: list[str], buffer: list[str]) -> None:
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
        if tag in BLOCK_TAGS:
            _flush(lines, buffer)
            if tag == "li":
                buffer.append("- ")
            _walk(child, lines, buffer)
            _flush(lines, buffer)
            if tag in HEADING_TAGS or tag == "p":
                lines.append("")
        else:
            _walk(child, lines, buffer)


def _flush(lines: list[str], buffer: list[str]) -> None:
    text = _SPACE.sub(" ", "".join(buffer).replace("\n", " ")).strip()
    buffer.clear()
    if text and text != "-":
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


def safe_url(url: str | None) -> str:
    """The URL if it is http(s), else '' (no javascript:, data: or relative junk stored)."""
    if not isinstance(url, str):
        return ""
    url = url.strip()
    return url if re.match(r"^https?://[^\s/]+", url, re.I) else ""
