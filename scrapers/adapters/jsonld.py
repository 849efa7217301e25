"""schema.org JobPosting in JSON-LD: postings of listing pages and of the posting pages they link to.

Every page is fetched only where the host's robots.txt allows it (scrapers/robots.py).

Lab params:
    pages         list of page URLs to read (listing pages, or posting pages themselves)
    link_pattern  optional regular expression; links on those pages (same host) whose absolute URL
                  matches it are fetched as posting pages
    base_url      optional scheme+host that replaces the pages' own when fetching (mirror, test server)

`postings_from_html()` is the pure part, shared with adapters whose detail pages carry JobPosting
JSON-LD (Meta, MIT).
"""

from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

from ...models import Lab, ParseError, Posting, ScrapeError
from ..fetch import GONE_STATUSES, LabContext
from ..html_text import html_to_text, safe_url
from ..paging import each
from ..parsing import clean

EMPLOYMENT_TYPES = {
    "FULL_TIME": "full-time",
    "FULLTIME": "full-time",
    "PART_TIME": "part-time",
    "PARTTIME": "part-time",
    "CONTRACTOR": "contract",
    "CONTRACT": "contract",
    "TEMPORARY": "temporary",
    "INTERN": "intern",
    "INTERNSHIP": "intern",
}
SALARY_UNITS = {"YEAR": "year", "YEARLY": "year", "ANNUAL": "year", "ANNUALLY": "year", "MONTH": "month",
                "MONTHLY": "month", "HOUR": "hour", "HOURLY": "hour"}
# Text fields some sites (Meta among them) fill besides `description`, with the heading they get.
EXTRA_SECTIONS = (
    ("responsibilities", "Responsibilities"),
    ("qualifications", "Qualifications"),
    ("skills", "Skills"),
    ("educationRequirements", "Education"),
    ("experienceRequirements", "Experience"),
)
MAX_DEPTH = 8  # JobPostings sit at most a few levels deep (@graph > WebPage > mainEntity)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_TAG = re.compile(r"<[a-zA-Z/!]")
_WRAPPERS = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|/\*\s*<!\[CDATA\[\s*\*/)|(?:-->|//\s*\]\]>|/\*\s*\]\]>\s*\*/)\s*$")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")

Warn = Callable[[str], None]


# --- pure part ---------------------------------------------------------------------------------


def postings_from_html(html: str, lab, url: str, *, warn: Warn | None = None) -> list[Posting]:
    """Every schema.org JobPosting in a page's JSON-LD blocks, as Postings (pure: no I/O).

    html  the page's HTML text; lab  the Lab the postings belong to;
    url   the page's public URL: relative URLs resolve against it, and it is the posting's URL
          (and source id) when the JobPosting has no `url` (no `identifier`).
    warn  called with a message for each block that is not valid JSON; such blocks are skipped.

    Reads @graph, top-level lists and nested nodes (WebPage.mainEntity, ItemList.itemListElement);
    `@type` may be a list or prefixed ("schema:JobPosting"). A posting repeated on the page is kept once.
    """
    nodes: list[dict] = []
    for index, block in enumerate(jsonld_blocks(html)):
        try:
            data = json.loads(block, strict=False)
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested, as broken as invalid
            if warn is not None:
                warn(f"{lab.name}: skipped JSON-LD block {index + 1} of {url}: invalid JSON ({exc})")
            continue
        nodes.extend(job_nodes(data))
    return postings_from_nodes(nodes, lab, url)


def jsonld_blocks(html: str) -> list[str]:
    """The text of each <script type="application/ld+json"> of a page, comment/CDATA wrappers removed."""
    tree = LexborHTMLParser(html)
    blocks = []
    for script in tree.css("script[type]"):
        kind = (script.attributes.get("type") or "").split(";")[0].strip().lower()
        if kind == "application/ld+json":
            text = _WRAPPERS.sub("", script.text() or "").strip()
            if text:
                blocks.append(text)
    return blocks


def job_nodes(data: Any, depth: int = 0) -> list[dict]:
    """JobPosting objects anywhere in a parsed JSON-LD document (not inside another JobPosting)."""
    if depth > MAX_DEPTH:
        return []
    if isinstance(data, list):
        return [node for item in data for node in job_nodes(item, depth + 1)]
    if not isinstance(data, dict):
        return []
    if is_job_posting(data):
        return [data]
    return [node for value in data.values() if isinstance(value, (dict, list)) for node in job_nodes(value, depth + 1)]


def is_job_posting(node: dict) -> bool:
    kinds = node.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(k, str) and re.split(r"[:/#]", k)[-1] == "JobPosting" for k in kinds)


def postings_from_nodes(nodes: list[dict], lab, url: str) -> list[Posting]:
    """Postings of JobPosting nodes found on the page at `url`, repeats dropped."""
    postings: dict[str, Posting] = {}
    for node in nodes:
        posting = posting_from_node(node, lab, url)
        if posting is None:
            continue
        known = postings.get(posting.source_id)
        if known is not None and known.title != posting.title:
            # Several postings on one page without ids of their own: tell them apart by title.
            posting.source_id = f"{posting.source_id}#{posting.title}"
            known = postings.get(posting.source_id)
        if known is None:
            postings[posting.source_id] = posting
    return list(postings.values())


def posting_from_node(node: dict, lab, url: str) -> Posting | None:
    """One JobPosting node as a Posting; None when it has no title."""
    title = _plain(node.get("title")) or _plain(node.get("name"))
    if not title:
        return None
    own_url = own_url if isinstance(own_url := node.get("url"), str) else ""
    public_url = safe_url(urljoin(url, own_url.strip())) if own_url.strip() else ""
    public_url = public_url or safe_url(url)
    source_id = _identifier(node.get("identifier")) or public_url or url
    low, high, currency, period = salary(node.get("baseSalary"))
    location = _locations(node.get("jobLocation"))
    remote = _is_remote(node.get("jobLocationType"))
    if remote and not location:
        regions = _names(node.get("applicantLocationRequirements"))
        location = f"Remote ({regions})" if regions else "Remote"
    extra = {
        "valid_through": node.get("validThrough") if isinstance(node.get("validThrough"), str) else "",
        "occupational_category": _plain(node.get("occupationalCategory"))[:200],
        "page_url": url if public_url != url else "",
    }
    return Posting(
        lab=lab.name,
        source_id=source_id,
        title=title,
        url=public_url,
        description=description(node),
        location=location,
        team=_plain(node.get("department")) if isinstance(node.get("department"), str) else "",
        workplace="remote" if remote else "",
        employment_type=employment_type(node.get("employmentType")),
        posted_at=_date(node.get("datePosted")),
        updated_at=_date(node.get("dateModified")),
        salary_min=low,
        salary_max=high,
        salary_currency=currency,
        salary_period=period,
        company=_organization(node.get("hiringOrganization")),
        extra={k: v for k, v in extra.items() if v},
    )


def description(node: dict) -> str:
    """`description` as text, then the other text fields (responsibilities, ...) it does not already hold."""
    main = _html_text(node.get("description"))
    sections = [main] if main else []
    for key, heading in EXTRA_SECTIONS:
        text = _field_text(node.get(key))
        if text and text not in main:
            sections.append(f"{heading}\n{text}")
    return "\n\n".join(sections)


def employment_type(value: Any) -> str:
    """FULL_TIME / ["INTERN", "FULL_TIME"] / "Full-time, Contract" -> one of our kinds (intern wins)."""
    values = value if isinstance(value, list) else [value]
    kinds = []
    for item in values:
        if isinstance(item, str):
            for part in item.split(","):
                key = re.sub(r"[\s-]+", "_", part.strip()).upper()
                if key in EMPLOYMENT_TYPES:
                    kinds.append(EMPLOYMENT_TYPES[key])
    if "intern" in kinds:
        return "intern"
    return kinds[0] if kinds else ""


def salary(value: Any) -> tuple[float | None, float | None, str | None, str | None]:
    """(min, max, currency, period) of a MonetaryAmount (or a list of them); all None unless the unit is known."""
    amounts = value if isinstance(value, list) else [value]
    for amount in amounts:
        if not isinstance(amount, dict):
            continue
        quantity = amount.get("value")
        if isinstance(quantity, dict):
            unit = quantity.get("unitText") or amount.get("unitText")
            low = _amount(quantity.get("minValue"))
            high = _amount(quantity.get("maxValue"))
            if low is None and high is None:
                low = high = _amount(quantity.get("value"))
        else:
            unit = amount.get("unitText")
            low = high = _amount(quantity)
            low = _amount(amount.get("minValue")) if low is None else low
            high = _amount(amount.get("maxValue")) if high is None else high
        period = SALARY_UNITS.get(str(unit or "").strip().upper())
        if period and (low is not None or high is not None):
            currency = amount.get("currency") if isinstance(amount.get("currency"), str) else None
            return low, high, (currency or "").strip().upper() or None, period
    return None, None, None, None


def _amount(value: Any) -> float | None:
    """120000, "120000", "$120,000.00" -> a number; anything else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        match = _NUMBER.search(value.replace(",", ""))
        return float(match.group()) if match else None
    return None


def _html_text(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    # Some sites escape the HTML once more inside JSON-LD (`&lt;p&gt;`): undo it before reading tags.
    for _ in range(2):
        if _TAG.search(value) or "&lt;" not in value:
            break
        value = htmllib.unescape(value)
    return html_to_text(value)


def _field_text(value: Any) -> str:
    """Text of a free-form field: HTML text, a list of items, or a typed node (credential, experience)."""
    if isinstance(value, str):
        return _html_text(value)
    if isinstance(value, list):
        items = [_field_text(item) for item in value]
        return "\n".join(f"- {item}" if "\n" not in item else item for item in items if item)
    if isinstance(value, dict):
        for key in ("description", "credentialCategory", "name"):
            if isinstance(value.get(key), str) and value[key].strip():
                return _html_text(value[key])
        months = value.get("monthsOfExperience")
        if isinstance(months, (int, float, str)) and not isinstance(months, bool) and str(months).strip():
            return f"{months} months of experience"
    return ""


def _identifier(value: Any) -> str:
    if isinstance(value, list):
        return next((found for found in map(_identifier, value) if found), "")
    if isinstance(value, dict):
        value = value.get("value", value.get("@value", value.get("@id")))
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    return clean(str(value))


def _locations(value: Any) -> str:
    places = value if isinstance(value, list) else [value]
    names = []
    for place in places:
        if isinstance(place, str):
            names.append(clean(place))
        elif isinstance(place, dict):
            names.append(_address(place.get("address")) or _plain(place.get("name")))
    return "; ".join(dict.fromkeys(n for n in names if n))


def _address(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(dict.fromkeys(a for a in map(_address, value) if a))
    if isinstance(value, str):
        return clean(value)
    if not isinstance(value, dict):
        return ""
    country = value.get("addressCountry")
    if isinstance(country, dict):
        country = country.get("name")
    pieces: list[str] = []
    for part in (_plain(value.get("addressLocality")), _plain(value.get("addressRegion")), _plain(country)):
        # Localities often carry the region already ("Menlo Park, CA"): add only what is new.
        new = [piece.strip() for piece in part.split(",") if piece.strip() and piece.strip() not in pieces]
        pieces.extend(new)
    return ", ".join(pieces)


def _is_remote(value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(isinstance(v, str) and v.strip().upper() == "TELECOMMUTE" for v in values)


def _names(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    names = [_plain(item.get("name")) if isinstance(item, dict) else _plain(item) for item in items]
    return ", ".join(dict.fromkeys(n for n in names if n))


def _organization(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return _plain(value)


def _plain(value: Any) -> str:
    return clean(htmllib.unescape(value)) if isinstance(value, str) else ""


def _date(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and _ISO_DATE.match(value.strip()) else None


# --- adapter -----------------------------------------------------------------------------------


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """Postings of a saved page (HTML with JSON-LD) or of a bare JSON-LD document."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped[:1] in ("{", "["):
        try:
            data = json.loads(stripped, strict=False)
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested, as broken as invalid
            raise ParseError(lab.name, url, f"invalid JSON-LD document ({exc})") from None
        return postings_from_nodes(job_nodes(data), lab, url)
    return postings_from_html(text, lab, url)


def posting_links(html: str, page_url: str, pattern: re.Pattern) -> list[tuple[str, str]]:
    """(absolute URL, link text) of links on the page's host whose URL matches `pattern`, first of each kept."""
    tree = LexborHTMLParser(html)
    base_node = tree.css_first("base[href]")
    base = urljoin(page_url, base_node.attributes.get("href") or "") if base_node is not None else page_url
    host = (urlsplit(page_url).hostname or "").lower()
    links: dict[str, str] = {}
    for anchor in tree.css("a[href]"):
        href = (anchor.attributes.get("href") or "").strip()
        absolute = safe_url(urldefrag(urljoin(base, href))[0])
        if not absolute or (urlsplit(absolute).hostname or "").lower() != host or not pattern.search(absolute):
            continue
        text = clean(anchor.text(separator=" "))
        if not links.get(absolute):
            links[absolute] = text
    return list(links.items())


async def scrape(ctx: LabContext) -> list[Posting]:
    pages = _pages(ctx)
    pattern = _pattern(ctx)
    postings: dict[str, Posting] = {}
    links: dict[str, str] = {}
    # Listing pages are independent: all are requested at once (the host gate keeps the lab's limits).
    texts = await each(pages, lambda page: _listing_text(ctx, page))
    for page, html in zip(pages, texts, strict=True):
        if html is None:
            continue
        for posting in postings_from_html(html, ctx.lab, page, warn=ctx.warn):
            postings.setdefault(posting.source_id, posting)
        if pattern is not None:
            for link, text in posting_links(html, page, pattern):
                if link not in pages:
                    links.setdefault(link, text)
    found, failure = await _posting_pages(ctx, links)
    for posting in found:
        postings.setdefault(posting.source_id, posting)
    if failure is not None and not postings:
        raise failure  # every posting page failed: an error, not an empty lab
    return list(postings.values())


async def probe(ctx: LabContext) -> int | None:
    """The postings the listing pages show: their JobPostings and their links to posting pages (none requested)."""
    pages = _pages(ctx)
    pattern = _pattern(ctx)
    found: set[str] = set()
    for page, html in zip(pages, await each(pages, lambda page: _listing_text(ctx, page)), strict=True):
        if html is None:
            continue
        found.update(p.source_id for p in postings_from_html(html, ctx.lab, page, warn=ctx.warn))
        if pattern is not None:
            found.update(link for link, _ in posting_links(html, page, pattern) if link not in pages)
    return len(found)


def _pages(ctx: LabContext) -> list[str]:
    """params.pages, or a ParseError saying what to set."""
    pages = ctx.param("pages")
    pages = [pages] if isinstance(pages, str) else pages
    if not pages or not all(isinstance(p, str) and safe_url(p) for p in pages):
        raise ctx.parse_error("", "a jsonld lab needs params.pages = [\"https://...\", ...]")
    return list(pages)


async def _listing_text(ctx: LabContext, page: str) -> str | None:
    """A listing page's HTML; None when robots.txt disallows it (warned, the run partial)."""
    url = _rebase(page, ctx.param("base_url"))
    if not await ctx.allowed(url):
        return None
    return await ctx.get_text(url)


async def _posting_pages(ctx: LabContext, links: dict[str, str]) -> tuple[list[Posting], ScrapeError | None]:
    """Postings of the linked pages (stored ones reused while link and text are unchanged), and a page error if any.

    The pages to read are requested at once; results keep the order of the links.
    """
    stored: dict[str, list[str]] = {}  # listing key -> source ids (a page can hold several postings)
    for source_id, key in ctx.previous_keys.items():
        stored.setdefault(key, []).append(source_id)
    stored_links: dict[str, list[str]] = {}
    for key, source_ids in stored.items():
        stored_links.setdefault(key.split(" | ", 1)[0], []).extend(source_ids)
    plan: list[list[Posting] | str] = []  # reused postings, or the link to read
    to_read: list[str] = []
    skipped = 0
    for link, text in links.items():
        # A page is read again only when its link or its text (usually the title) changes.
        key = f"{link} | {text}"
        # A page that held several postings is read again: one of them may be gone while the link stays.
        source_ids = stored.get(key, [])
        known = ctx.unchanged(source_ids[0], key) if len(source_ids) == 1 else None
        if known is not None:
            plan.append([known])
        elif len(to_read) >= ctx.lab.max_details:
            skipped += 1
        else:
            plan.append(link)
            to_read.append(link)
    failures: list[ScrapeError] = []
    read = await each(to_read, lambda link: _posting_page(ctx, link, f"{link} | {links[link]}", stored_links, failures))
    pages = iter(read)
    found = [posting for item in plan for posting in (item if isinstance(item, list) else next(pages))]
    if skipped:
        ctx.warn(f"{ctx.name}: {skipped} posting page(s) not fetched (max_details = {ctx.lab.max_details})")
        ctx.partial = True
    return found, failures[-1] if failures else None


async def _posting_page(ctx: LabContext, link: str, key: str, stored_links: dict[str, list[str]],
                        failures: list[ScrapeError]) -> list[Posting]:
    """The postings of one linked page; [] (with a warning) when it is gone, unreadable or disallowed by robots.txt."""
    url = _rebase(link, ctx.param("base_url"))
    try:
        if not await ctx.allowed(url):
            return []
        response = await ctx.send("GET", url, ok_statuses=GONE_STATUSES)
    except ScrapeError as exc:
        # One unreadable page must not cost the whole lab.
        ctx.warn(str(exc))
        ctx.partial = True
        failures.append(exc)
        return []
    if response.status_code in GONE_STATUSES:
        for source_id in stored_links.get(link, []):
            ctx.gone(source_id, link)  # the store closes the postings it held for this page
        ctx.warn(f"{ctx.name}: posting page answered HTTP {response.status_code}: {link}")
        return []
    postings = postings_from_html(response.text, ctx.lab, link, warn=ctx.warn)
    if not postings:
        ctx.warn(f"{ctx.name}: no JobPosting JSON-LD on {link}")
        if stored_links.get(link):
            ctx.partial = True  # it held postings before: a changed page format must not close them
    for posting in postings:
        posting.extra["listing_key"] = key
    return postings


def _pattern(ctx: LabContext) -> re.Pattern | None:
    source = ctx.param("link_pattern")
    if not source:
        return None
    try:
        return re.compile(source)
    except (re.error, TypeError) as exc:
        raise ctx.parse_error("", f"params.link_pattern {source!r} is not a regular expression ({exc})") from None


def _rebase(url: str, base_url: str | None) -> str:
    """The URL with its scheme and host replaced by base_url's (for mirrors and test servers)."""
    if not base_url:
        return url
    base = urlsplit(base_url)
    parts = urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))


def detect(data: Any, url: str = "") -> bool:
    if isinstance(data, str):
        return "application/ld+json" in data.lower() and "JobPosting" in data
    return bool(job_nodes(data))


def detail_route(lab: Lab, posting: Posting) -> str | None:
    """GET the posting page a listing page links to (params.link_pattern), on params.base_url's host when set.

    None for a posting read from a listing page itself: it has no page of its own to request.
    """
    if "listing_key" not in posting.extra:
        return None
    return _rebase(posting.extra.get("page_url") or posting.url, lab.params.get("base_url"))
