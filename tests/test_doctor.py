"""`asr-jobs doctor` through the CLI, against the local sample-site server: every class of failure, classified.

One server per lab (a career system each) serves its sample site for any host; faults make it fail the way
real sites do, and labs pointed at a closed port or spoken to in TLS show the network's own failures.
"""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import asr_jobs.cli as cli_module
from asr_jobs.doctor import ADVICE, SITE_UNREACHABLE
from asr_jobs.samplesites.server import Fault, SampleServer, labs_toml
from asr_jobs.samplesites.sites import build, served
from asr_jobs.scrapers.har import load_har
from asr_jobs.scrapers.registry import load_labs

ENV = {"ASR_JOBS_RETRY_SCALE": "0", "ASR_JOBS_TIMEOUT": "5", "NO_COLOR": "1", "ASR_JOBS_LABS": None,
       "ASR_JOBS_DB": None}
# One lab of each career system that has a sample site.
LABS = ["anthropic", "openai", "speechmatics", "nvidia", "microsoft-research", "amazon-science", "apple-ml",
        "google-research", "meta-fair", "mit-csail"]
# Requests a probe must never make: a posting's own page or detail.
DETAIL = re.compile(r"/job/|/position_details|/jobDetails/|^/jobs/\d+|jobDetails\.do|/opportunities/.")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(servers by lab, the --labs file pointing every lab at its server)."""
    tmp = tmp_path_factory.mktemp("doctor")
    labs = {name: lab for name, lab in served(load_labs()).items() if name in LABS}
    servers: dict[str, SampleServer] = {}
    try:
        for name, lab in labs.items():
            routes, _ = build({name: lab}, sizes={name: 6})
            servers[name] = SampleServer({("", *route[1:]): answer for route, answer in routes.items()}).__enter__()
        labs_file = tmp / "labs.toml"
        write_labs(labs_file, {name: server.base_url for name, server in servers.items()})
        yield servers, labs_file
    finally:
        for server in servers.values():
            server.stop()


def write_labs(path: Path, bases: dict[str, str]) -> Path:
    path.write_text(labs_toml(bases, settings={name: {"interval": 0.0} for name in bases}), encoding="utf-8")
    return path


@pytest.fixture
def servers(site):
    """The servers, without fault and with fresh logs (and again so after the test)."""
    for server in site[0].values():
        server.reset(None)
    yield site[0]
    for server in site[0].values():
        server.reset(None)


def doctor(labs_file: Path, *args: str, env: dict | None = None) -> tuple[int, str, str, float]:
    """Run `asr-jobs doctor --labs FILE ARGS...`: (exit code, stdout, stderr, seconds)."""
    started = time.monotonic()
    result = CliRunner().invoke(cli_module.cli, ["doctor", "--labs", str(labs_file), *args],
                                env={**ENV, **(env or {})}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr, time.monotonic() - started


def checks(labs_file: Path, *labs: str, env: dict | None = None) -> tuple[int, dict[str, dict]]:
    code, out, _, _ = doctor(labs_file, "--json", *labs, env=env)
    return code, {row["lab"]: row for row in json.loads(out)}


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (connecting is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_every_lab_answers_with_the_postings_its_site_reports_and_no_detail_request(site, servers):
    code, out, err, seconds = doctor(site[1], "--json", *LABS)
    rows = {row["lab"]: row for row in json.loads(out)}
    assert code == 0, err
    assert {lab: row["status"] for lab, row in rows.items()} == dict.fromkeys(LABS, "ok")
    assert all(isinstance(row["postings"], int) and row["postings"] > 0 for row in rows.values()), rows
    assert rows["anthropic"]["postings"] == 6 and rows["nvidia"]["postings"] >= 1
    for lab, server in servers.items():
        paths = [path for _, path, _ in server.log]
        # The listing and any token; Meta also reads its two JS bundles when no doc_id has worked yet.
        assert len(paths) == rows[lab]["requests"] and 1 <= len(paths) <= 4, (lab, paths)
        assert not any(DETAIL.search(path) for path in paths), (lab, paths)
    assert seconds < 30


def test_the_text_output_is_one_line_per_lab_and_a_summary(site, servers):
    code, out, err, _ = doctor(site[1], "anthropic", "apple-ml")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert re.match(r"anthropic\s+ok\s+6 postings", lines[0]), lines
    assert re.match(r"apple-ml\s+ok\s+\d+ postings", lines[1]), lines
    assert err.strip() == "all 2 labs answered"


# fault -> {lab: (class, words of its message)}
FAULTS = {
    "http404": {"anthropic": ("http", "HTTP 404"),
                "nvidia": ("config", "check params tenant='nvidia', host='wd5', site='NVIDIAExternalCareerSite'")},
    "stall": {"openai": ("timeout", "timed out (read timeout)"), "apple-ml": ("timeout", "timed out")},
    "http429-retry-after-long": {"speechmatics": ("throttled", "HTTP 429"), "meta-fair": ("throttled", "HTTP 429")},
    "renamed-keys": {"anthropic": ("format", "'jobs'"), "nvidia": ("format", "missing key 'jobPostings'"),
                     "amazon-science": ("format", "'jobs'")},
    "waf-captcha": {"microsoft-research": ("firewall", "x-amzn-waf-action: captcha"),
                    "google-research": ("firewall", "blocked by the site's firewall")},
    "http503": {"mit-csail": ("http", "HTTP 503")},
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_failure_is_classified_with_what_to_do(site, servers, fault):
    expected = FAULTS[fault]
    for lab in expected:
        servers[lab].reset(Fault(fault))
    env = {"ASR_JOBS_TIMEOUT": "0.3"} if fault == "stall" else None
    code, out, err, seconds = doctor(site[1], *expected, env=env)
    assert code == 1
    lines = dict(line.split(None, 1) for line in out.splitlines())
    assert set(lines) == set(expected)
    for lab, (kind, words) in expected.items():
        assert lines[lab].startswith(kind), lines[lab]
        assert words in lines[lab] and f"-> {ADVICE[kind]}" in lines[lab], lines[lab]
    assert f"0 of {len(expected)} labs answered" in err and seconds < 30
    _, rows = checks(site[1], *expected, env=env)
    assert {lab: row["status"] for lab, row in rows.items()} == {lab: kind for lab, (kind, _) in expected.items()}


def test_a_firewall_or_throttling_is_not_asked_again(site, servers):
    servers["anthropic"].reset(Fault("waf-captcha"))
    servers["openai"].reset(Fault("http429-retry-after-long"))
    checks(site[1], "anthropic", "openai")
    assert len(servers["anthropic"].log) == 1 and len(servers["openai"].log) == 1


def test_no_network_is_offline_for_every_lab_in_one_closing_line(tmp_path):
    port = closed_port()
    labs_file = write_labs(tmp_path / "offline.toml", dict.fromkeys(LABS, f"http://127.0.0.1:{port}"))
    code, out, err, seconds = doctor(labs_file, *LABS)
    assert code == 1 and len(out.splitlines()) == len(LABS)
    for line in out.splitlines():
        assert re.match(r"\S+\s+offline\s+\S+: connection to 127\.0\.0\.1:\d+ refused", line), line
        assert line.endswith("-> no network or DNS: check your connection/proxy"), line
    assert err.splitlines() == [f"this machine seems offline: no lab could be reached (no network or DNS): "
                                f"check your connection/proxy ({len(LABS)} labs)"]
    assert seconds < 30


def test_one_site_unreachable_while_others_answer_is_that_site(tmp_path, site, servers):
    bases = {"anthropic": servers["anthropic"].base_url, "openai": f"http://127.0.0.1:{closed_port()}"}
    code, rows = checks(write_labs(tmp_path / "one-down.toml", bases), "anthropic", "openai")
    assert code == 1 and rows["anthropic"]["status"] == "ok"
    assert rows["openai"]["status"] == "offline" and rows["openai"]["advice"] == SITE_UNREACHABLE


def test_a_failed_tls_handshake_is_tls_with_its_cause(tmp_path, site, servers):
    # HTTPS spoken to a plain-HTTP server: the handshake fails as against a proxy or a broken certificate.
    bases = {lab: servers[lab].base_url.replace("http://", "https://") for lab in ("anthropic", "nvidia")}
    code, rows = checks(write_labs(tmp_path / "tls.toml", bases), *bases)
    assert code == 1
    for lab, row in rows.items():
        assert row["status"] == "tls", row
        assert re.search(r"TLS handshake with 127\.0\.0\.1:\d+ failed \(\S", row["message"]), row["message"]
        assert "ConnectError" not in row["message"] and row["advice"] == ADVICE["tls"]
        assert len(servers[lab].log) <= 1  # not retried (the server may see the handshake as a bad request)


def test_a_missing_setting_is_config_naming_it(tmp_path):
    labs_file = tmp_path / "mine.toml"
    labs_file.write_text('[labs.export]\nadapter = "jsonl"\ncategory = "startup"\n\n'
                         '[labs.workday-lab]\nadapter = "workday"\nparams = { tenant = "acme" }\n', encoding="utf-8")
    code, rows = checks(labs_file, "export", "workday-lab")
    assert code == 1
    assert rows["export"]["status"] == "config" and "params.url" in rows["export"]["message"]
    assert rows["workday-lab"]["status"] == "config" and "host, site" in rows["workday-lab"]["message"]
    assert rows["export"]["advice"] == ADVICE["config"]


def test_record_saves_what_the_doctor_saw(tmp_path, site, servers):
    har = tmp_path / "doctor.har"
    servers["nvidia"].reset(Fault("http404"))
    code, out, err, _ = doctor(site[1], "anthropic", "nvidia", "apple-ml", "--record", str(har))
    assert code == 1
    entries = load_har(har)
    requested = sum(len(servers[lab].log) for lab in ("anthropic", "nvidia", "apple-ml"))
    assert len(entries) == requested and f"recorded {requested} requests to {har}" in err
    statuses = {e["request"]["url"].split("/", 3)[-1].split("?")[0]: e["response"]["status"] for e in entries}
    assert statuses["wday/cxs/nvidia/NVIDIAExternalCareerSite/jobs"] == 404
