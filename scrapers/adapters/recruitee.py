"""Recruitee public offers API: every published offer, with its description, in one GET.

GET https://{company}.recruitee.com/api/offers/ answers `{"offers": [...]}`, each offer with `id`, `title`,
`description` and `requirements` (HTML), `location`/`city`/`country`, `department`, `employment_type_code`,
`remote`/`hybrid`, `status`, `published_at`, `careers_url` and `company_name`; no paging, no detail request.
Evidence (public code calling the API): inderjotx/temp:packages/scraper/src/strategies/recruitee-strategy.js
(offers[].id, title, department, careers_url, location, remote, created_at) and unattributed public code
(index ids 65830905101, 68332567691, 70094436446: description + requirements HTML, city, country,
employment_type_code, status "published", published_at, careers_url, company_name).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from ...models import Lab, ParseError, Posting
from ..fetch import LabContext
from ..html_text import html_to_text, safe_url
from ..paging import whole_board
from ..parsing import clean, load_json, require, shape_of

# Recruitee's employment codes by their leading word ("fulltime_permanent", "parttime_fixed_term" ...).
EMPLOYMENT = (("intern", "intern"), ("fulltime", "full-time"), ("parttime", "part-time"), ("contract", "contract"),
              ("freelance", "contract"), ("temporary", "temporary"))
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# A timestamp written "YYYY-MM-DD HH:MM:SS UTC" is stored as ISO 8601, so postings sort with the other systems'.
_SPACED = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) UTC$")


def company(lab) -> str:
    """params.company (the subdomain in COMPANY.recruitee.com), or a ParseError saying to set it."""
    value = lab.params.get("company")
    if not value:
        raise ParseError(lab.name, "", "a recruitee lab needs params.company (as in COMPANY.recruitee.com)",
                         kind="config")
    return str(value)


def offers_url(lab) -> str:
    base = lab.params.get("base_url") or f"https://{quote(company(lab), safe='')}.recruitee.com"
    return f"{base.rstrip('/')}/api/offers/"


async def scrape(ctx: LabContext) -> list[Posting]:
    return await whole_board(ctx, offers_url(ctx.lab), parse)


def parse(body: bytes | str, lab: Lab, url: str) -> list[Posting]:
    """Published postings of an offers answer `{"offers": [...]}` (drafts and closed offers left out)."""
    data = load_json(body, lab.name, url)
    if not isinstance(data, dict) or "offers" not in data:
        raise ParseError(lab.name, url, f"expected a Recruitee answer with an 'offers' list, got {shape_of(data)}")
    offers = require(data, "offers", list, lab.name, url)
    postings = [parse_offer(offer, lab, url, index) for index, offer in enumerate(offers)]
    published = [p for p, offer in zip(postings, offers, strict=True) if offer.get("status") in (None, "published")]
    return list({p.source_id: p for p in published}.values())


def parse_offer(offer: Any, lab, url: str, index: int = 0) -> Posting:
    where = f"offers[{index}]"
    if not isinstance(offer, dict):
        raise ParseError(lab.name, url, f"{where} is {type(offer).__name__}, not an object")
    if offer.get("id") in (None, "") or isinstance(offer["id"], (bool, dict, list)):
        raise ParseError(lab.name, url, f"{where} has no 'id'")
    if not isinstance(offer.get("title"), str) or not offer["title"].strip():
        raise ParseError(lab.name, url, f"{where} has no 'title' text")
    source_id = str(offer["id"])
    texts = [html_to_text(offer[key]) for key in ("description", "requirements") if isinstance(offer.get(key), str)]
    return Posting(
        lab=lab.name,
        source_id=source_id,
        title=clean(offer["title"]),
        url=safe_url(offer.get("careers_url")) or _public_url(lab, offer, source_id),
        description="\n\n".join(t for t in texts if t),
        location=_location(offer),
        team=clean(offer.get("department")),
        workplace="remote" if offer.get("remote") is True else "hybrid" if offer.get("hybrid") is True else "",
        employment_type=_employment(offer.get("employment_type_code")),
        posted_at=_date(offer.get("published_at")) or _date(offer.get("created_at")),
        company=clean(offer.get("company_name")),
        extra={k: v for k in ("slug", "careers_apply_url") if (v := clean(offer.get(k)))},
    )


def _public_url(lab, offer: dict, source_id: str) -> str:
    slug = clean(offer.get("slug")) or source_id
    return f"https://{quote(str(lab.params.get('company') or lab.name), safe='')}.recruitee.com/o/{quote(slug, safe='')}"


def _location(offer: dict) -> str:
    if clean(offer.get("location")):
        return clean(offer["location"])
    return ", ".join(clean(offer[k]) for k in ("city", "country") if clean(offer.get(k)))


def _employment(code: Any) -> str:
    text = clean(code).lower()
    return next((kind for prefix, kind in EMPLOYMENT if text.startswith(prefix)), "")


def _date(value: Any) -> str | None:
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    spaced = _SPACED.match(value)
    return f"{spaced[1]}T{spaced[2]}Z" if spaced else value


def detect(data: Any, url: str = "") -> bool:
    if "recruitee.com" in url:
        return True
    offers = data.get("offers") if isinstance(data, dict) else None
    return isinstance(offers, list) and bool(offers) and isinstance(offers[0], dict) and "careers_url" in offers[0]


def detail_route(lab: Lab, posting: Posting) -> str | None:
    """None: the offers answer carries every offer whole (description and requirements): no detail request."""
    return None


async def probe(ctx: LabContext) -> int:
    """The offers answer in its one GET (as scrape asks it), parsed: the number of published offers."""
    return len(await scrape(ctx))
