"""`asr-jobs labs add/remove/enable/disable` and `labs --json` sources, through the CLI, offline.

Career sites are answered by an httpx MockTransport: the boards from the adapters' own fixtures, the
careers pages from saved pages in tests/fixtures/careers/ (each a way real sites show their board).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

import asr_jobs.cli as cli_module
import asr_jobs.labfile as labfile
from asr_jobs.cli import cli
from asr_jobs.doctor import probe_fetcher
from asr_jobs.scrapers import detect

from .conftest import FIXTURES

CAREERS = FIXTURES / "careers"
PAGES = {  # careers pages of made-up employers: what each shows of its board
    "https://www.vocalis.example.com/careers": "greenhouse_embed.html",
    "https://sonaris.example.ai/jobs": "ashby_iframe.html",
    "https://timbre.example.eu/careers": "lever_links.html",
    "https://murmur.example.com/jobs": "inline_script.html",
    "https://www.spoken-language.example.org/jobs": "jsonld_postings.html",
    "https://quietco.example.com/careers": "nothing.html",
}
ENV = {"ASR_JOBS_RETRY_SCALE": "0", "ASR_JOBS_TIMEOUT": "5", "NO_COLOR": "1", "ASR_JOBS_LABS": None,
       "ASR_JOBS_DB": None}


def answer(request: httpx.Request) -> httpx.Response:
    """The sites: boards answer with the fixtures of their format, pages with the saved careers pages."""
    url, host, path = str(request.url), request.url.host, request.url.path
    if url.split("?")[0] in PAGES:
        return httpx.Response(200, text=(CAREERS / PAGES[url.split("?")[0]]).read_text(encoding="utf-8"),
                              headers={"content-type": "text/html; charset=utf-8"})
    if path == "/robots.txt":
        return httpx.Response(404)
    routes = {
        ("boards-api.greenhouse.io", "/v1/boards/"): "greenhouse_board.json",
        ("api.ashbyhq.com", "/posting-api/job-board/"): "ashby_board.json",
        ("api.lever.co", "/v0/postings/"): "lever_postings.json",
        ("api.eu.lever.co", "/v0/postings/"): "lever_postings.json",
        ("apply.workable.com", "/api/v1/widget/accounts/"): "workable_account.json",
        ("", "/wday/cxs/"): "workday_jobs_page.json",
        ("", "/api/pcsx/search"): "eightfold_search.json",
        ("api.smartrecruiters.com", "/v1/companies/"): "smartrecruiters_postings.json",
        ("", "/api/offers/"): "recruitee_offers.json",
        ("sonority.teamtailor.com", "/jobs.rss"): "teamtailor_jobs.rss",
    }
    if host.endswith((".jobs.personio.de", ".jobs.personio.com")) and path == "/xml":
        return httpx.Response(200, content=(FIXTURES / "personio_feed.xml").read_bytes(),
                              headers={"content-type": "text/xml; charset=UTF-8"})
    for (route_host, prefix), fixture in routes.items():
        if (not route_host or host == route_host) and path.startswith(prefix) and "missing" not in path:
            return httpx.Response(200, content=(FIXTURES / fixture).read_bytes(),
                                  headers={"content-type": "application/json"})
    return httpx.Response(404, json={"error": "not found"})


@pytest.fixture
def seen(monkeypatch, tmp_path) -> list[httpx.Request]:
    """Every request `labs add` sends (to the mock sites); the user's config directory in tmp_path."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return answer(request)

    monkeypatch.setattr(labfile, "probe_fetcher", lambda transport=None: probe_fetcher(httpx.MockTransport(handler)))
    return requests


@pytest.fixture
def runner():
    return CliRunner(env=ENV)


def user_file(tmp_path: Path) -> Path:
    return tmp_path / "config" / "asr-jobs" / "labs.toml"


def add(runner: CliRunner, *args: str):
    return runner.invoke(cli, ["labs", "add", *args])


BOARD_URLS = [
    ("https://job-boards.greenhouse.io/vocalis", "vocalis", "greenhouse", {"token": "vocalis"}),
    ("https://boards.greenhouse.io/vocalis/jobs/4012345", "vocalis", "greenhouse", {"token": "vocalis"}),
    ("https://job-boards.eu.greenhouse.io/murmur?gh_src=abc", "murmur", "greenhouse", {"token": "murmur"}),
    ("https://boards.greenhouse.io/embed/job_board?for=vocalis", "vocalis", "greenhouse", {"token": "vocalis"}),
    ("https://jobs.ashbyhq.com/sonaris", "sonaris", "ashby", {"board": "sonaris"}),
    ("https://jobs.ashbyhq.com/Rox%20Data%20Corp/1b2c", "rox-data-corp", "ashby", {"board": "Rox Data Corp"}),
    ("https://jobs.lever.co/cadence", "cadence", "lever", {"company": "cadence"}),
    ("https://jobs.eu.lever.co/timbre/3f1c2a9e", "timbre", "lever", {"company": "timbre", "region": "eu"}),
    ("https://apply.workable.com/hearsay/", "hearsay", "workable", {"account": "hearsay"}),
    ("https://acoustic.wd3.myworkdayjobs.com/en-US/External_Careers/job/Cambridge/Speech-Scientist_R123",
     "acoustic", "workday", {"tenant": "acoustic", "host": "wd3", "site": "External_Careers"}),
    ("https://acoustic.wd3.myworkdayjobs.com/External_Careers", "acoustic", "workday",
     {"tenant": "acoustic", "host": "wd3", "site": "External_Careers"}),
    ("https://uni.eightfold.ai/careers?domain=uni.edu", "uni", "eightfold", {"host": "uni.eightfold.ai", "domain": "uni.edu"}),
    ("https://apply.careers.microsoft.com/careers?hl=en", "microsoft", "eightfold",
     {"host": "apply.careers.microsoft.com", "domain": "microsoft.com"}),
    ("https://jobs.smartrecruiters.com/AcousticaLabs/744000160011201-research-scientist", "acousticalabs",
     "smartrecruiters", {"company": "AcousticaLabs"}),
    ("https://sonoravoice.recruitee.com/o/research-scientist-speech-recognition", "sonoravoice", "recruitee",
     {"company": "sonoravoice"}),
    ("https://sonara.jobs.personio.de/job/1482301?language=en", "sonara", "personio", {"company": "sonara"}),
    ("https://sonara-voice.jobs.personio.com/", "sonara-voice", "personio", {"company": "sonara-voice", "domain": "com"}),
    ("https://sonority.teamtailor.com/jobs/5120447-research-scientist-speech-recognition", "sonority", "teamtailor",
     {"company": "sonority"}),
]


@pytest.mark.parametrize(("url", "name", "system", "params"), BOARD_URLS)
def test_add_detects_each_system_from_the_url_and_proves_it_with_one_listing_request(runner, seen, tmp_path, url,
                                                                                       name, system, params):
    result = add(runner, url, "--name", f"x-{name}")
    assert result.exit_code == 0, result.output
    written = tomllib.loads(user_file(tmp_path).read_text(encoding="utf-8"))["labs"][f"x-{name}"]
    assert (written["adapter"], written["params"], written["homepage"]) == (system, params, url)
    assert detect.slug_of(detect.from_url(url).slug) == name  # the name it would take without --name
    assert "postings found" in result.stderr and f"adapter = \"{system}\"" in result.stdout
    assert len(seen) == 1  # the board's listing, nothing else: no page read, no detail


def test_add_shows_the_entry_and_the_number_of_postings_the_board_holds(runner, seen, tmp_path):
    result = add(runner, "https://jobs.ashbyhq.com/sonaris", "--category", "startup")
    assert result.exit_code == 0, result.output
    listed = [j for j in json.loads((FIXTURES / "ashby_board.json").read_text())["jobs"] if j.get("isListed", True)]
    assert f"{len(listed)} postings found" in result.stderr
    assert result.stdout.splitlines()[0] == "[labs.sonaris]" and 'category = "startup"' in result.stdout
    assert str(user_file(tmp_path)) in result.stderr


PAGE_CASES = [
    ("https://www.vocalis.example.com/careers", "greenhouse", {"token": "vocalis"}, "embedded"),
    ("https://sonaris.example.ai/jobs", "ashby", {"board": "sonaris"}, "embedded"),
    ("https://timbre.example.eu/careers", "lever", {"company": "timbre", "region": "eu"}, "links"),
    ("https://murmur.example.com/jobs", "greenhouse", {"token": "murmur"}, "embedded"),
    ("https://www.spoken-language.example.org/jobs", "jsonld",
     {"pages": ["https://www.spoken-language.example.org/jobs"]}, "JSON-LD"),
]


@pytest.mark.parametrize(("url", "system", "params", "how"), PAGE_CASES)
def test_add_reads_a_companys_own_careers_page_for_its_board(runner, seen, tmp_path, url, system, params, how):
    result = add(runner, url, "--name", "found")
    assert result.exit_code == 0, result.output
    written = tomllib.loads(user_file(tmp_path).read_text(encoding="utf-8"))["labs"]["found"]
    assert (written["adapter"], written["params"]) == (system, params)
    assert how in result.stderr
    expected = "2 postings found" if system == "jsonld" else "postings found"
    assert expected in result.stderr


def test_the_added_lab_is_scraped_by_scrape_without_any_labs_flag(runner, seen, tmp_path, monkeypatch):
    assert add(runner, "https://www.vocalis.example.com/careers", "--category", "startup").exit_code == 0
    monkeypatch.setattr(cli_module, "recording_transport", lambda record, replay: httpx.MockTransport(answer))
    result = runner.invoke(cli, ["scrape", "vocalis", "--db", str(tmp_path / "jobs.db"), "--json"])
    assert result.exit_code == 0, result.output
    board = json.loads((FIXTURES / "greenhouse_board.json").read_text())["jobs"]
    outcome = json.loads(result.stdout)[0]
    assert (outcome["lab"], outcome["status"], outcome["seen"]) == ("vocalis", "ok", len(board))
    listed = json.loads(runner.invoke(cli, ["labs", "--json", "--db", str(tmp_path / "jobs.db")]).stdout)
    row = next(r for r in listed if r["lab"] == "vocalis")
    assert (row["open"], row["source"]) == (len(board), str(user_file(tmp_path)))


def test_add_refuses_a_page_with_no_board_and_says_what_it_tried(runner, seen, tmp_path):
    result = add(runner, "https://quietco.example.com/careers")
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "no career system found" in message and "the URL's host and path" in message
    assert "no embedded board" in message and "JSON-LD (none on the page)" in message
    assert not user_file(tmp_path).exists()


def test_add_refuses_a_board_that_does_not_answer_and_writes_nothing(runner, seen, tmp_path):
    result = add(runner, "https://job-boards.greenhouse.io/missing")
    assert result.exit_code == 1
    assert "the check failed" in result.output and "--no-check" in result.output
    assert not user_file(tmp_path).exists()


def test_add_refuses_an_eightfold_url_without_its_domain(runner, seen):
    result = add(runner, "https://acme.eightfold.ai/careers")
    assert result.exit_code == 1 and "?domain=" in result.output and not seen


def test_no_check_writes_from_the_url_alone_without_a_request(runner, seen, tmp_path):
    result = add(runner, "jobs.lever.co/cadence", "--no-check")
    assert result.exit_code == 0, result.output
    assert not seen and "not checked" in result.stderr
    written = tomllib.loads(user_file(tmp_path).read_text(encoding="utf-8"))["labs"]["cadence"]
    assert written["params"] == {"company": "cadence"}
    refused = add(runner, "https://www.vocalis.example.com/careers", "--no-check")
    assert refused.exit_code == 1 and "--no-check reads only the URL" in refused.output and not seen


def test_add_refuses_a_name_already_taken(runner, seen, tmp_path):
    assert "built-in lab" in add(runner, "https://jobs.ashbyhq.com/openai", "--no-check").output
    assert add(runner, "https://jobs.ashbyhq.com/sonaris", "--no-check").exit_code == 0
    again = add(runner, "https://jobs.ashbyhq.com/sonaris", "--no-check")
    assert again.exit_code == 1 and "already in" in again.output and "--name" in again.output


def test_add_keeps_the_users_file_and_its_comments(runner, seen, tmp_path):
    path = tmp_path / "mine.toml"
    original = ('# my labs: keep this comment\n[labs.mistral]  # Mistral on Lever\ntitle = "Mistral AI"\n'
                'adapter = "lever"\nparams = { company = "mistral", region = "eu" }\n')
    path.write_text(original, encoding="utf-8")
    result = add(runner, "https://jobs.ashbyhq.com/sonaris", "--labs", str(path), "--no-check")
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    assert text.startswith(original)
    assert set(tomllib.loads(text)["labs"]) == {"mistral", "sonaris"}
    assert not user_file(tmp_path).exists()


def test_add_refuses_to_edit_a_file_that_is_not_valid_toml(runner, seen, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[labs.x\n", encoding="utf-8")
    result = add(runner, "https://jobs.ashbyhq.com/sonaris", "--labs", str(path), "--no-check")
    assert result.exit_code == 1 and "not valid TOML" in result.output
    assert path.read_text(encoding="utf-8") == "[labs.x\n"


def test_remove_takes_out_only_the_users_entry(runner, seen, tmp_path):
    assert add(runner, "https://jobs.ashbyhq.com/sonaris", "--no-check").exit_code == 0
    assert add(runner, "https://jobs.lever.co/cadence", "--no-check").exit_code == 0
    result = runner.invoke(cli, ["labs", "remove", "sonaris"])
    assert result.exit_code == 0 and "sonaris: removed" in result.output
    assert set(tomllib.loads(user_file(tmp_path).read_text(encoding="utf-8"))["labs"]) == {"cadence"}
    gone = runner.invoke(cli, ["labs", "remove", "sonaris"])
    assert gone.exit_code == 1 and "no lab 'sonaris'" in gone.output and "cadence" in gone.output


def test_remove_of_a_built_in_lab_says_how_to_switch_it_off(runner, seen, tmp_path):
    result = runner.invoke(cli, ["labs", "remove", "meta-fair"])
    assert result.exit_code == 1
    assert "built-in lab" in result.output and "enabled = false" in result.output
    assert runner.invoke(cli, ["labs", "disable", "meta-fair"]).exit_code == 0
    listed = json.loads(runner.invoke(cli, ["labs", "--json", "--db", str(tmp_path / "none.db")]).stdout)
    assert "meta-fair" not in {r["lab"] for r in listed}
    restored = runner.invoke(cli, ["labs", "remove", "meta-fair"])
    assert restored.exit_code == 0 and "built-in entry applies again" in restored.output


def test_labs_json_says_where_each_entry_comes_from(runner, seen, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[labs.nvidia]\nqueries = ["NeMo ASR"]\n', encoding="utf-8")
    assert add(runner, "https://jobs.ashbyhq.com/sonaris", "--labs", str(path), "--no-check").exit_code == 0
    rows = json.loads(runner.invoke(cli, ["labs", "--json", "--labs", str(path), "--db", str(tmp_path / "x.db")]).stdout)
    sources = {r["lab"]: r["source"] for r in rows}
    assert sources["anthropic"] == "built-in"
    assert sources["sonaris"] == str(path)
    assert sources["nvidia"] == f"built-in + {path}"
    table = runner.invoke(cli, ["labs", "--labs", str(path), "--db", str(tmp_path / "x.db")])
    assert table.exit_code == 0 and "source" not in table.stdout and "sonaris" in table.stdout


def test_enable_group_switches_on_the_starter_labs_of_that_group(runner, seen, tmp_path):
    starters = tomllib.loads(labfile.STARTER_LABS.read_text(encoding="utf-8"))["labs"]
    group = {name for name, entry in starters.items() if entry["group"] == "speech-startups"}
    assert group and all(entry["enabled"] is False for entry in starters.values())
    before = json.loads(runner.invoke(cli, ["labs", "--json", "--db", str(tmp_path / "x.db")]).stdout)
    assert not group & {r["lab"] for r in before}
    result = runner.invoke(cli, ["labs", "enable", "--group", "speech-startups"])
    assert result.exit_code == 0, result.output
    written = tomllib.loads(user_file(tmp_path).read_text(encoding="utf-8"))["labs"]
    assert set(written) == group and all(e["enabled"] is True and "group" not in e for e in written.values())
    after = json.loads(runner.invoke(cli, ["labs", "--json", "--db", str(tmp_path / "x.db")]).stdout)
    assert group <= {r["lab"] for r in after}
    unknown = runner.invoke(cli, ["labs", "enable", "--group", "nope"])
    assert unknown.exit_code == 1 and "speech-startups" in unknown.output


def test_enable_group_keeps_what_the_user_wrote_in_an_entry(runner, seen, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[labs.suno]  # music only\nenabled = false\ntitle = "Suno music"\nadapter = "ashby"\n'
                    'params = { board = "suno" }\nfilters = { title = ["audio", "research"] }\n', encoding="utf-8")
    assert runner.invoke(cli, ["labs", "enable", "--group", "speech-startups", "--labs", str(path)]).exit_code == 0
    text = path.read_text(encoding="utf-8")
    suno = tomllib.loads(text)["labs"]["suno"]
    assert suno["enabled"] is True and suno["title"] == "Suno music" and suno["filters"] == {"title": ["audio", "research"]}
    assert "# music only" in text


def test_the_starter_list_cites_evidence_for_every_entry():
    text = labfile.STARTER_LABS.read_text(encoding="utf-8")
    starters = tomllib.loads(text)["labs"]
    for name, entry in starters.items():
        block = text.split(f"[labs.{name}]")[0].rsplit("\n\n", 1)[-1]
        assert "evidence:" in block, f"starter lab {name} cites no evidence"
        assert entry["category"] in ("startup", "academic") and entry["group"] in ("speech-startups", "speech-academic")


def test_labs_listing_is_unchanged_without_a_user_file(runner, seen, tmp_path):
    result = runner.invoke(cli, ["labs", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 0 and "anthropic" in result.stdout
    assert runner.invoke(cli, ["labs", "nonsense"]).exit_code == 2
