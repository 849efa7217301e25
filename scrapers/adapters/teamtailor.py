"""Teamtailor career sites: the public RSS feed of published jobs, paged by offset, descriptions included.

GET https://{company}.teamtailor.com/jobs.rss?offset=N&per_page=100 answers RSS 2.0: a `<channel>` whose
`<title>` is the employer and whose `<item>`s carry `title`, `description` (HTML), `link`, `pubDate` (RFC 2822),
`guid`, `remoteStatus` (none / hybrid / fully / temporary) and, in the `tt` namespace, `tt:locations`
(`tt:location` with `tt:name`, `tt:city`, `tt:country`), `tt:department` and `tt:role`. No API key: the key-less
public API is this feed (api.teamtailor.com/v1/jobs needs a company token). The feed gives no total; a short
page ends it. An unknown career site answers 404.

Evidence (public code; see tests/requests/teamtailor.toml): datascry/openroles:scraper/src/ats/teamtailor.ts
(URL, item and tt: element names), and a stand-in of the feed in Blueturboguy07/jobleft (offset and per_page,
100 items by default).
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

# defusedxml's parser refuses entity declarations and external entities (billion laughs, XXE): the feed is outside text.
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ...models import Lab, ParseError, Posting
from ..fetch import LabContext
from ..html_text import html_to_text, safe_url
from ..paging import Page, Totals, read_listing
from ..parsing import clean

PAGE_SIZE = 100  # the feed's own default page (per_page)
DEFAULT_MAX_PAGES = 20
# remoteStatus as the feed spells it, and the spellings other public code also maps.
WORKPLACE = {"none": "onsite", "onsite": "onsite", "on-site": "onsite", "hybrid": "hybrid", "fully": "remote",
             "temporary": "remote", "remote": "remote"}


def site_url(lab) -> str:
    """The career site's origin: params.base_url, else https://{params.host}, else https://{params.company}.teamtailor.com."""
    if lab.params.get("base_url"):
        return str(lab.params["base_url"]).rstrip("/")
    if lab.params.get("host"):
        return f"https://{lab.params['host']}"
    if not lab.params.get("company"):
        raise ParseError(lab.name, "", "a teamtailor lab needs params.company (as in COMPANY.teamtailor.com) "
                                       "or params.host (the career site's host)", kind="config")
    return f"https://{lab.params['company']}.teamtailor.com"


def feed_url(lab, offset: int = 0) -> str:
    return f"{site_url(lab)}/jobs.rss?{urlencode({'offset': offset, 'per_page': PAGE_SIZE})}"


async def scrape(ctx: LabContext) -> list[Posting]:
    """Every page of the feed until a short one (the feed tells no total)."""

    async def page(index: int) -> Page[list[Posting]]:
        url = feed_url(ctx.lab, index * PAGE_SIZE)
        postings = parse((await ctx.send("GET", url)).content, ctx.lab, url)
        return Page(url, [p.source_id for p in postings], None, postings)

    max_pages = int(ctx.param("max_pages", DEFAULT_MAX_PAGES))
    pages = await read_listing(ctx, "jobs feed", page, Totals(PAGE_SIZE), max_pages)
    return [posting for postings in pages for posting in postings]


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """Postings of one page of the feed (`<rss><channel><item>...`)."""
    channel = _channel(body, lab, url)
    company = clean(_text(channel, "title"))
    return [item_posting(item, lab, url, index, company)
            for index, item in enumerate(e for e in channel if _local(e.tag) == "item")]


def _channel(body: bytes | str, lab: Lab, url: str) -> ElementTree.Element:
    if not body.strip():
        raise ParseError(lab.name, url, "empty body where the jobs feed (RSS) was expected")
    try:
        root = fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise ParseError(lab.name, url, f"the jobs feed is not well-formed XML ({exc})") from None
    channel = next((e for e in root if _local(e.tag) == "channel"), None) if _local(root.tag) == "rss" else None
    if channel is None:
        raise ParseError(lab.name, url, f"expected a Teamtailor RSS feed (<rss><channel>), got <{_local(root.tag)}>")
    return channel


def item_posting(item: ElementTree.Element, lab, url: str, index: int = 0, company: str = "") -> Posting:
    """A posting from one `<item>`: guid (else link) is its id."""
    title = clean(_text(item, "title"))
    link = safe_url(_text(item, "link").strip())
    source_id = _text(item, "guid").strip() or link
    if not title:
        raise ParseError(lab.name, url, f"item {index + 1} of the feed has no <title>")
    if not source_id:
        raise ParseError(lab.name, url, f"item {index + 1} of the feed has neither <guid> nor <link>")
    return Posting(
        lab=lab.name,
        source_id=source_id,
        title=title,
        url=link or f"{site_url(lab)}/jobs",
        description=html_to_text(_text(item, "description")),
        location=_location(item),
        team=clean(_text(item, "department")),
        workplace=WORKPLACE.get(_text(item, "remoteStatus").strip().lower(), ""),
        posted_at=_iso(_text(item, "pubDate")),
        company=company,
        extra={"role": clean(_text(item, "role"))} if clean(_text(item, "role")) else {},
    )


def _location(item: ElementTree.Element) -> str:
    """Each `tt:location` as "city, country" (its name when it has no city), without repeats."""
    places: list[str] = []
    for holder in (e for e in item if _local(e.tag) == "locations"):
        for place in (e for e in holder if _local(e.tag) == "location"):
            city = clean(_text(place, "city")) or clean(_text(place, "name"))
            label = ", ".join(p for p in (city, clean(_text(place, "country"))) if p)
            if label and label not in places:
                places.append(label)
    return "; ".join(places)


def _iso(value: str) -> str | None:
    """RFC 2822 (`Fri, 27 Feb 2026 19:59:48 +0100`) as ISO 8601; None when unreadable."""
    try:
        return parsedate_to_datetime(value.strip()).isoformat() if value.strip() else None
    except (TypeError, ValueError, IndexError):
        return None


def _local(tag: Any) -> str:
    """A tag without its namespace (`{https://teamtailor.com/locations}city` -> `city`)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(element: ElementTree.Element, name: str) -> str:
    """The text of the first child named `name` (any namespace), '' when absent."""
    child = next((e for e in element if _local(e.tag) == name), None)
    return "".join(child.itertext()) if child is not None else ""


def detect(data: Any, url: str = "") -> bool:
    if "teamtailor.com" in url:
        return True
    if isinstance(data, (bytes, str)):
        head = data[:2000].decode("utf-8", "replace") if isinstance(data, bytes) else data[:2000]
        return "<rss" in head and "teamtailor.com" in head
    return False


def detail_route(lab: Lab, posting: Posting) -> str | None:
    """None: the feed carries each posting's description, so there is no detail request."""
    return None


async def probe(ctx: LabContext) -> int:
    """The first page of the feed, parsed: its number of postings (a lower bound when the page is full)."""
    url = feed_url(ctx.lab, 0)
    return len(parse((await ctx.send("GET", url)).content, ctx.lab, url))
