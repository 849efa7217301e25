"""The SAMPLE-site layer (asr_jobs.samplesites): the bundled demo recordings are its rendering, every lab of
labs.toml (and any lab added on a known career system) is served by it, and its one local server answers by
virtual host, for any host, with validators and with faults."""

from __future__ import annotations

import json
import socket
import tomllib
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

import asr_jobs.cli as cli_module
from asr_jobs.samplesites.__main__ import DEMO, write_demo
from asr_jobs.samplesites.common import Answer, key
from asr_jobs.samplesites.server import Fault, SampleServer, labs_toml
from asr_jobs.samplesites.sites import build, served, virtual_host
from asr_jobs.scrapers.registry import load_labs

ENV = {"ASR_JOBS_RETRY_SCALE": "0", "NO_COLOR": "1", "ASR_JOBS_LABS": None, "ASR_JOBS_DB": None}
EXTRA_LAB = """[labs.acme-speech]
title = "Acme Speech (a lab added on Greenhouse)"
category = "startup"
adapter = "greenhouse"
homepage = "https://acme-speech.example/careers"
params = { token = "acmespeech" }
"""
EXTRA = tomllib.loads(EXTRA_LAB)["labs"]


def test_the_bundled_demo_recordings_are_what_the_sample_sites_render(tmp_path):
    written = write_demo(tmp_path)
    assert len(written) == len(list(DEMO.glob("*.har")))
    for path in sorted(DEMO.glob("*.har")):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), f"{path.name}: run python -m asr_jobs.samplesites"
        log = json.loads(path.read_text())["log"]
        assert log["comment"].startswith("SAMPLE data") and log["entries"]


def test_every_lab_and_one_added_on_greenhouse_scrape_cleanly_from_the_sample_sites(tmp_path):
    extra = tmp_path / "extra.toml"
    extra.write_text(EXTRA_LAB)
    labs = served(load_labs(extra))
    assert "acme-speech" in labs and set(labs) == set(load_labs(extra))  # every built-in system has a sample site
    servers = {}
    try:
        for name, lab in labs.items():
            routes, _ = build({name: lab}, sizes={name: 6})
            any_host = {("", *route[1:]): answer for route, answer in routes.items()}
            servers[name] = SampleServer(any_host).__enter__()
        # One --labs file: the added lab's entry, and every lab pointed at its server with no waits.
        settings = {name: {"interval": 0.0, "concurrency": 8} for name in labs}
        settings["acme-speech"].update({k: v for k, v in EXTRA["acme-speech"].items() if k != "params"})
        lab_file = tmp_path / "labs.toml"
        lab_file.write_text(labs_toml({name: server.base_url for name, server in servers.items()},
                                      params={"acme-speech": EXTRA["acme-speech"]["params"]}, settings=settings))
        result = CliRunner().invoke(cli_module.cli, ["scrape", "--db", str(tmp_path / "jobs.db"), "--labs", str(lab_file),
                                                     "--json", *labs], env=ENV, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        rows = {row["lab"]: row for row in json.loads(result.stdout)}
        assert {name: row["status"] for name, row in rows.items()} == dict.fromkeys(labs, "ok")
        assert {name: server.misses for name, server in servers.items()} == dict.fromkeys(labs, [])
        assert rows["acme-speech"]["new"] == 6  # no filters: every sample posting of the board is kept
    finally:
        for server in servers.values():
            server.stop()


def test_labs_sharing_a_real_host_share_a_virtual_one():
    labs = load_labs()
    greenhouse = {virtual_host(lab) for lab in labs.values() if lab.adapter == "greenhouse"}
    assert greenhouse == {"boards-api.greenhouse.test"}
    assert all(virtual_host(lab).endswith(".test") for lab in served(labs).values())


def test_the_server_answers_by_virtual_host_then_any_host_with_validators_and_faults():
    routes = {key("a.test", "GET", "/x"): Answer(b'{"site": "a"}'), key("", "GET", "/x"): Answer(b'{"site": "any"}')}
    with SampleServer(routes) as server, httpx.Client(base_url=server.base_url) as client:
        assert client.get("/x", headers={"Host": "a.test"}).json() == {"site": "a"}
        first = client.get("/x")
        assert first.json() == {"site": "any"}
        assert client.get("/x", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
        assert client.get("/nowhere").status_code == 404 and server.misses == ["GET 127.0.0.1/nowhere"]
        server.reset(Fault("http503"))
        assert client.get("/x").status_code == 503 and server.log == [("GET", "/x", "http503")]
        stats = server.stats()["hosts"]["127.0.0.1"]
        assert stats["requests"] == 1 and stats["max_in_flight"] == 1


def test_a_request_abandoned_before_its_body_is_counted_but_is_no_miss():
    """A page request cancelled as its listing ends can leave after its headers: no route was asked for.
    (It was once reported as a miss, failing a paging test now and then.)"""
    routes = {key("", "POST", "/jobs", '{"offset": 20}'): Answer(b'{"jobPostings": []}')}
    with SampleServer(routes) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(b"POST /jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 14\r\n\r\n")
        with httpx.Client(base_url=server.base_url) as client:
            assert client.post("/jobs", content=b'{"offset": 20}').json() == {"jobPostings": []}
            assert client.post("/jobs", content=b'{"offset": 40}').status_code == 404
        assert server.misses == ["POST 127.0.0.1/jobs"]  # the whole request without a route, and only it
        assert server.stats()["hosts"]["127.0.0.1"]["requests"] == 3


@pytest.mark.parametrize("name", ["anthropic", "nvidia", "microsoft-research"])
def test_a_lab_file_from_labs_toml_points_the_lab_at_the_server(tmp_path, name):
    path = Path(tmp_path / "labs.toml")
    path.write_text(labs_toml({name: "http://127.0.0.1:9"}, settings={name: {"interval": 0.0}}))
    lab = load_labs(path)[name]
    assert lab.params["base_url"] == "http://127.0.0.1:9" and lab.politeness.interval == 0.0
    assert lab.params.items() >= {k: v for k, v in load_labs()[name].params.items() if k != "base_url"}.items()
