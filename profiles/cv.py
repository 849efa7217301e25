"""The text of a CV or notes for `profiles add --from`: PDF, DOCX, Markdown or plain text, cleaned for TOML.

PDF text comes from pypdf (maintained, pure Python). DOCX is read with zipfile and the standard library's
XML parser: the text of a Word file is the w:t runs of word/document.xml, so python-docx (and lxml under
it) would be a dependency for one loop. Anything else, or a file without text, is refused with a
ValueError naming the file: a profile must never be written from bytes it cannot be read back from.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ""}
ACCEPTED = "PDF, DOCX, Markdown (.md) or plain text (.txt)"
MAX_XML_BYTES = 50_000_000  # word/document.xml of a CV is kilobytes; more is a zip bomb, not a CV
_WORD = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_SPACES = re.compile(r"[ \t]+")


def read_cv(path: str | Path) -> str:
    """The cleaned text of a CV file; a ValueError names the file and says why it cannot be used."""
    path = Path(path)
    with open(path, "rb") as file:
        head = file.read(8)
    if head.startswith(b"%PDF-"):
        text = pdf_text(path)
    elif head.startswith(b"PK\x03\x04"):
        text = docx_text(path)
    elif path.suffix.lower() in TEXT_SUFFIXES:
        text = plain_text(path)
    else:
        raise ValueError(f"{path}: {path.suffix} files are not read; save the CV as {ACCEPTED}")
    text = clean_text(text)
    if not text and head.startswith((b"%PDF-", b"PK")):
        raise ValueError(f"{path}: no text found (a scanned PDF has only images: export one with text, or "
                         f"save the CV as {ACCEPTED})")
    if not text:
        raise ValueError(f"{path} is empty")
    return text


def plain_text(path: Path) -> str:
    """A text or Markdown file's text (link targets dropped from Markdown); UTF-8 only, binary refused."""
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise ValueError(f"{path}: a binary file, not text; save the CV as {ACCEPTED}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                         "save it as UTF-8") from None
    if path.suffix.lower() in (".md", ".markdown"):
        text = _MARKDOWN_LINK.sub(r"\1", text)
    return text


def pdf_text(path: Path) -> str:
    """The text of every page of a PDF; a ValueError for an encrypted or damaged one."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValueError(f"{path}: the PDF is password-protected; save an unprotected copy")
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except ValueError:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files; each means "unreadable"
        raise ValueError(f"{path}: not a readable PDF ({type(exc).__name__}: {exc})") from None


def docx_text(path: Path) -> str:
    """The paragraphs of a Word (.docx) file, tabs and line breaks kept; a ValueError for other ZIP files."""
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                info = archive.getinfo("word/document.xml")
            except KeyError:
                raise ValueError(f"{path}: a ZIP archive but not a Word document (no word/document.xml); "
                                 f"save the CV as {ACCEPTED}") from None
            if info.file_size > MAX_XML_BYTES:
                raise ValueError(f"{path}: word/document.xml is {info.file_size} bytes, too big for a CV")
            root = ElementTree.fromstring(archive.read(info))
    except (zipfile.BadZipFile, ElementTree.ParseError) as exc:
        raise ValueError(f"{path}: not a readable Word document ({exc})") from None
    return "\n".join(_paragraph_text(p) for p in root.iter(f"{_WORD}p"))


def _paragraph_text(paragraph: ElementTree.Element) -> str:
    parts = []
    for node in paragraph.iter():
        if node.tag == f"{_WORD}t":
            parts.append(node.text or "")
        elif node.tag == f"{_WORD}tab":
            parts.append("\t")
        elif node.tag in (f"{_WORD}br", f"{_WORD}cr"):
            parts.append("\n")
    return "".join(parts)


def clean_text(text: str) -> str:
    """Text with control characters gone, runs of spaces single, at most one blank line in a row."""
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
