"""Personio: the public XML job feed of a company's careers site, every open position in one request.

GET https://{company}.jobs.personio.de/xml (or .jobs.personio.com) answers `<workzag-jobs>` with one
`<position>` per job: `id`, `name`, `subcompany`, `office`, `department`, `recruitingCategory`,
`employmentType`, `schedule`, `seniority`, `createdAt` and `jobDescriptions/jobDescription/{name, value}` (the
description in sections, HTML). No paging and no detail request; the job's page is {host}/job/{id}.
Evidence: CPS-IT/personio-jobs:Classes/Service/PersonioApiService.php (GET {api url}/xml, positions with
their jobDescription lists, job URL /job/{id}), CPS-IT/personio-jobs:Classes/Domain/Model/Job.php (the
fields), bsdevda/cyber-job-radar:tests/fixtures/personio.xml (a feed in this shape).
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from typing import Any
from urllib.parse import quote, urlsplit

# Entity declarations and external entities (billion laughs, XXE) are refused: the feed is outside text.
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ...models import Lab, ParseError, Posting
from ..fetch import LabContext
from ..html_text import html_to_text
from ..parsing import clean

DOMAINS = ("de", "com")  # COMPANY.jobs.personio.de, or .com for accounts made there
FEED_HEADERS = {"Accept": "application/xml, text/xml, */*"}
# employmentType and schedule values of the feed (CPS-IT/personio-jobs:Classes/Enums/Job/*.php).
EMPLOYMENT = {"intern": "intern", "trainee": "intern", "working_student": "part-time", "freelance": "contract",
              "temporary": "temporary"}
SCHEDULES = {"full-time": "full-time", "part-time": "part-time", "full-or-part-time": "full-time"}


def company(lab: Lab) -> str:
    """params.company (COMPANY in COMPANY.jobs.personio.de), or a ParseError saying to set it."""
    value = lab.params.get("company")
    if not value:
        raise ParseError(lab.name, "", "a personio lab needs params.company (as in COMPANY.jobs.personio.de)",
                         kind="config")
    return str(value)


def public_host(lab: Lab) -> str:
    """The careers site: https://COMPANY.jobs.personio.de (params.domain = "com" for .com)."""
    domain = str(lab.params.get("domain", "de"))
    if domain not in DOMAINS:
        raise ParseError(lab.name, "", f"params.domain is {domain!r}; Personio's are {' or '.join(DOMAINS)}",
                         kind="config")
    return f"https://{quote(company(lab).lower(), safe='-')}.jobs.personio.{domain}"


def feed_url(lab: Lab) -> str:
    """The XML feed, on params.base_url's host when set (a mirror or a test server)."""
    base = str(lab.params.get("base_url") or public_host(lab)).rstrip("/")
    language = lab.params.get("language")
    return f"{base}/xml" + (f"?language={quote(str(language), safe='')}" if language else "")


async def scrape(ctx: LabContext) -> list[Posting]:
    url = feed_url(ctx.lab)
    response = await ctx.send("GET", url, headers=FEED_HEADERS)
    return parse(response.content, ctx.lab, url)


def feed_positions(body: bytes | str, lab: Lab, url: str) -> list[ElementTree.Element]:
    """The `<position>` elements of a feed, or a ParseError saying what came instead."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    if not data.strip():
        raise ParseError(lab.name, url, "the Personio feed is empty")
    try:
        root = fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as error:
        raise ParseError(lab.name, url, f"not a Personio XML feed ({type(error).__name__}: {error})") from None
    if root.tag != "workzag-jobs":
        raise ParseError(lab.name, url, f"expected a Personio feed (<workzag-jobs>), got <{root.tag}>")
    return root.findall("position")


def position_posting(element: ElementTree.Element, lab: Lab, url: str, index: int = 0) -> Posting:
    """A posting from one `<position>`: its fields, the description sections joined, the job's page."""
    source_id = (element.findtext("id") or "").strip()
    title = clean(element.findtext("name"))
    if not source_id or not title:
        raise ParseError(lab.name, url, f"position[{index}] has no {'id' if not source_id else 'name'}")
    team = clean(element.findtext("department")) or clean(element.findtext("recruitingCategory"))
    extra = {key: value for key in ("recruitingCategory", "seniority", "subcompany")
             if (value := clean(element.findtext(key)))}
    return Posting(
        lab=lab.name,
        source_id=source_id,
        title=title,
        url=f"{_job_host(lab, url)}/job/{quote(source_id, safe='')}",
        location=clean(element.findtext("office")),
        team=team,
        employment_type=_employment(element),
        posted_at=clean(element.findtext("createdAt")) or None,
        company=clean(element.findtext("subcompany")),
        description=description(element),
        extra=extra,
    )


def description(element: ElementTree.Element) -> str:
    """The jobDescription sections in feed order, each headed by its name."""
    parts = []
    for section in element.findall("jobDescriptions/jobDescription"):
        text = html_to_text((section.findtext("value") or "").strip())
        if text:
            heading = clean(section.findtext("name"))
            parts.append(f"{heading}\n{text}" if heading else text)
    return "\n\n".join(parts)


def _employment(element: ElementTree.Element) -> str:
    kind = (element.findtext("employmentType") or "").strip().lower()
    return EMPLOYMENT.get(kind) or SCHEDULES.get((element.findtext("schedule") or "").strip().lower(), "")


def _job_host(lab: Lab, url: str) -> str:
    """The careers site for job links: the lab's (links stay on the real site when base_url is a mirror), else the
    feed's own host."""
    if lab.params.get("company"):
        return public_host(lab)
    parts = urlsplit(url)
    return f"{parts.scheme or 'https'}://{parts.netloc}"


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """Postings of a Personio XML feed (the lab's filters are applied later, by the pipeline)."""
    postings: dict[str, Posting] = {}
    for index, element in enumerate(feed_positions(body, lab, url)):
        posting = position_posting(element, lab, url, index)
        postings.setdefault(posting.source_id, posting)
    return list(postings.values())


def detect(data: Any, url: str = "") -> bool:
    if "jobs.personio." in url:
        return True
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return isinstance(text, str) and "<workzag-jobs" in text[:2048]


def detail_route(lab: Lab, posting: Posting) -> str | None:
    """None: the feed carries every position's description; there is no detail request."""
    return None


async def probe(ctx: LabContext) -> int:
    """The feed, parsed: how many positions it holds."""
    url = feed_url(ctx.lab)
    return len(parse((await ctx.send("GET", url, headers=FEED_HEADERS)).content, ctx.lab, url))
