"""Every adapter's parser fuzzed with hypothesis: random bodies and mutated real-format bodies.

A parser either returns postings the store can take, or raises the project's own error (ParseError, or
ScrapeError for a site's error answer). Adapters are found through registry.adapter_names(), so one added
later is fuzzed too; seeds are its fixtures (tests/fixtures/<adapter>_*) and its labs' demo recordings.
Set ASR_JOBS_FUZZ_EXAMPLES (e.g. 2000) for a longer, randomized run.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asr_jobs.db import store
from asr_jobs.models import Lab, Posting, ScrapeError
from asr_jobs.sanitize import sanitized
from asr_jobs.scrapers.har import entry_body, load_har
from asr_jobs.scrapers.registry import ad_hoc_lab, adapter_names, load_labs
from asr_jobs.scrapers.registry import adapter as load_adapter

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
DEMO = HERE.parent / "asr_jobs" / "demo"
EXAMPLES = int(os.environ.get("ASR_JOBS_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize="ASR_JOBS_FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ADAPTERS = adapter_names()
LABS = load_labs()


def lab_for(adapter: str) -> Lab:
    """A registry lab using the adapter (real params), else an ad hoc one."""
    for lab in LABS.values():
        if lab.adapter == adapter:
            return lab
    return ad_hoc_lab(f"fuzz-{adapter}", adapter)


def seeds(adapter: str) -> list[tuple[bytes, str]]:
    """(body, url) of the adapter's fixtures and of every demo-recorded response of its labs."""
    out = [(path.read_bytes(), f"https://fixture.example/{path.name}")
           for path in sorted(FIXTURES.glob(f"{adapter}_*")) if path.is_file()]
    for path in sorted(DEMO.glob("*.har")):
        lab = LABS.get(path.stem)
        if lab is not None and lab.adapter == adapter:
            out.extend((entry_body(e), e["request"]["url"]) for e in load_har(path) if entry_body(e))
    return out


SEEDS = {adapter: seeds(adapter) for adapter in ADAPTERS}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=30,
)
hostile_text = st.sampled_from([
    "", "null", "[]", "{}", '{"jobs": null}', '{"jobs": [null]}', '{"jobs": [{}]}', "<html></html>",
    "<script>alert(1)</script>", "\x00\xff", "[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000,
    "<" * 10000, "</" + "a" * 100000, "\ufeff{}", '"just a string"', "1e999999", "NaN",
])


def check_result(result: Any, adapter: str) -> None:
    """What a parser returns must be postings the store can write."""
    assert isinstance(result, list), f"{adapter}.parse returned {type(result).__name__}"
    for posting in result:
        assert isinstance(posting, Posting), f"{adapter}.parse returned a {type(posting).__name__} in its list"
        assert isinstance(posting.source_id, str) and posting.source_id, f"{adapter}: source_id {posting.source_id!r}"
        assert isinstance(posting.title, str), f"{adapter}: title {posting.title!r}"
        for name in ("url", "description", "location", "team", "company", "workplace", "employment_type"):
            assert isinstance(getattr(posting, name), str), f"{adapter}: {name} {getattr(posting, name)!r}"
        for name in ("salary_min", "salary_max"):
            assert getattr(posting, name) is None or isinstance(getattr(posting, name), (int, float))
        row = store.posting_row(sanitized(posting))
        assert row["url"] == "" or re.match(r"^https?://", row["url"], re.I)
        json.dumps(posting.extra, default=str)


def parse_or_own_error(adapter: str, body: bytes | str, url: str) -> list[Posting]:
    """The parser's postings ([] when it raised the project's own error, which names the lab)."""
    module = load_adapter(adapter)
    try:
        result = module.parse(body, lab_for(adapter), url)
    except ScrapeError as exc:  # ParseError is one; a site's error answer is the other
        assert str(exc).startswith(f"{lab_for(adapter).name}: "), str(exc)
        return []
    check_result(result, adapter)
    return result


def mutate_json(data: Any, draw) -> Any:
    """One structural change somewhere in the value: key dropped or renamed, value nulled or retyped."""
    paths: list[tuple[Any, Any]] = []

    def walk(node: Any, depth: int) -> None:
        if depth > 12:
            return
        if isinstance(node, dict):
            for key in list(node):
                paths.append((node, key))
                walk(node[key], depth + 1)
        elif isinstance(node, list):
            for index in range(len(node)):
                paths.append((node, index))
                walk(node[index], depth + 1)

    walk(data, 0)
    if not paths:
        return draw(json_values)
    parent, key = draw(st.sampled_from(paths))
    action = draw(st.sampled_from(["drop", "rename", "null", "retype", "empty", "duplicate"]))
    if action == "drop":
        del parent[key]
    elif action == "rename" and isinstance(parent, dict):
        parent[f"{key}_renamed"] = parent.pop(key)
    elif action == "null":
        parent[key] = None
    elif action == "retype":
        parent[key] = draw(json_values)
    elif action == "empty":
        parent[key] = type(parent[key])() if isinstance(parent[key], (list, dict, str)) else 0
    elif action == "duplicate" and isinstance(parent, list):
        parent.append(parent[key])
    return data


def mutate_bytes(body: bytes, draw) -> bytes:
    """A byte-level change: truncated, a slice dropped, bytes inserted or flipped."""
    if not body:
        return draw(st.binary(max_size=50))
    at = draw(st.integers(0, len(body)))
    action = draw(st.sampled_from(["truncate", "drop", "insert", "flip"]))
    if action == "truncate":
        return body[:at]
    if action == "drop":
        return body[:at] + body[at + draw(st.integers(1, 200)):]
    if action == "insert":
        return body[:at] + draw(st.binary(min_size=1, max_size=20) | st.sampled_from(
            [b'"', b"{", b"]", b"<", b"</div>", b"null", b"\\", b"\x00", b"&lt;script&gt;"])) + body[at:]
    return body[:at] + bytes([draw(st.integers(0, 255))]) + body[at + 1:]


_EMBEDDED_KEY = re.compile(rb'"([A-Za-z_][A-Za-z0-9_]*)"\s*:')


def mutate_embedded(body: bytes, draw) -> bytes:
    """For HTML bodies holding JSON (JSON-LD, Relay, AF_initDataCallback): one JSON key renamed, or its value nulled."""
    keys = sorted({m.group(1) for m in _EMBEDDED_KEY.finditer(body)})
    if not keys:
        return mutate_bytes(body, draw)
    key = re.escape(draw(st.sampled_from(keys)))
    if draw(st.booleans()):
        return re.sub(rb'"' + key + rb'"(\s*:)', rb'"' + key + rb'_renamed"\1', body)
    value = rb'("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|\[[^\[\]]*\]|\{[^{}]*\})'
    return re.sub(rb'("' + key + rb'"\s*:\s*)' + value, rb"\1null", body)


@st.composite
def mutated_seed(draw, adapter: str) -> tuple[bytes, str]:
    body, url = draw(st.sampled_from(SEEDS[adapter]))
    for _ in range(draw(st.integers(1, 4))):
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if data is not None and draw(st.booleans()):
            body = json.dumps(mutate_json(data, draw)).encode()
        elif data is None and draw(st.booleans()):
            body = mutate_embedded(body, draw)
        else:
            body = mutate_bytes(body, draw)
    return body, url


def test_every_adapter_has_fuzz_seeds():
    """An adapter without fixtures or a demo recording would only get random input; say so."""
    missing = [adapter for adapter in ADAPTERS if not SEEDS[adapter]]
    assert not missing, f"no fixtures/<adapter>_* nor demo recording to seed fuzzing: {missing}"


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_seeds_parse_cleanly(adapter):
    """The unmutated seeds are valid input: the fuzzing starts from bodies that hold postings."""
    found = [parse_or_own_error(adapter, body, url) for body, url in SEEDS[adapter]]
    assert any(found), f"{adapter}: no seed parses to a posting"


@pytest.mark.parametrize("adapter", ADAPTERS)
@FUZZ
@given(data=st.data())
def test_mutated_real_bodies(adapter, data):
    if not SEEDS[adapter]:
        pytest.skip(f"{adapter}: no seeds")
    body, url = data.draw(mutated_seed(adapter))
    parse_or_own_error(adapter, body, url)


@pytest.mark.parametrize("adapter", ADAPTERS)
@FUZZ
@given(body=st.binary(max_size=3000) | st.text(max_size=3000) | hostile_text
       | json_values.map(lambda v: json.dumps(v)))
def test_random_bodies(adapter, body):
    parse_or_own_error(adapter, body, "https://fuzz.example/jobs")


@pytest.mark.parametrize("adapter", ADAPTERS)
@FUZZ
@given(data=json_values | st.text(max_size=200), url=st.sampled_from(["", "https://fuzz.example/x", "file:///tmp/x"]))
def test_detect_never_raises(adapter, data, url):
    assert load_adapter(adapter).detect(data, url) in (True, False)
