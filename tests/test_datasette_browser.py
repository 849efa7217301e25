"""End to end in a real browser: `serve` in a subprocess, headless Chromium reads what a person would see."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from asr_jobs.db.browse import landing_path

from .datasette_fixture import build_jobs_db

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited early: {process.stderr.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"serve did not listen on port {port} within {timeout}s")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    """`asr-jobs serve` on a free port of 127.0.0.1, serving the fixture database."""
    path = build_jobs_db(tmp_path_factory.mktemp("browser") / "jobs.db")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "from asr_jobs.cli import cli; cli()", "serve", "--db", str(path), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def browse(url: str, profile_dir: Path, screenshot: Path | None = None) -> LexborHTMLParser:
    """The page's DOM after Chromium loaded it (and ran any script), optionally with a screenshot."""
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile_dir}",
            "--window-size=1400,1000", "--dump-dom"]
    if screenshot:
        args.append(f"--screenshot={screenshot}")
    result = subprocess.run([*args, url], capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    return LexborHTMLParser(result.stdout)


def texts(tree: LexborHTMLParser, selector: str) -> list[str]:
    return [node.text(strip=True) for node in tree.css(selector)]


def assert_no_injected_markup(tree: LexborHTMLParser) -> None:
    """Nothing from a career site became a live element: no script, image or javascript: link."""
    assert not [s for s in tree.css("script") if "owned" in (s.text() or "")]
    assert not tree.css("table img") and not tree.css("td b")
    assert not tree.css('a[href^="javascript"]')


@pytest.fixture(scope="module")
def pages(base_url, tmp_path_factory):
    """Both pages loaded by two Chromium processes at once (each takes seconds to start)."""
    ARTIFACTS.mkdir(exist_ok=True)
    profiles = tmp_path_factory.mktemp("chromium")
    urls = {"ranked": base_url + landing_path("jobs.db", "asr-research"),
            "search": f"{base_url}/jobs/search_postings?q=owned"}
    shots = {name: ARTIFACTS / f"datasette-{name}.png" for name in urls}
    for shot in shots.values():
        shot.unlink(missing_ok=True)
    with ThreadPoolExecutor(len(urls)) as pool:
        futures = {name: pool.submit(browse, url, profiles / name, shots[name]) for name, url in urls.items()}
        return {name: (future.result(), shots[name]) for name, future in futures.items()}


def test_ranked_list_page_in_a_browser(pages):
    tree, shot = pages["ranked"]
    assert "Ranked matches" in tree.css_first("h1").text()
    assert texts(tree, "td.col-title") == [  # open postings only, best first
        "Research Scientist, Speech Recognition", "Speech <b>Data</b> Engineer", "Research Engineer, Speech",
        "Senior Research Scientist, Audio LLMs", "Office Manager"]
    assert texts(tree, "td.col-salary")[0] == "$300K–$400K/yr"
    assert texts(tree, "td.col-matched_terms")[0] == "speech, conformer, recognition"
    assert tree.css_first("td.col-url a").attributes["href"] == "https://jobs.example/anthropic/101"
    assert texts(tree, "td.col-url")[1] == "javascript:alert(4)"  # text, not a link
    facets = " ".join(texts(tree, ".facet-info-name"))
    for facet in ("profile", "lab", "lab_category", "seniority", "workplace", "status"):
        assert facet in facets
    assert_no_injected_markup(tree)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20000


def test_search_query_page_shows_markup_as_text(pages):
    tree, shot = pages["search"]
    assert "Search postings" in tree.css_first("h1").text()
    assert texts(tree, "td.col-title") == ["Speech <b>Data</b> Engineer"]
    excerpt = tree.css_first("td.col-excerpt").text()
    assert "<script>alert('«owned»')</script>" in excerpt and "<img src=x onerror=alert(2)>" in excerpt
    assert_no_injected_markup(tree)
    assert shot.exists()


SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshot-datasette.png"


@pytest.fixture(scope="module")
def demo_pages(tmp_path_factory):
    """`asr-jobs demo`'s database served by `asr-jobs serve`: its home page and ranked list, as Chromium sees them.

    With ASR_JOBS_UPDATE_SCREENSHOT=1 the ranked list's screenshot replaces the README's (docs/screenshot-datasette.png).
    """
    work = tmp_path_factory.mktemp("demo")
    cli = [sys.executable, "-c", "from asr_jobs.cli import cli; cli()"]
    subprocess.run([*cli, "demo", "--db", str(work / "demo.db")], check=True, capture_output=True, timeout=300)
    port = free_port()
    process = subprocess.Popen([*cli, "serve", "--db", str(work / "demo.db"), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, process)
        base = f"http://127.0.0.1:{port}"
        urls = {"home": base + "/", "ranked": base + landing_path("demo.db", "asr-research")}
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "datasette-demo.png"
        with ThreadPoolExecutor(len(urls)) as pool:
            futures = {name: pool.submit(browse, url, work / f"chromium-{name}", shot if name == "ranked" else None)
                       for name, url in urls.items()}
            pages = {name: future.result() for name, future in futures.items()}
    finally:
        process.terminate()
        process.wait(timeout=10)
    if os.environ.get("ASR_JOBS_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, SCREENSHOT)
    return pages, shot


def test_demo_database_is_marked_sample_on_every_page(demo_pages):
    pages, _ = demo_pages
    for tree in pages.values():
        assert "SAMPLE DATA" in tree.css_first("p.asr-jobs-sample").text()
    home = pages["home"].css_first(".metadata-description").text()
    assert "SAMPLE data" in home and "scraped from their career sites" not in home


def test_home_page_links_the_views_it_names(demo_pages):
    pages, _ = demo_pages
    links = {a.text(strip=True): a.attributes["href"] for a in pages["home"].css(".metadata-description a")}
    assert links["ranked_matches"].startswith("/demo/ranked_matches")
    assert links["ranked_for_profile"] == "/demo/ranked_for_profile"


def test_ranked_list_links_titles_and_ids_to_the_posting_and_folds_the_glossary(demo_pages):
    pages, shot = demo_pages
    tree = pages["ranked"]
    title = tree.css_first("td.col-title a")
    posting_id = tree.css_first("td.col-posting_id a")
    assert title.attributes["href"] == posting_id.attributes["href"] == f"/demo/postings/{posting_id.text()}"
    glossary = tree.css_first("details.column-glossary")
    assert "open" not in glossary.attributes and glossary.css_first("dt").text() == "rank"
    assert not [dl for dl in tree.css("dl.column-descriptions") if dl.parent.tag != "details"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20000
