"""MIT CSAIL and its groups: plain HTML listing pages, the posting links on them, and each posting page.

MIT HR's own site (PeopleFluent/PeopleClick, careers.peopleclick.com/careerscp/client_mit) answers every
stateless request with the same AngularJS shell (its search needs a browser session), so its pages are never
requested: a link to one on a lab's page gives a posting from the link alone (title and URL). Every page is
fetched only where the host's robots.txt allows it.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from urllib.parse import parse_qs, urldefrag, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

from ...models import Lab, ParseError, Posting, ScrapeError
from ..details import Listed, fetch_details
from ..fetch import GONE_STATUSES, LabContext, same_site
from ..html_text import html_to_text, safe_url
from ..paging import each
from ..parsing import clean
from .jsonld import postings_from_html

# Posting links: MIT HR's jobDetails.do, and pages under a jobs/opportunities/positions/postdoc folder; a path
# segment must follow the folder so that listing pages ("/opportunities") and news about postdocs do not count.
LINK_PATTERN = r"(?i)(jobdetails|/(jobs?|opportunit(y|ies)|positions?|openings?|vacanc(y|ies)|postdocs?)/[^/?#]+)"
TEXT_ROOTS = ("main", "article", "#content", "[role=main]", ".content", "body")
CHROME = "nav, header, footer, aside, form, .breadcrumb, .skip-link"
TITLE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]+$")  # " | MIT CSAIL" after a <title>
# Hosts whose posting pages are a JavaScript shell to a plain GET: their links are postings as listed.
LISTING_ONLY_HOSTS = ("careers.peopleclick.com",)


def fetch_url(lab, url: str) -> str:
    """The URL to request: scheme and host replaced by params.base_url when set (a mirror or test server)."""
    base = lab.params.get("base_url")
    if not base:
        return url
    target, parts = urlsplit(str(base)), urlsplit(url)
    return urlunsplit((target.scheme, target.netloc, parts.path or "/", parts.query, ""))


async def scrape(ctx: LabContext) -> list[Posting]:
    links = await _links(ctx)
    listed = [Listed(listing_posting(url, text, ctx.lab), f"{text}|{url}") for url, text in links.items()]
    as_listed = [item.posting for item in listed if listing_only(ctx.lab, item.posting.url)]
    to_read = [item for item in listed if not listing_only(ctx.lab, item.posting.url)]
    # A posting page is read again only when its link or link text (usually the title) changes.
    return as_listed + await fetch_details(ctx, to_read, lambda item: _posting_page(ctx, item.posting))


async def probe(ctx: LabContext) -> int | None:
    """The posting links on the listing pages (no posting page is requested)."""
    return len(await _links(ctx))


async def _links(ctx: LabContext) -> dict[str, str]:
    """Posting links -> link text, of every listing page robots.txt lets us read, in page order."""
    pages = [str(p) for p in ctx.param("pages") or []]
    if not pages:
        raise ctx.parse_error("", "an mit lab needs params.pages (the listing pages to read)")
    links: dict[str, str] = {}
    # Listing pages are independent: all are requested at once (the host gate keeps the lab's limits).
    answers = await each(pages, lambda page: _listing_page(ctx, page))
    if all(text is _GONE for text in answers):
        raise ScrapeError(ctx.name, pages[0], "every listing page answered 404/410: change params.pages",
                          kind="config")
    for page, text in zip(pages, answers, strict=True):
        if not isinstance(text, str):
            continue
        found = posting_links(text, page, ctx.lab, pages)
        if not found:
            ctx.warn(f"{page}: no links matching link_pattern (no openings, or the page changed)")
        for url, link_text in found.items():
            links.setdefault(url, link_text)
    return links


_GONE = object()  # a listing page that answered 404/410


async def _listing_page(ctx: LabContext, page: str) -> str | object | None:
    """A listing page's HTML; None when robots.txt disallows it, _GONE on 404/410 (both warned, the run partial)."""
    url = fetch_url(ctx.lab, page)
    if not await ctx.allowed(url):
        return None
    response = await ctx.send("GET", url, ok_statuses=GONE_STATUSES)
    if response.status_code in GONE_STATUSES:
        # One moved page of several must not cost the others: the postings it listed are kept (partial run).
        ctx.warn(f"{ctx.name}: listing page answered HTTP {response.status_code}, check params.pages: {page}")
        ctx.partial = True
        return _GONE
    return response.text


def listing_only(lab, url: str) -> bool:
    """Whether a posting link is on a host whose pages cannot be read (params.listing_only_hosts)."""
    hosts = {str(h).lower() for h in lab.params.get("listing_only_hosts", LISTING_ONLY_HOSTS)}
    return (urlsplit(url).hostname or "").lower() in hosts


def posting_links(page: str, page_url: str, lab, listing_urls: list[str] | None = None) -> dict[str, str]:
    """Same-site (or params.follow_hosts) links matching params.link_pattern -> their link text, in page order."""
    source = str(lab.params.get("link_pattern", LINK_PATTERN))
    try:
        pattern = re.compile(source)
    except re.error as exc:
        raise ParseError(lab.name, page_url, f"params.link_pattern {source!r} is not a regular expression ({exc})") from None
    hosts = {str(h).lower() for h in lab.params.get("follow_hosts") or []}
    skip = {_canonical(u) for u in [page_url, *(listing_urls or [])]}
    page_host = urlsplit(page_url).hostname or ""
    links: dict[str, str] = {}
    for anchor in LexborHTMLParser(page).css("a[href]"):
        url = safe_url(urldefrag(urljoin(page_url, anchor.attributes.get("href") or "")).url)
        host = (urlsplit(url).hostname or "").lower()
        if not url or not (same_site(host, page_host) or host in hosts) or _canonical(url) in skip:
            continue
        if pattern.search(url) and not links.get(url):  # an image link first, its text link later
            links[url] = clean(anchor.text(separator=" "))
    return links


def _canonical(url: str) -> str:
    return url.split("://", 1)[-1].rstrip("/").lower()


def source_id(url: str) -> str:
    """MIT HR's jobPostId when the link has one, else host and path (stable across runs)."""
    parts = urlsplit(url)
    post_id = parse_qs(parts.query).get("jobPostId")
    if post_id:
        return post_id[0]
    return f"{parts.hostname}{parts.path.rstrip('/')}" + (f"?{parts.query}" if parts.query else "")


def listing_posting(url: str, text: str, lab) -> Posting:
    """What the listing says of a posting: its link and link text."""
    return Posting(lab=lab.name, source_id=source_id(url), title=text, url=url,
                   location=str(lab.params.get("location", "")), company=str(lab.params.get("company", lab.title)),
                   description=text if listing_only(lab, url) else "")


async def _posting_page(ctx: LabContext, posting: Posting) -> Posting | None:
    """The posting read from its page; None when robots.txt disallows it, or (reported gone) on 404/410."""
    url = fetch_url(ctx.lab, posting.url)
    if not await ctx.allowed(url):
        return None
    response = await ctx.detail(posting.source_id, url)
    if response is None:
        return None
    try:
        return parse_posting(response.text, ctx.lab, posting.url, posting, warn=ctx.warn)
    except ParseError as exc:
        # Pages of many groups and MIT HR differ: one unreadable page is left out (and tried again next run),
        # and the run is partial so that the store closes nothing because of it.
        ctx.warn(str(exc))
        ctx.partial = True
        return None


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """The posting on one posting page."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return [parse_posting(text, lab, url, listing_posting(url, "", lab))]


def parse_posting(page: str, lab, url: str, listed: Posting, warn=None) -> Posting:
    """A posting page: its JobPosting JSON-LD when it has one, else its title and main text."""
    structured = postings_from_html(page, lab, url, warn=warn)
    tree = LexborHTMLParser(page)
    title = _title(tree) or listed.title
    text = main_text(tree)
    if structured:
        found = structured[0]
        return dataclasses.replace(
            found, lab=lab.name, source_id=listed.source_id, url=listed.url, title=found.title or title,
            description=found.description or text, location=found.location or listed.location,
            company=found.company or listed.company, extra={**found.extra, **listed.extra})
    if not title:
        raise ParseError(lab.name, url, "the posting page has no title (no h1, og:title or <title>)")
    text = text.removeprefix(title).lstrip("\n")  # the h1 opens the main text
    if not text:
        raise ParseError(lab.name, url, "the posting page has no text in main, article or #content")
    return dataclasses.replace(listed, title=title, description=text, posted_at=_published(tree),
                               extra=dict(listed.extra))


def _title(tree: LexborHTMLParser) -> str:
    h1 = tree.css_first("h1")
    if h1 is not None and clean(h1.text(separator=" ")):
        return clean(h1.text(separator=" "))
    og = tree.css_first('meta[property="og:title"]')
    if og is not None and clean(og.attributes.get("content")):
        return clean(og.attributes.get("content"))
    title = tree.css_first("title")
    return TITLE_SUFFIX.sub("", clean(title.text())) if title is not None else ""


def main_text(tree: LexborHTMLParser) -> str:
    """Text of the page's main content, without navigation, header and footer."""
    for selector in TEXT_ROOTS:
        node = tree.css_first(selector)
        if node is None:
            continue
        for chrome in node.css(CHROME):
            chrome.decompose()
        text = html_to_text(node.html)
        if text:
            return text
    return ""


def _published(tree: LexborHTMLParser) -> str | None:
    meta = tree.css_first('meta[property="article:published_time"]')
    value = meta.attributes.get("content") if meta is not None else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def detect(data: Any, url: str = "") -> bool:
    return "mit.edu" in url or "client_mit" in url


def detail_route(lab: Lab, posting: Posting) -> str | None:
    """GET the posting's own page (the link the listing page shows), on params.base_url's host when set;
    None for a link to a page that cannot be read (PeopleClick): the listing is all there is."""
    if listing_only(lab, posting.url):
        return None
    return fetch_url(lab, posting.url)
