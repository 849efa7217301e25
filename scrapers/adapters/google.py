"""Google Careers: the official jobs feed (one XML document of every open role), parsed incrementally.

Google's robots.txt disallows the results pages, so a scrape reads the jobs feed instead, as public code that
respects it does (and only where robots.txt allows the feed, checked once per run): one `<job>` per role with
`<jobid>`, `<title>`, `<published>`, `<url>`, `<description>` (HTML), `<locations>`, `<categories>` and
`<employer>` (`Google`, `DeepMind`, `YouTube` ...). The feed is ~20 MB: it is
asked for conditionally (the fetcher sends the stored ETag / Last-Modified; a 304 costs one small request and
the stored body is parsed again) and parsed incrementally, one job at a time, each cleared once read: the
parser holds about one chunk's jobs whatever the feed's size. The body itself is read whole by the fetcher,
within its size cap (ASR_JOBS_MAX_BYTES, 64 MB by default) and kept by the http cache (bodies up to 32 MB)
for the 304s; the XML is parsed in a worker, away from the event loop.

The results-page parser (positional arrays in an `AF_initDataCallback` script) stays for `import` of saved pages.
"""

from __future__ import annotations

import dataclasses
import html as htmllib
import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from typing import Any

# defusedxml's parser refuses entity declarations and external entities (billion laughs, quadratic blowup,
# XXE) in a document as big as this one; it is the stdlib parser with those handlers set, no slower here.
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from ...models import Lab, ParseError, Posting
from ...workers import off_loop
from ..fetch import LabContext
from ..html_text import html_to_text, safe_url
from ..parsing import clean, iso_from_epoch

BASE_URL = "https://www.google.com"
RESULTS_PATH = "/about/careers/applications/jobs/results"
FEED_PATH = "/about/careers/applications/jobs/feed.xml"
PUBLIC_URL = BASE_URL + RESULTS_PATH  # job pages for humans stay on the real site when base_url points at a mirror
PAGE_SIZE = 20
CHUNK = 64 * 1024  # bytes fed to the XML parser at a time
EMPLOYERS = ("Google",)  # params.employers overrides; DeepMind's roles belong to the google-deepmind lab
FEED_HEADERS = {"Accept": "application/xml, text/xml, */*"}

# Positions in a job tuple (reverse-engineered by public scrapers; Google changes them without notice).
ID, TITLE, APPLY_URL, RESPONSIBILITIES, QUALIFICATIONS, COMPANY, LOCATIONS, ABOUT = 0, 1, 2, 3, 4, 7, 9, 10
CREATED, UPDATED, PUBLISHED, ADDITIONAL = 12, 13, 14, 15
MIN_FIELDS = PUBLISHED + 1
DS1_CALL = re.compile(r"AF_initDataCallback\(\s*\{\s*key:\s*'ds:1'")
DATA_KEY = re.compile(r"\bdata\s*:\s*")
_DECODER = json.JSONDecoder(strict=False)
_FEED_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:jobs|feed|source)\b", re.S)
_TAGS = re.compile(r"<[^>]*>")
WORKPLACE_FLAGS = (("isRemote", "remote"), ("remote", "remote"), ("isHybrid", "hybrid"))
JOB_TYPES = {"FULL_TIME": "full-time", "PART_TIME": "part-time", "INTERN": "intern", "INTERNSHIP": "intern",
             "TEMPORARY": "temporary", "CONTRACTOR": "contract", "CONTRACT": "contract"}


def feed_url(lab: Lab) -> str:
    """The jobs feed, on params.base_url's host when set (a mirror or a test server)."""
    return str(lab.params.get("base_url", BASE_URL)).rstrip("/") + FEED_PATH


def employers(lab: Lab) -> frozenset[str]:
    """The employers whose roles are the lab's (lower case): params.employers, else Google alone."""
    return frozenset(str(e).strip().lower() for e in lab.params.get("employers") or EMPLOYERS)


async def scrape(ctx: LabContext) -> list[Posting]:
    """The lab's roles in the feed: its employers' jobs that pass its filters ([] and a partial run where
    robots.txt disallows the feed)."""
    url = feed_url(ctx.lab)
    if not await ctx.allowed(url):
        return []
    response = await ctx.send("GET", url, headers=FEED_HEADERS)
    return await off_loop(parse_feed, response.content, ctx.lab, url)


async def probe(ctx: LabContext) -> int | None:
    """The number of the lab's employers' roles in the feed (a conditional GET: unchanged, it is one small request);
    None where robots.txt disallows the feed."""
    url = feed_url(ctx.lab)
    if not await ctx.allowed(url):
        return None
    response = await ctx.send("GET", url, headers=FEED_HEADERS)
    return await off_loop(count_feed, response.content, ctx.lab, url)


class FeedReader:
    """Jobs of a feed fed in chunks, one `<job>` element at a time; read jobs are dropped from the tree at once.

    `held_most` is the most children a job's parent ever held when a job ended: about the jobs one chunk
    completes, whatever the feed's size.
    """

    def __init__(self, lab: Lab, url: str):
        self.lab, self.url = lab, url
        parser = DefusedXMLParser(target=ElementTree.TreeBuilder())
        # The stdlib's own iterparse hands its parser to XMLPullParser this way (defusedxml's iterparse too).
        self._pull = ElementTree.XMLPullParser(events=("start", "end"), _parser=parser)
        self._open: list[ElementTree.Element] = []  # the elements started and not yet ended, outermost first
        self.held_most = 0
        self.jobs = 0

    def feed(self, chunk: bytes) -> Iterator[ElementTree.Element]:
        """The `<job>` elements completed by this chunk; each is cleared when the caller asks for the next one."""
        try:
            self._pull.feed(chunk)
        except (ElementTree.ParseError, DefusedXmlException) as exc:
            raise self._error(exc) from None
        yield from self._completed()

    def close(self) -> Iterator[ElementTree.Element]:
        try:
            self._pull.close()
        except (ElementTree.ParseError, DefusedXmlException) as exc:
            raise self._error(exc) from None
        yield from self._completed()

    def _completed(self) -> Iterator[ElementTree.Element]:
        open_elements = self._open
        try:
            yield from self._jobs_of(self._pull.read_events(), open_elements)
        except (ElementTree.ParseError, DefusedXmlException) as exc:  # feed() queues its errors as events
            raise self._error(exc) from None

    def _jobs_of(self, events: Iterator[Any], open_elements: list[ElementTree.Element],
                 ) -> Iterator[ElementTree.Element]:
        for event, element in events:
            if event == "start":
                open_elements.append(element)
                continue
            open_elements.pop()
            if _local(element.tag) not in ("job", "entry") or not open_elements:
                continue
            parent = open_elements[-1]
            self.jobs += 1
            self.held_most = max(self.held_most, len(parent))
            yield element
            parent.clear()  # the job and any sibling before it: the parent would otherwise keep every one

    def _error(self, exc: Exception) -> ParseError:
        return ParseError(self.lab.name, self.url, f"the jobs feed is not well-formed XML ({exc})")


def feed_jobs(body: bytes, lab: Lab, url: str) -> Iterator[ElementTree.Element]:
    """Every `<job>` element of a feed body, fed to the parser in CHUNK-sized pieces."""
    if not body.strip():
        raise ParseError(lab.name, url, "the jobs feed is empty")
    reader = FeedReader(lab, url)
    view = memoryview(body)
    for start in range(0, len(body), CHUNK):
        yield from reader.feed(bytes(view[start:start + CHUNK]))
    yield from reader.close()


def parse_feed(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """The lab's postings in a feed: jobs of its employers that pass its filters, each read from its element."""
    wanted = employers(lab)
    postings: dict[str, Posting] = {}
    data = body.encode("utf-8") if isinstance(body, str) else body
    for index, element in enumerate(feed_jobs(data, lab, url)):
        fields = job_fields(element)
        if fields.get("employer", "").lower() not in wanted:
            continue  # DeepMind's roles are the google-deepmind lab's (Greenhouse): never twice
        # The title filter first, on the title alone; then every filter, on the description with its tags merely
        # stripped: turning HTML into tidy text costs more than parsing the whole feed, and few roles need it.
        if not title_passes(lab, fields.get("title", "")):
            continue
        rough = feed_posting(fields, element, lab, url, index, text=rough_text)
        if lab.keep(rough):
            posting = dataclasses.replace(rough, description=html_to_text(fields.get("description", "")))
            postings.setdefault(posting.source_id, posting)
    return list(postings.values())


def title_passes(lab: Lab, title: str) -> bool:
    """Whether a title passes the lab's title filter (any of its patterns), as Lab.keep checks it."""
    patterns = lab.filters.get("title")
    return not patterns or any(re.search(p, title, re.I) for p in patterns)


def count_feed(body: bytes | str, lab: Lab, url: str) -> int:
    """How many jobs of the lab's employers the feed holds."""
    wanted = employers(lab)
    data = body.encode("utf-8") if isinstance(body, str) else body
    return sum(1 for element in feed_jobs(data, lab, url) if job_fields(element).get("employer", "").lower() in wanted)


def job_fields(element: ElementTree.Element) -> dict[str, str]:
    """The text of each child of a `<job>` by its name without namespace (the first of a name wins), stripped."""
    fields: dict[str, str] = {}
    for child in element:
        name = _local(child.tag)
        if name not in fields:
            fields[name] = (child.text or "").strip()
    return fields


def feed_posting(fields: dict[str, str], element: ElementTree.Element, lab: Lab, url: str, index: int = 0,
                 text: Callable[[str], str] = html_to_text) -> Posting:
    """A posting from one `<job>` element (names as public feed readers read them); `text` reads the description."""
    source_id, title = fields.get("jobid", ""), clean(fields.get("title"))
    if not source_id or not title:
        missing = "jobid" if not source_id else "title"
        raise ParseError(lab.name, url, f"job {index + 1} of the feed has no <{missing}> (Google changed the feed?)")
    locations, categories = _lists(element)
    published = fields.get("published") or None
    employer = fields.get("employer", "")
    extra: dict[str, Any] = {"employer": employer}
    if categories:
        extra["categories"] = categories
    return Posting(
        lab=lab.name,
        source_id=source_id,
        title=title,
        url=safe_url(fields.get("url")) or public_url(source_id, title),
        description=text(fields.get("description", "")),
        location="; ".join(locations),
        workplace=_workplace(fields, locations),
        employment_type=JOB_TYPES.get(fields.get("jobtype", "").upper().replace("-", "_"), ""),
        posted_at=published,
        updated_at=published,
        company=employer or "Google",
        extra=extra,
    )


def rough_text(html: str) -> str:
    """The words of an HTML fragment, tags replaced by spaces (enough for the lab's filters to match)."""
    text = _TAGS.sub(" ", html)
    return htmllib.unescape(text) if "&" in text else text


def _local(tag: Any) -> str:
    """A tag without its namespace."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag


def _lists(element: ElementTree.Element) -> tuple[list[str], list[str]]:
    """The job's location names (text, or city, state and country) and category names, each once, in order."""
    locations: dict[str, None] = {}
    categories: dict[str, None] = {}
    for node in element.iter():
        name = _local(node.tag)
        if name == "location":
            parts = [part for part in (job_fields(node).get(p, "") for p in ("city", "state", "country")) if part]
            value = clean(", ".join(parts)) or clean(node.text)
            if value:
                locations[value] = None
        elif name == "category" and clean(node.text):
            categories[clean(node.text)] = None
    return list(locations), list(categories)


def _workplace(fields: dict[str, str], locations: list[str]) -> str:
    for name, kind in WORKPLACE_FLAGS:
        if fields.get(name, "").lower() in ("yes", "true", "1"):
            return kind
    return "remote" if any("remote" in loc.lower() for loc in locations) else ""


def is_feed(body: bytes | str) -> bool:
    """Whether a saved body is the jobs feed (XML) rather than a results page."""
    head = body[:4096] if isinstance(body, bytes) else body[:4096].encode("utf-8", "replace")
    return bool(_FEED_START.match(head.lstrip(b"\xef\xbb\xbf")))


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """The postings of a saved jobs feed, or of one saved results page."""
    if is_feed(body):
        return parse_feed(body, lab, url)
    return parse_page(body, lab, url)[0]


def parse_page(body: bytes | str, lab, url: str) -> tuple[list[Posting], int | None, int]:
    """Postings of a result page, the query's total, and the page size the page reports."""
    data = ds1_data(body, lab, url)
    if not isinstance(data, list) or not data:
        raise ParseError(lab.name, url, f"ds:1 data should be a non-empty array, got {type(data).__name__}")
    jobs = data[0] if data[0] is not None else []
    if not isinstance(jobs, list):
        raise ParseError(lab.name, url, f"ds:1 data[0] (the jobs) should be an array, got {type(jobs).__name__}")
    total = _int_at(data, 2)
    size = _int_at(data, 3) or PAGE_SIZE
    return [parse_job(job, lab, url, index) for index, job in enumerate(jobs)], total, size


def ds1_data(body: bytes | str, lab, url: str) -> Any:
    """The `data:` array of the `AF_initDataCallback({key: 'ds:1', ...})` call, decoded."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    call = DS1_CALL.search(text)
    if call is None:
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
        seen = f" (page title {clean(title.group(1))!r})" if title else ""
        raise ParseError(lab.name, url, "no AF_initDataCallback with key 'ds:1' in the page: Google changed the "
                                        f"page, or a consent or bot page came back{seen}")
    key = DATA_KEY.search(text, call.end())
    if key is None:
        raise ParseError(lab.name, url, "the ds:1 callback has no 'data:' field")
    # The object literal around it is JavaScript, but the data value itself is JSON: decode just that value.
    try:
        data, _ = _DECODER.raw_decode(text, key.end())
    except json.JSONDecodeError as exc:
        raise ParseError(lab.name, url, f"the ds:1 data is not valid JSON at character {exc.pos}: {exc.msg}") from None
    return data


def parse_job(job: Any, lab, url: str, index: int = 0) -> Posting:
    where = f"ds:1 jobs[{index}]"
    if not isinstance(job, list):
        raise ParseError(lab.name, url, f"{where} is {type(job).__name__}, not an array")
    if len(job) < MIN_FIELDS:
        raise ParseError(lab.name, url, f"{where} has {len(job)} fields; index {PUBLISHED} (published time) and "
                                        f"earlier are needed (Google changed the job tuple?)")
    for position, name in ((ID, "id"), (TITLE, "title")):
        if not isinstance(job[position], str) or not job[position].strip():
            raise ParseError(lab.name, url, f"{where}[{position}] ({name}) should be text, got {job[position]!r:.40}")
    source_id = job[ID].strip()
    title = clean(job[TITLE])
    locations = _locations(job, where, lab, url)
    return Posting(
        lab=lab.name,
        source_id=source_id,
        title=title,
        url=public_url(source_id, title),
        description=description(job, where, lab, url),
        location="; ".join(locations),
        workplace="remote" if any("remote" in loc.lower() for loc in locations) else "",
        # Google republishes on every edit, so creation is the date the posting first appeared.
        posted_at=_timestamp(job[CREATED]) or _timestamp(job[PUBLISHED]),
        updated_at=_timestamp(job[UPDATED]) or _timestamp(job[PUBLISHED]),
        company=clean(job[COMPANY]) or "Google",
        extra={"apply_url": safe_url(job[APPLY_URL])} if safe_url(job[APPLY_URL]) else {},
    )


def description(job: list, where: str, lab, url: str) -> str:
    """About the job, responsibilities, qualifications, then the additional notes (deadlines, benefits)."""
    parts = []
    for position, heading in ((ABOUT, ""), (RESPONSIBILITIES, "Responsibilities"), (QUALIFICATIONS, "Qualifications"),
                              (ADDITIONAL, "")):
        text = html_to_text(_html(job, position, where, lab, url))
        if text:
            parts.append(f"{heading}\n{text}" if heading else text)
    return "\n\n".join(parts)


def _html(job: list, position: int, where: str, lab, url: str) -> str:
    """A text field, stored as [null, html] (or null, or "" when absent)."""
    field = job[position] if position < len(job) else None
    if field in (None, ""):
        return ""
    if isinstance(field, list) and len(field) >= 2 and (field[1] is None or isinstance(field[1], str)):
        return field[1] or ""
    raise ParseError(lab.name, url, f"{where}[{position}] should be [null, html], got {json.dumps(field)[:60]}")


def _locations(job: list, where: str, lab, url: str) -> list[str]:
    """Display names of [[name, [address], city, zip, region, country], ...]."""
    field = job[LOCATIONS]
    if field is None:
        return []
    if not isinstance(field, list):
        raise ParseError(lab.name, url, f"{where}[{LOCATIONS}] (locations) should be an array, got {type(field).__name__}")
    names = [clean(loc[0]) for loc in field if isinstance(loc, list) and loc and isinstance(loc[0], str)]
    return list(dict.fromkeys(n for n in names if n))


def _timestamp(value: Any) -> str | None:
    """A [seconds, nanos] pair as ISO 8601 UTC."""
    if isinstance(value, list) and value and isinstance(value[0], int | float) and not isinstance(value[0], bool):
        return iso_from_epoch(value[0])
    return None


def _int_at(values: list, position: int) -> int | None:
    value = values[position] if position < len(values) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def public_url(source_id: str, title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return f"{PUBLIC_URL}/{source_id}-{slug}"


def detect(data: Any, url: str = "") -> bool:
    if "google.com/about/careers" in url:
        return True
    return isinstance(data, str) and (bool(DS1_CALL.search(data)) or (is_feed(data) and "<jobid>" in data[:65536]))


def detail_route(lab: Lab, posting: Posting) -> str | None:
    """None: the feed (and a results page) carries every posting whole: no detail request."""
    return None
