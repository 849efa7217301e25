"""Every fault against every adapter, through `asr-jobs scrape`, with each lab's base_url on a local server.

One local server per lab replays the lab's demo recording (asr_jobs/demo/<lab>.har) and plays a fault.
All labs are scraped in one CLI run per fault. Each test checks the lab's outcome, its message (lab, URL,
cause), the exit status, and that no posting was lost or wrongly closed; then a clean rerun recovers.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from click.testing import CliRunner

import asr_jobs.cli as cli_module
from asr_jobs.models import Lab
from asr_jobs.samplesites.common import key, routes_of
from asr_jobs.samplesites.server import Blackhole, Fault, SampleServer, first_only, labs_toml
from asr_jobs.scrapers.adapters import lever as lever_adapter
from asr_jobs.scrapers.adapters import personio as personio_adapter
from asr_jobs.scrapers.adapters import recruitee as recruitee_adapter
from asr_jobs.scrapers.adapters import smartrecruiters as smartrecruiters_adapter
from asr_jobs.scrapers.adapters import teamtailor as teamtailor_adapter
from asr_jobs.scrapers.adapters import workable as workable_adapter
from asr_jobs.scrapers.har import load_har
from asr_jobs.scrapers.registry import adapter_names, load_labs

pytestmark = pytest.mark.slow
DEMO = Path(cli_module.__file__).with_name("demo")
MAX_BYTES = 1_000_000
ENV = {"ASR_JOBS_RETRY_SCALE": "0", "ASR_JOBS_TIMEOUT": "5", "ASR_JOBS_MAX_BYTES": str(MAX_BYTES),
       "NO_COLOR": "1", "ASR_JOBS_LABS": None, "ASR_JOBS_DB": None}
# The detail request of each list-then-detail format, for the "detail is gone" fault.
DETAIL_PATHS = {
    "workday": r"/job/", "eightfold": r"/position_details", "apple": r"/jobDetails/", "meta": r"^/(profile/job_details|jobs)/\d+",
    "mit": r"^/jobs/|jobDetails\.do|/opportunities/.", "jsonld": r"/jobs?/", "smartrecruiters": r"/postings/\d",
}
FIXTURES = Path(__file__).parent / "fixtures"
CAREERS = "https://careers.acme.test"


def chosen_labs() -> dict[str, str]:
    """adapter -> the first lab (by name) that uses it and has a demo recording."""
    labs = load_labs()
    found: dict[str, str] = {}
    for name in sorted(labs):
        adapter = labs[name].adapter
        if adapter not in found and (DEMO / f"{name}.har").exists():
            found[adapter] = name
    return found


def entry(url: str, body: bytes | str, kind: str) -> dict:
    text = body.decode() if isinstance(body, bytes) else body
    return {"request": {"method": "GET", "url": url},
            "response": {"status": 200, "headers": [{"name": "Content-Type", "value": kind}], "content": {"text": text}}}


def job_page(title: str, job_id: str) -> str:
    return ('<html><head><script type="application/ld+json">{"@context": "https://schema.org", "@type": "JobPosting", '
            f'"title": "{title}", "identifier": {{"@type": "PropertyValue", "value": "{job_id}"}}, '
            '"datePosted": "2026-11-01", "description": "<p>Speech research.</p>"}</script></head><body></body></html>')


def synthetic_labs() -> dict[str, tuple[str, dict, list[dict]]]:
    """Labs (name -> adapter, params, recording) for adapters no registry lab uses: Lever, Workable, JSON-LD, JSON lines,
    SmartRecruiters, Recruitee, Personio."""
    lever = Lab(name="lever-acme", title="Acme", category="startup", adapter="lever", params={"company": "acme"})
    workable = Lab(name="workable-acme", title="Acme", category="startup", adapter="workable",
                   params={"account": "acmevoice"})
    recruitee = Lab(name="recruitee-acme", title="Acme", category="startup", adapter="recruitee",
                    params={"company": "sonoravoice"})
    personio = Lab(name="personio-acme", title="Acme", category="startup", adapter="personio",
                   params={"company": "sonara"})
    jsonl = b"\n".join(json.dumps({"id": f"j{i}", "title": f"Speech Scientist {i}", "url": f"https://x.example/{i}",
                                   "description": "Speech recognition research."}).encode() for i in range(3))
    return {
        "lever-acme": ("lever", {"company": "acme"},
                       [entry(lever_adapter.page_url(lever, 0),
                              (FIXTURES / "lever_postings.json").read_bytes(), "application/json")]),
        "jsonld-acme": ("jsonld", {"pages": [f"{CAREERS}/open-positions"], "link_pattern": r"/jobs/\d+"},
                        [entry(f"{CAREERS}/robots.txt", "User-agent: *\nDisallow: /admin/\n", "text/plain"),
                         entry(f"{CAREERS}/open-positions", (FIXTURES / "jsonld_listing.html").read_bytes(), "text/html"),
                         entry(f"{CAREERS}/jobs/4711-research-scientist-speech",
                               (FIXTURES / "jsonld_posting.html").read_bytes(), "text/html"),
                         entry(f"{CAREERS}/jobs/4712-speech-intern", job_page("Speech Research Intern", "REQ-4712"),
                               "text/html"),
                         entry(f"{CAREERS}/jobs/4713-office-manager?utm_source=list",
                               job_page("Office Manager", "REQ-4713"), "text/html")]),
        "workable-acme": ("workable", {"account": "acmevoice"},
                          [entry(workable_adapter.account_url(workable), (FIXTURES / "workable_account.json").read_bytes(),
                                 "application/json")]),
        "jsonl-export": ("jsonl", {}, [entry("https://export.example/postings.jsonl", jsonl, "application/x-ndjson")]),
        "smartrecruiters-acme": ("smartrecruiters", {"company": "AcousticaLabs"}, smartrecruiters_recording()),
        "recruitee-acme": ("recruitee", {"company": "sonoravoice"},
                           [entry(recruitee_adapter.offers_url(recruitee), (FIXTURES / "recruitee_offers.json").read_bytes(),
                                  "application/json")]),
        "personio-acme": ("personio", {"company": "sonara"},
                          [entry(personio_adapter.feed_url(personio), (FIXTURES / "personio_feed.xml").read_bytes(),
                                 "text/xml; charset=UTF-8")]),
        "teamtailor-acme": ("teamtailor", {"company": "sonority"},
                            [entry(teamtailor_adapter.feed_url(Lab(name="teamtailor-acme", title="Acme", category="startup",
                                                                   adapter="teamtailor", params={"company": "sonority"})),
                                   (FIXTURES / "teamtailor_jobs.rss").read_bytes(), "application/rss+xml")]),
    }


def smartrecruiters_recording() -> list[dict]:
    """The listing fixture's page and each of its postings' details."""
    lab = Lab(name="smartrecruiters-acme", title="Acme", category="startup", adapter="smartrecruiters",
              params={"company": "AcousticaLabs"})
    listing = json.loads((FIXTURES / "smartrecruiters_postings.json").read_text())
    detail = json.loads((FIXTURES / "smartrecruiters_posting.json").read_text())
    entries = [entry(smartrecruiters_adapter.postings_url(lab, 0), json.dumps(listing), "application/json")]
    for item in listing["content"]:
        url = f"{smartrecruiters_adapter.BASE_URL}/v1/companies/AcousticaLabs/postings/{item['id']}"
        entries.append(entry(url, json.dumps({**detail, "id": item["id"], "name": item["name"],
                                              "postingUrl": f"https://jobs.smartrecruiters.com/AcousticaLabs/{item['id']}"}),
                             "application/json"))
    return entries


SYNTHETIC = synthetic_labs()


@dataclass
class Site:
    labs: dict[str, str]  # lab -> adapter
    servers: dict[str, SampleServer]
    labs_file: Path
    baseline: Path
    ids: dict[str, set[str]]  # lab -> posting ids after the clean first scrape
    tmp: Path


def write_labs_file(path: Path, servers: dict[str, SampleServer], labs: dict[str, str],
                    override: dict[str, str] | None = None) -> None:
    """A --labs file pointing each lab's base_url at its server (or at `override[lab]`), with no waits."""
    bases = {lab: (override or {}).get(lab, servers[lab].base_url) for lab in labs}
    settings: dict[str, dict] = {lab: {"interval": 0.0, "concurrency": 64} for lab in labs}
    params: dict[str, dict] = {}
    for lab in SYNTHETIC.keys() & labs.keys():
        settings[lab].update(adapter=labs[lab], category="startup")
        extra = {"url": f"{bases[lab]}/postings.jsonl"} if labs[lab] == "jsonl" else {}
        params[lab] = {**SYNTHETIC[lab][1], **extra}
    path.write_text(labs_toml(bases, params, settings), encoding="utf-8")


# Timeouts short enough for tests, long enough that answered requests never hit them on a busy machine.
FAST_TIMEOUTS = {"stall": {"ASR_JOBS_TIMEOUT": "0.3", "ASR_JOBS_RETRY_ATTEMPTS": "2"},
                 "connect": {"ASR_JOBS_TIMEOUT": "0.3", "ASR_JOBS_RETRY_ATTEMPTS": "2"},
                 "stall-once": {"ASR_JOBS_TIMEOUT": "1"}}


def scrape(site: Site, db: Path, *extra: str, labs_file: Path | None = None, env: dict | None = None):
    """Run `asr-jobs scrape --json` in-process; (exit code, {lab: summary row}, stderr)."""
    args = ["scrape", "--db", str(db), "--labs", str(labs_file or site.labs_file), "--json", *extra, *site.labs]
    result = CliRunner().invoke(cli_module.cli, args, env={**ENV, **(env or {})}, catch_exceptions=False)
    rows = {row["lab"]: row for row in json.loads(result.stdout)} if result.stdout.strip() else {}
    return result.exit_code, rows, result.stderr


def posting_states(db: Path) -> dict[str, dict[str, str]]:
    conn = sqlite3.connect(db)
    try:
        out: dict[str, dict[str, str]] = {}
        for lab, pid, status in conn.execute("SELECT lab, id, status FROM postings"):
            out.setdefault(lab, {})[pid] = status
        return out
    finally:
        conn.close()


def copy_db(src: Path, dst: Path) -> Path:
    """A consistent copy through SQLite's backup API (the WAL is included)."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()
    return dst


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    labs = {lab: adapter for adapter, lab in chosen_labs().items()}
    labs.update({lab: spec[0] for lab, spec in SYNTHETIC.items() if spec[0] not in labs.values()})
    servers: dict[str, SampleServer] = {}
    try:
        for lab in labs:
            entries = SYNTHETIC[lab][2] if lab in SYNTHETIC else load_har(DEMO / f"{lab}.har")
            servers[lab] = SampleServer(routes_of(entries)).__enter__()
        labs_file = tmp / "labs.toml"
        write_labs_file(labs_file, servers, labs)
        baseline = tmp / "baseline.db"
        site = Site(labs, servers, labs_file, baseline, {}, tmp)
        code, rows, err = scrape(site, baseline)
        assert code == 0, err
        for lab in labs:
            assert rows[lab]["status"] == "ok", (lab, rows[lab], servers[lab].misses)
            assert not servers[lab].misses, (lab, servers[lab].misses)
        site.ids = {lab: set(states) for lab, states in posting_states(baseline).items()}
        assert set(site.ids) == set(labs) and all(site.ids.values())
        yield site
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture
def db(site, tmp_path):
    return copy_db(site.baseline, tmp_path / "jobs.db")


def set_fault(site: Site, fault: Fault | None) -> None:
    for server in site.servers.values():
        server.reset(fault)


def assert_nothing_lost(site: Site, db: Path, failed: set[str]) -> None:
    """Every posting still there, none closed; a failed lab's postings uncertain (unless seen), the others open."""
    states = posting_states(db)
    for lab, ids in site.ids.items():
        assert set(states[lab]) == ids, f"{lab}: postings lost or added"
        if lab in failed:
            assert "closed" not in states[lab].values() and "uncertain" in states[lab].values(), (lab, states[lab])
        else:
            assert set(states[lab].values()) == {"open"}, (lab, states[lab])
    assert integrity(db) == "ok"


def assert_recovers(site: Site, db: Path) -> None:
    set_fault(site, None)
    code, rows, err = scrape(site, db)
    assert code == 0, err
    assert {lab: row["status"] for lab, row in rows.items()} == dict.fromkeys(site.labs, "ok")
    assert all(row["closed"] == 0 for row in rows.values())
    assert_nothing_lost(site, db, failed=set())


def answers_json_first(site: Site, lab: str) -> bool:
    """Whether the lab's first recorded answer is a JSON body (HTML formats word bad input their own way)."""
    answer = next(iter(site.servers[lab].routes.values()))
    return bool(answer.body) and "json" in answer.content_type


# fault -> (words every failed lab's message holds, words only JSON formats' messages hold)
FAILING = {
    "stall": ("timed out (read timeout), gave up after 2 attempt(s)", None),
    "reset": ("connection failed", None),
    "cut": ("connection failed (RemoteProtocolError", None),
    "http500": ("HTTP 500: simulated HTTP 500, gave up after 4 attempt(s)", None),
    "http502": ("HTTP 502: simulated HTTP 502, gave up after 4 attempt(s)", None),
    "http503": ("HTTP 503: simulated HTTP 503, gave up after 4 attempt(s)", None),
    "http429": ("HTTP 429: simulated HTTP 429, gave up after 4 attempt(s)", None),
    "http429-retry-after": ("HTTP 429: simulated HTTP 429, gave up after 4 attempt(s)", None),
    "http429-retry-after-long": ("the server asks to wait 3600 s, more than the 30 s cap", None),
    "binary": ("unexpected content type 'image/png'", None),
    f"oversized:{MAX_BYTES}": (f"over the size cap of {MAX_BYTES:,} bytes", None),
    "redirect-offsite": ("redirected to another host: http://localhost:", None),
    "login-wall": ("", "got HTML where JSON was expected"),
    "truncated": ("", "invalid JSON"),
    "empty": ("", "empty body where JSON was expected"),
}


# A failed lab leaves the same state whatever the fault (its postings uncertain); the rerun is checked after
# a few kinds rather than all, to keep the suite fast.
RECOVERY_CHECKED = {"stall", "http503", "login-wall", "truncated"}


@pytest.mark.parametrize("kind", list(FAILING))
def test_fault_on_every_request_fails_the_lab_clearly_and_loses_nothing(site, db, kind):
    set_fault(site, Fault(kind))
    code, rows, err = scrape(site, db, env=FAST_TIMEOUTS.get(kind))
    always, json_words = FAILING[kind]
    failed = set()
    for lab, row in rows.items():
        message = row["message"]
        if kind in ("login-wall", "truncated", "empty") and row["status"] in ("suspicious", "partial") and (
                not answers_json_first(site, lab) or site.labs[lab] == "jsonl"):
            # A cut or empty HTML page can parse to fewer postings: the drop guard (or the adapter, marking
            # the run partial) holds them, nothing closes.
            assert row["closed"] == 0 and row["seen"] < len(site.ids[lab]), (lab, row)
            failed.add(lab)
            continue
        assert row["status"] == "failed", (lab, row)
        failed.add(lab)
        assert message.startswith(f"{lab}: ") and "internal error" not in message, message
        assert re.search(r"\(https?://(127\.0\.0\.1|localhost):\d+/", message), message  # the URL
        assert always in message, message
        if json_words and answers_json_first(site, lab) and site.labs[lab] != "jsonl":  # JSON lines: per line
            assert json_words in message, message
        assert f"{lab}: " in err  # also on stderr, for humans
    assert code == 1 and set(rows) == set(site.labs)
    assert "Traceback" not in err
    assert_nothing_lost(site, db, failed)
    if kind in RECOVERY_CHECKED:
        assert_recovers(site, db)


def test_connect_timeout_fails_the_lab_clearly(site, db):
    with Blackhole() as hole:
        labs_file = site.tmp / "blackhole.toml"
        write_labs_file(labs_file, site.servers, site.labs, dict.fromkeys(site.labs, hole.base_url))
        code, rows, err = scrape(site, db, labs_file=labs_file, env=FAST_TIMEOUTS["connect"])
    assert code == 1
    for lab, row in rows.items():
        assert row["status"] == "failed"
        assert row["message"].startswith(f"{lab}: timed out (connect timeout), gave up after 2 attempt(s) (http://127.0.0.1:")
    assert_nothing_lost(site, db, failed=set(site.labs))


TRANSIENT = ["stall", "reset", "cut", "http500", "http502", "http503", "http429", "http429-retry-after"]


@pytest.mark.parametrize("kind", TRANSIENT)
def test_one_transient_fault_is_retried_and_the_scrape_succeeds(site, db, kind):
    set_fault(site, Fault(kind, first_only))
    code, rows, err = scrape(site, db, env=FAST_TIMEOUTS.get(f"{kind}-once"))
    assert code == 0, err
    for lab, row in rows.items():
        if kind.startswith("http429"):
            # Rate-limited: what was seen is saved, but the lab closes nothing this run.
            assert row["status"] == "partial" and "rate-limited" in row["message"], (lab, row)
        else:
            assert row["status"] == "ok", (lab, row)
        assert row["errors"] == 0 and row["closed"] == 0
        assert site.servers[lab].log[0][2] == kind and site.servers[lab].log[1][2] == "replay"
    assert_nothing_lost(site, db, failed=set())


def test_json_served_as_text_plain_is_read_by_its_body(site, db):
    """Content types lie (Meta sends JSON as text/html): text bodies are judged by what they hold."""
    set_fault(site, Fault("wrong-type"))
    code, rows, err = scrape(site, db)
    assert code == 0 and all(row["status"] == "ok" for row in rows.values()), rows
    assert_nothing_lost(site, db, failed=set())


@pytest.mark.parametrize("kind", ["renamed-keys", "nulls"])
def test_changed_format_never_crashes_nor_closes(site, db, kind):
    """Renamed keys or nulls where values were: a clear error (or postings), never a traceback, nothing closed."""
    set_fault(site, Fault(kind))
    code, rows, err = scrape(site, db)
    assert "Traceback" not in err
    states = posting_states(db)
    for lab, row in rows.items():
        assert "internal error" not in (row["message"] or ""), (lab, row)
        assert row["closed"] == 0, (lab, row)
        assert "closed" not in states[lab].values()
        assert set(site.ids[lab]) <= set(states[lab]), f"{lab}: postings lost"
        if row["status"] == "failed":
            assert row["message"].startswith(f"{lab}: ") and "127.0.0.1" in row["message"]
    assert code == (1 if any(r["status"] == "failed" for r in rows.values()) else
                    3 if any(r["status"] == "suspicious" for r in rows.values()) else 0)
    assert integrity(db) == "ok"


def forget_listing_keys(db: Path) -> None:
    """As if every listing changed: the next scrape requests every detail again."""
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE postings SET listing_key = NULL")
    conn.close()


def detail_fault(site: Site, db: Path, lab: str, kind: str) -> tuple[Fault, set[str]]:
    """A fault on the recorded detail request of one stored posting; (fault, source ids of its postings)."""
    pattern = DETAIL_PATHS[site.labs[lab]]
    conn = sqlite3.connect(db)
    stored = sorted(conn.execute("SELECT source_id, url FROM postings WHERE lab = ?", [lab]).fetchall())
    conn.close()

    def names(path: str, source_id: str, url: str) -> bool:
        """Whether a recorded request is this posting's detail: its id in the URL, or its public page's path."""
        return quote(source_id, safe="") in path or (urlsplit(url).path not in ("", "/") and
                                                     urlsplit(url).path == urlsplit(path).path)

    targets = sorted((route[2], sid) for route in site.servers[lab].routes for sid, url in stored
                     if route[1] == "GET" and re.search(pattern, urlsplit(route[2]).path + "?" + urlsplit(route[2]).query)
                     and names(route[2], sid, url))
    assert targets, f"{lab}: no recorded detail request names a stored posting"
    target = targets[0][0]

    def that_detail(method: str, path: str, index: int) -> bool:
        return key("", method, path)[2] == target

    return Fault(kind, that_detail), {sid for path, sid in targets if path == target}  # a page may hold several


@pytest.mark.parametrize("kind", ["http404", "http410"])
def test_a_posting_whose_detail_is_gone_is_closed_and_only_it(site, db, kind):
    detail_labs = [lab for lab in site.labs if site.labs[lab] in DETAIL_PATHS]
    forget_listing_keys(db)
    gone: dict[str, set[str]] = {}
    for lab in site.labs:
        fault = None
        if lab in detail_labs:
            fault, gone[lab] = detail_fault(site, db, lab, kind)
            if site.labs[lab] == "meta":
                gone[lab] = set()  # Meta's search still lists the job: a missing job page closes nothing
        site.servers[lab].reset(fault)
    code, rows, err = scrape(site, db)
    assert code == 0, err
    conn = sqlite3.connect(db)
    closed = {(lab, sid) for lab, sid in conn.execute("SELECT lab, source_id FROM postings WHERE status = 'closed'")}
    conn.close()
    assert closed == {(lab, sid) for lab, sids in gone.items() for sid in sids}
    for lab in site.labs:
        assert rows[lab]["status"] in ("ok", "partial"), (lab, rows[lab])
        assert rows[lab]["closed"] == len(gone.get(lab, ())), (lab, rows[lab])
        assert set(posting_states(db)[lab]) == site.ids[lab]
    assert_recovers_reopening(site, db, len(closed))


def assert_recovers_reopening(site: Site, db: Path, count: int) -> None:
    set_fault(site, None)
    code, rows, err = scrape(site, db)
    assert code == 0, err
    assert_nothing_lost(site, db, failed=set())
    conn = sqlite3.connect(db)
    reopened = conn.execute("SELECT count(*) FROM postings WHERE reopened_at IS NOT NULL").fetchone()[0]
    conn.close()
    assert reopened == count


def test_a_lab_that_suddenly_lists_nothing_closes_nothing_without_accept_drop(site, db):
    """The jsonl export comes back empty: suspicious (exit 3), nothing closed; --accept-drop closes."""
    set_fault(site, None)
    site.servers["jsonl-export"].reset(Fault("empty"))
    code, rows, err = scrape(site, db)
    assert code == 3 and rows["jsonl-export"]["status"] == "suspicious"
    assert "returned 0 postings where 3 were open" in rows["jsonl-export"]["message"]
    assert "suspicious" in err and "--accept-drop" in err
    assert set(posting_states(db)["jsonl-export"].values()) == {"uncertain"}
    code, rows, err = scrape(site, db, "--accept-drop")
    assert code == 0 and rows["jsonl-export"]["closed"] == 3
    assert set(posting_states(db)["jsonl-export"].values()) == {"closed"}
    assert_recovers_reopening_jsonl(site, db)


def assert_recovers_reopening_jsonl(site: Site, db: Path) -> None:
    set_fault(site, None)
    code, rows, err = scrape(site, db)
    assert code == 0 and rows["jsonl-export"]["status"] == "ok"
    assert set(posting_states(db)["jsonl-export"].values()) == {"open"}


def test_every_adapter_is_covered(site):
    """Adapters added later join this suite through a lab with a demo recording (or a synthetic lab here)."""
    assert set(site.labs.values()) == set(adapter_names())


def test_rescraping_the_same_recordings_changes_nothing(site, db):
    """Every adapter, twice over the same answers: nothing new, updated, closed or uncertain the second time."""
    set_fault(site, None)
    code, rows, err = scrape(site, db)
    assert code == 0, err
    for row in rows.values():
        assert (row["status"], row["new"], row["updated"], row["closed"], row["uncertain"]) == ("ok", 0, 0, 0, 0), row
    assert_nothing_lost(site, db, failed=set())
