"""Conditional requests: validators stored per URL, sent again, and a 304 answered from the stored body."""

import zlib

import httpx

from asr_jobs.db import store
from asr_jobs.db.http_cache import HttpCache
from asr_jobs.models import Politeness
from asr_jobs.scrapers.fetch import Fetcher, LabStats

URL = "https://boards-api.greenhouse.io/v1/boards/acme/jobs?content=true"
BODY = b'{"jobs": [{"id": 1, "title": "Speech Scientist"}]}'


class Site:
    """A server with one resource: 304 when the request's validators match, else 200 with validators."""

    def __init__(self, etag: str | None = '"v1"', last_modified: str | None = "Tue, 17 Nov 2026 08:00:00 GMT"):
        self.etag, self.last_modified, self.body = etag, last_modified, BODY
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        fresh = (self.etag and request.headers.get("if-none-match") == self.etag) or (
            not self.etag and self.last_modified and request.headers.get("if-modified-since") == self.last_modified)
        headers = {k: v for k, v in (("etag", self.etag), ("last-modified", self.last_modified)) if v}
        if fresh:
            return httpx.Response(304, headers=headers)
        return httpx.Response(200, content=self.body, headers={"content-type": "application/json", **headers})


async def fetch(site: Site, cache: HttpCache, stats: LabStats, method: str = "GET", **kwargs) -> httpx.Response:
    async with Fetcher(httpx.MockTransport(site), cache=cache) as fetcher:
        return await fetcher.request("acme", method, URL, politeness=Politeness(), stats=stats, **kwargs)


async def test_validators_are_sent_and_a_304_reuses_the_stored_body():
    db = store.open_db(None)
    cache, site = HttpCache(db), Site()
    first, second = LabStats(), LabStats()
    assert (await fetch(site, cache, first)).content == BODY
    assert "if-none-match" not in site.seen[0].headers and first.bytes == len(BODY)
    again = await fetch(site, cache, second)
    assert site.seen[1].headers["if-none-match"] == '"v1"'
    assert site.seen[1].headers["if-modified-since"] == "Tue, 17 Nov 2026 08:00:00 GMT"
    assert again.status_code == 200 and again.content == BODY and again.json()["jobs"][0]["title"] == "Speech Scientist"
    assert again.headers["x-asr-jobs-cache"] == "revalidated" and again.headers["content-type"] == "application/json"
    assert (second.requests, second.not_modified, second.bytes) == (1, 1, 0)
    row = db["http_cache"].get(URL)
    assert row["etag"] == '"v1"' and zlib.decompress(row["body"]) == BODY


async def test_a_changed_resource_replaces_the_stored_body_and_validators():
    db = store.open_db(None)
    cache, site = HttpCache(db), Site()
    await fetch(site, cache, LabStats())
    site.etag, site.body = '"v2"', b'{"jobs": []}'
    stats = LabStats()
    assert (await fetch(site, cache, stats)).content == b'{"jobs": []}'
    assert stats.not_modified == 0 and db["http_cache"].get(URL)["etag"] == '"v2"'
    assert cache.get(URL).body == b'{"jobs": []}'


async def test_last_modified_alone_is_enough():
    db = store.open_db(None)
    cache, site = HttpCache(db), Site(etag=None)
    await fetch(site, cache, LabStats())
    stats = LabStats()
    assert (await fetch(site, cache, stats)).content == BODY
    assert "if-none-match" not in site.seen[1].headers and stats.not_modified == 1


async def test_answers_without_validators_and_posts_are_not_cached():
    db = store.open_db(None)
    cache = HttpCache(db)
    await fetch(Site(etag=None, last_modified=None), cache, LabStats())
    site = Site()
    await fetch(site, cache, LabStats(), method="POST", json={"q": "speech"})
    await fetch(site, cache, LabStats(), method="POST", json={"q": "speech"})
    assert db["http_cache"].count == 0
    assert all("if-none-match" not in r.headers for r in site.seen)


async def test_a_damaged_entry_is_dropped_and_fetched_again():
    db = store.open_db(None)
    cache, site = HttpCache(db), Site()
    await fetch(site, cache, LabStats())
    with store.write_transaction(db):
        db.execute("UPDATE http_cache SET body = ?", [b"not zlib"])
    # The server says 304, but the stored body is unreadable: the request is sent again without validators.
    stats = LabStats()
    assert (await fetch(site, cache, stats)).content == BODY and stats.not_modified == 0
    assert [bool(r.headers.get("if-none-match")) for r in site.seen] == [False, True, False]
    assert cache.get(URL).body == BODY


async def test_a_no_store_request_is_neither_conditional_nor_stored():
    db = store.open_db(None)
    cache, site = HttpCache(db), Site()
    await fetch(site, cache, LabStats())
    await fetch(site, cache, LabStats(), headers={"Cache-Control": "no-store"})
    assert "if-none-match" not in site.seen[1].headers


async def test_an_answer_marked_no_store_is_not_kept():
    db = store.open_db(None)
    cache = HttpCache(db)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=BODY, headers={"etag": '"v1"', "cache-control": "private, no-store"})

    async with Fetcher(httpx.MockTransport(handler), cache=cache) as fetcher:
        await fetcher.request("acme", "GET", URL, politeness=Politeness(), stats=LabStats())
    assert db["http_cache"].count == 0
