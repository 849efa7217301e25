"""Request contracts: every adapter's requests, recorded through a mock transport, against tests/requests/<system>.toml.

Each expected-requests file names the labs it runs (`builtin = [...]`: labs of scrapers/labs.toml, so a change
there shows here too; or `[labs.NAME]` tables in labs.toml's format for a system no built-in lab uses), how
many sample postings their sites serve (`postings`), and one `[[request]]` per distinct kind of request:

    [[request]]
    kind = "board"                         # a name for the diff
    method = "GET"
    url = "https://host/path/{id}/"        # scheme, host and path; {name} stands for one path segment
    query = { content = "true" }           # the whole query (default: none)
    headers = { Referer = "..." }          # checked as a subset of what was sent (names case-insensitive)
    absent = ["Origin"]                    # headers that must not be sent
    json = { ... }  or  form = { ... }     # the whole body (default: none); a form value given as a table
                                           # or list is compared with the sent value's JSON
    evidence = ["owner/repo:path — what it shows"]

A string "{name}" (a placeholder) matches any one value; inside a longer string, any text but "/" in a URL
path and any text elsewhere. Every recorded request must match exactly one kind and every kind must be used:
a change to a request fails here, with the unmatched requests printed in this format, until the file is
changed on purpose.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from asr_jobs.models import Lab, Politeness
from asr_jobs.samplesites.transport import demo_transport, sample_transport
from asr_jobs.scrapers.fetch import Fetcher, LabContext, RetryPolicy
from asr_jobs.scrapers.registry import adapter, adapter_names, load_labs

REQUESTS = Path(__file__).parent / "requests"
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
# Headers every request carries whatever the adapter does (the transport's, or httpx's own).
TRANSPORT_HEADERS = {"host", "accept-encoding", "connection", "content-length", "user-agent"}
DEFAULT_ACCEPT = "application/json, text/html;q=0.9, */*;q=0.5"  # the Fetcher's, when an adapter sets none


@dataclasses.dataclass(frozen=True)
class Sent:
    """One recorded request, in the terms of the expected-requests files."""

    method: str
    url: str
    query: dict[str, Any]
    headers: dict[str, str]
    body: tuple[str, Any]  # ("json", value) | ("form", {name: value}) | ("text", str) | ("", None)

    @classmethod
    def of(cls, request: httpx.Request) -> Sent:
        query: dict[str, Any] = {}
        for name, value in request.url.params.multi_items():
            query[name] = [*query[name], value] if isinstance(query.get(name), list) else (
                [query[name], value] if name in query else value)
        url = f"{request.url.scheme}://{request.url.host}{request.url.path}"
        return cls(request.method, url, query, {k.lower(): v for k, v in request.headers.items()}, _body(request))

    def toml(self) -> str:
        """This request as a [[request]] entry (the headers an adapter chose, not the transport's)."""
        lines = ["[[request]]", 'kind = "?"', f"method = {_toml(self.method)}", f"url = {_toml(self.url)}"]
        if self.query:
            lines.append(f"query = {_toml(self.query)}")
        own = {k: v for k, v in self.headers.items()
               if k not in TRANSPORT_HEADERS and not (k == "accept" and v == DEFAULT_ACCEPT)}
        if own:
            lines.append(f"headers = {_toml(own)}")
        if self.body[0] in ("json", "form"):
            lines.append(f"{self.body[0]} = {_toml(self.body[1])}")
        elif self.body[0] == "text":
            lines.append(f"text = {_toml(self.body[1])}")
        return "\n".join(lines)


def _body(request: httpx.Request) -> tuple[str, Any]:
    if not request.content:
        return ("", None)
    text = request.content.decode("utf-8", "replace")
    kind = request.headers.get("content-type", "")
    if "json" in kind:
        return ("json", json.loads(text))
    if "x-www-form-urlencoded" in kind:
        return ("form", dict(parse_qsl(text, keep_blank_values=True)))
    return ("text", text)


def _toml(value: Any) -> str:
    """A value as TOML (inline tables and arrays; JSON strings are TOML basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        items = [f"{k if re.fullmatch(r'[A-Za-z0-9_-]+', k) else json.dumps(k)} = {_toml(v)}" for k, v in value.items()]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if value is None:
        return '"{null}"'  # TOML has no null: the file says "{null}" where JSON has null
    return json.dumps(value, ensure_ascii=False)


@dataclasses.dataclass
class Kind:
    """One expected kind of request from a file."""

    name: str
    spec: dict[str, Any]

    def problems(self, sent: Sent) -> list[str]:
        """How `sent` differs from this kind ([] when it matches)."""
        spec = self.spec
        out = []
        if spec.get("method", "GET").upper() != sent.method:
            out.append(f"method {sent.method} != {spec.get('method', 'GET')}")
        if not _text_matches(spec["url"], sent.url, url=True):
            out.append(f"url {sent.url} != {spec['url']}")
        if not _matches(spec.get("query", {}), sent.query):
            out.append(f"query {sent.query} != {spec.get('query', {})}")
        for name, value in spec.get("headers", {}).items():
            got = sent.headers.get(name.lower())
            if got is None or not _text_matches(value, got):
                out.append(f"header {name}: {got!r} != {value!r}")
        out.extend(f"header {name} sent ({sent.headers[name.lower()]!r})" for name in spec.get("absent", [])
                   if name.lower() in sent.headers)
        out.extend(self._body_problems(sent))
        return out

    def _body_problems(self, sent: Sent) -> list[str]:
        spec = self.spec
        kind = next((k for k in ("json", "form", "text") if k in spec), "")
        if kind != sent.body[0]:
            return [f"body is {sent.body[0] or 'empty'}, expected {kind or 'none'}"]
        if kind == "form":
            decoded = {name: _decoded(value, spec["form"].get(name)) for name, value in sent.body[1].items()}
            return [] if _matches(spec["form"], decoded) else [f"form {decoded} != {spec['form']}"]
        if kind and not _matches(spec[kind], sent.body[1]):
            return [f"{kind} {sent.body[1]} != {spec[kind]}"]
        return []


def _decoded(value: str, expected: Any) -> Any:
    """A form value as JSON when the file gives a table or a list for it."""
    if isinstance(expected, (dict, list)):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _text_matches(pattern: str, text: str, *, url: bool = False) -> bool:
    """Whether text matches a string whose {name} placeholders stand for any text (no "/" in a URL path)."""
    pieces = PLACEHOLDER.split(pattern)
    filler = "[^/]+" if url else ".*"
    return re.fullmatch(filler.join(re.escape(piece) for piece in pieces), text, re.S) is not None


def _matches(expected: Any, got: Any) -> bool:
    """Exact equality, except that "{name}" matches any one value and "{null}" matches null."""
    if isinstance(expected, str) and expected == "{null}":
        return got is None
    if isinstance(expected, str) and PLACEHOLDER.fullmatch(expected):
        return got is not None and not isinstance(got, (dict, list))
    if isinstance(expected, str) and isinstance(got, str) and PLACEHOLDER.search(expected):
        return _text_matches(expected, got)
    if isinstance(expected, dict):
        return isinstance(got, dict) and expected.keys() == got.keys() and all(
            _matches(v, got[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(got, list) and len(expected) == len(got) and all(
            _matches(e, g) for e, g in zip(expected, got, strict=True))
    return type(expected) is type(got) and expected == got


def contract_files() -> list[Path]:
    return sorted(REQUESTS.glob("*.toml"))


def contract(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def contract_labs(path: Path, data: dict[str, Any]) -> list[Lab]:
    """The labs a file runs: built-in ones by name and its own [labs.NAME] tables; no waits between requests."""
    names = list(data.get("builtin", [])) + list(data.get("labs", {}))
    labs = load_labs(path) if data.get("labs") else load_labs()
    return [dataclasses.replace(labs[name], politeness=Politeness(concurrency=4)) for name in names]


def site_transport(labs: list[Lab], data: dict[str, Any], seen: list[httpx.Request]) -> httpx.AsyncBaseTransport:
    """The file's `site`: "sample" (the labs' sample sites, the default), "demo" (their demo recordings), or one
    of the small sites below for systems without a sample site."""
    site = data.get("site", "sample")
    if site == "sample":
        sizes = {lab.name: int(data.get("postings", 4)) for lab in labs}
        return sample_transport({lab.name: lab for lab in labs}, sizes=sizes, seen=seen)
    if site == "demo":
        return demo_transport(*(lab.name for lab in labs), seen=seen)
    return httpx.MockTransport(_recording(SITES[site], seen))


def _recording(handler, seen: list[httpx.Request]):
    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)
    return record


def _lever_site(request: httpx.Request) -> httpx.Response:
    """One short page of a Lever board: two postings, so the adapter stops after it."""
    jobs = [{"id": f"a1b2c3d4-000{n}", "text": f"Speech Scientist {n}", "hostedUrl": f"https://jobs.lever.co/acme/{n}",
             "categories": {"team": "Research", "location": "Paris"}, "createdAt": 1795000000000,
             "descriptionPlain": "Speech recognition research."} for n in (1, 2)]
    return httpx.Response(200, json=jobs)


def _jsonld_site(request: httpx.Request) -> httpx.Response:
    """A careers page linking one posting page with JobPosting JSON-LD."""
    html = {"content-type": "text/html; charset=utf-8"}
    if request.url.path == "/careers":
        return httpx.Response(200, headers=html, text='<html><body><a href="/jobs/speech-scientist">Speech '
                                                      'Scientist</a></body></html>')
    node = {"@context": "https://schema.org", "@type": "JobPosting", "title": "Speech Scientist",
            "description": "<p>Speech recognition research.</p>", "identifier": {"value": "SPS-1"}}
    return httpx.Response(200, headers=html, text=f'<html><head><script type="application/ld+json">'
                                                  f'{json.dumps(node)}</script></head><body></body></html>')


def _jsonl_site(request: httpx.Request) -> httpx.Response:
    """A JSON-lines export of two postings."""
    rows = [{"id": str(n), "title": f"Speech Scientist {n}", "url": f"https://acme.example/jobs/{n}"} for n in (1, 2)]
    return httpx.Response(200, headers={"content-type": "application/x-ndjson"},
                          text="\n".join(json.dumps(r) for r in rows))


def _smartrecruiters_site(request: httpx.Request) -> httpx.Response:
    """One listing page of two postings (totalFound 2), and each posting's detail."""
    listing = json.loads((Path(__file__).parent / "fixtures" / "smartrecruiters_postings.json").read_text())
    if request.url.path.endswith("/postings"):
        return httpx.Response(200, json=listing)
    detail = json.loads((Path(__file__).parent / "fixtures" / "smartrecruiters_posting.json").read_text())
    return httpx.Response(200, json={**detail, "id": request.url.path.rsplit("/", 1)[-1]})


def _recruitee_site(request: httpx.Request) -> httpx.Response:
    """Every offer in one answer."""
    return httpx.Response(200, content=(Path(__file__).parent / "fixtures" / "recruitee_offers.json").read_bytes(),
                          headers={"content-type": "application/json"})


SITES = {"lever": _lever_site, "jsonld": _jsonld_site, "jsonl": _jsonl_site, "smartrecruiters": _smartrecruiters_site}
SITES["recruitee"] = _recruitee_site


def _personio_site(request: httpx.Request) -> httpx.Response:
    """The XML feed of two positions."""
    feed = (Path(__file__).parent / "fixtures" / "personio_feed.xml").read_bytes()
    return httpx.Response(200, headers={"content-type": "text/xml; charset=UTF-8"}, content=feed)


SITES["personio"] = _personio_site


def _teamtailor_site(request: httpx.Request) -> httpx.Response:
    """The feed fixture's two items on the first page (a short page: the end of the feed)."""
    return httpx.Response(200, headers={"content-type": "application/rss+xml; charset=utf-8"},
                          content=(Path(__file__).parent / "fixtures" / "teamtailor_jobs.rss").read_bytes())


SITES["teamtailor"] = _teamtailor_site


async def recorded(path: Path) -> list[Sent]:
    """Every request the file's labs send in one scrape each (nothing stored before)."""
    data = contract(path)
    labs = contract_labs(path, data)
    seen: list[httpx.Request] = []
    async with Fetcher(site_transport(labs, data, seen), retry=RetryPolicy(attempts=1)) as fetcher:
        for lab in labs:
            ctx = LabContext(lab, fetcher)
            postings = await adapter(lab.adapter).scrape(ctx)
            assert postings, f"{path.name}: {lab.name} found no postings: its site did not answer what it asked"
    return [Sent.of(request) for request in seen]


def differences(kinds: list[Kind], sent: list[Sent]) -> list[str]:
    """What breaks the contract: requests matching no kind (or several), kinds no request used."""
    out: list[str] = []
    used: set[str] = set()
    for request in sent:
        matched = [kind for kind in kinds if not kind.problems(request)]
        used.update(kind.name for kind in matched)
        if len(matched) == 1:
            continue
        if matched:
            out.append(f"{request.method} {request.url} matches several kinds: {', '.join(k.name for k in matched)}")
            continue
        near = min(kinds, key=lambda kind: len(kind.problems(request)), default=None)
        why = f"closest kind {near.name!r}: " + "; ".join(near.problems(request)) if near else "no kinds"
        out.append(f"unexpected request ({why}):\n{request.toml()}")
    out.extend(f"kind {kind.name!r} was never sent" for kind in kinds if kind.name not in used)
    return out


def kinds_of(data: dict[str, Any]) -> list[Kind]:
    return [Kind(str(spec["kind"]), spec) for spec in data.get("request", [])]


@pytest.mark.parametrize("path", contract_files(), ids=lambda p: p.stem)
async def test_requests_are_the_expected_ones(path):
    sent = await recorded(path)
    problems = differences(kinds_of(contract(path)), sent)
    assert not problems, f"{path}: the requests changed; if on purpose, change the file:\n\n" + "\n\n".join(problems)


def test_every_adapter_has_a_contract_file():
    assert {p.stem for p in contract_files()} == set(adapter_names())


@pytest.mark.parametrize("path", contract_files(), ids=lambda p: p.stem)
def test_every_kind_cites_its_evidence(path):
    data = contract(path)
    kinds = kinds_of(data)
    assert kinds and len({k.name for k in kinds}) == len(kinds), f"{path.name}: kinds must be named uniquely"
    labs = contract_labs(path, data)
    assert labs and {lab.adapter for lab in labs} == {path.stem}, f"{path.name}: runs labs of another adapter"
    for kind in kinds:
        evidence = kind.spec.get("evidence")
        assert isinstance(evidence, list) and evidence and all(isinstance(e, str) and e.strip() for e in evidence), (
            f"{path.name}: kind {kind.name!r} cites no evidence")


def test_a_changed_request_is_reported_with_its_toml():
    kinds = [Kind("board", {"method": "GET", "url": "https://h.test/v1/boards/{token}/jobs",
                            "query": {"content": "true"}, "headers": {"Accept": "application/json"}})]
    good = Sent("GET", "https://h.test/v1/boards/acme/jobs", {"content": "true"}, {"accept": "application/json"}, ("", None))
    assert differences(kinds, [good]) == []
    changed = dataclasses.replace(good, query={"content": "false"})
    (problem, unused) = differences(kinds, [changed])
    assert "closest kind 'board': query {'content': 'false'}" in problem
    assert 'query = { content = "false" }' in problem and unused == "kind 'board' was never sent"


def test_absent_headers():
    kind = Kind("page", {"method": "GET", "url": "https://h.test/", "absent": ["Origin"]})
    sent = Sent("GET", "https://h.test/", {}, {"origin": "https://h.test"}, ("", None))
    assert kind.problems(sent) == ["header Origin sent ('https://h.test')"]
    assert kind.problems(dataclasses.replace(sent, headers={})) == []


def test_placeholders_in_bodies_forms_and_paths():
    kind = Kind("search", {"method": "POST", "url": "https://h.test/api/graphql/",
                           "form": {"lsd": "{token}", "variables": {"q": "speech", "viewer": "{null}", "page": "{n}"}}})
    sent = Sent("POST", "https://h.test/api/graphql/", {}, {},
                ("form", {"lsd": "AbC", "variables": '{"q":"speech","viewer":null,"page":2}'}))
    assert kind.problems(sent) == []
    assert kind.problems(dataclasses.replace(sent, body=("form", {"lsd": "AbC", "variables": '{"q":"audio"}'})))
    assert _text_matches("https://h.test/jobs/{id}/", "https://h.test/jobs/123/", url=True)
    assert not _text_matches("https://h.test/jobs/{id}/", "https://h.test/jobs/1/2/", url=True)
