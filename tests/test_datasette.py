"""The datasette view: shipped metadata, views, canned queries, facets, search, the Atom feed, escaping."""

from __future__ import annotations

import socket
import sqlite3
import xml.etree.ElementTree as ET

import pytest
import sqlite_utils
import yaml
from click.testing import CliRunner
from datasette.app import Datasette

from asr_jobs.cli import cli
from asr_jobs.db import browse, expressions, queries, schema

from .datasette_fixture import EVIL_DESCRIPTION, build_jobs_db, pid

ATOM = "{http://www.w3.org/2005/Atom}"
FACETS = {"profile", "lab", "lab_category", "seniority", "workplace", "status", "tracked", "rating"}


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return build_jobs_db(tmp_path_factory.mktemp("datasette") / "jobs.db")


@pytest.fixture(scope="module")
def plain_metadata():
    """The metadata exactly as plain `datasette jobs.db --metadata PATH` reads it."""
    return yaml.safe_load(browse.METADATA_PATH.read_text(encoding="utf-8"))


@pytest.fixture
def ds(db_path, plain_metadata):
    return Datasette([str(db_path)], metadata=plain_metadata)


async def rows(ds, path: str) -> list[dict]:
    response = await ds.client.get(path + ("&" if "?" in path else "?") + "_shape=array")
    assert response.status_code == 200, response.text
    return response.json()


def titles(found: list[dict]) -> list[str]:
    return [r["title"] for r in found]


def assert_escaped(html: str) -> None:
    """Markup from a career site shows as text: no live tag, handler or javascript: link."""
    assert "<script>alert" not in html
    assert "<img src=x" not in html and "<img src=\"x\"" not in html
    assert 'href="javascript:' not in html and "href='javascript:" not in html
    assert "&lt;script&gt;alert(" in html


async def test_index_and_database_pages_show_title_queries_and_views(ds):
    index = await ds.client.get("/")
    assert index.status_code == 200
    assert "asr-jobs: speech research jobs" in index.text
    page = (await ds.client.get("/jobs")).text
    for label in ("Ranked list for a profile", "New since the last scrape", "Closed recently", "Each lab&#39;s openings",
                  "Pay above or below the band", "Search postings", "asr-jobs: new top matches"):
        assert label in page
    data = (await ds.client.get("/jobs.json")).json()
    assert {v["name"] for v in data["views"]} == set(schema.VIEW_NAMES)
    hidden = {t["name"] for t in data["tables"] if t["hidden"]}
    assert {"matches", "postings_fts"} <= hidden
    assert "postings" not in hidden


async def test_ranked_for_profile_lists_open_postings_best_first(ds):
    found = await rows(ds, "/jobs/ranked_for_profile.json")
    assert titles(found) == ["Research Scientist, Speech Recognition", "Speech <b>Data</b> Engineer",
                             "Research Engineer, Speech", "Senior Research Scientist, Audio LLMs", "Office Manager"]
    first = found[0]
    assert (first["rank"], first["score"], first["salary"], first["matched_terms"], first["url"]) == (
        1, 0.61, "$300K–$400K/yr", "speech, conformer, recognition", "https://jobs.example/anthropic/101")
    streaming = await rows(ds, "/jobs/ranked_for_profile.json?profile=streaming")
    assert titles(streaming) == ["Research Engineer, Speech", "Research Scientist, Speech Recognition"]


async def test_new_since_last_scrape_and_closed_recently(ds):
    new = await rows(ds, "/jobs/new_since_last_scrape.json")
    assert titles(new) == ["Research Scientist, Speech Recognition", "Speech <b>Data</b> Engineer",
                           "Senior Research Scientist, Audio LLMs"]
    assert new[1]["best_profile"] == "asr-research" and new[1]["best_score"] == 0.52
    assert titles(await rows(ds, "/jobs/closed_recently.json")) == ["Audio ML Intern"]
    assert titles(await rows(ds, "/jobs/closed_recently.json?days=120")) == [
        "Audio ML Intern", "Research Scientist, Speaker Diarization"]


async def test_lab_openings_for_one_lab_and_for_all(ds):
    ai2 = await rows(ds, "/jobs/lab_openings.json?lab=ai2")
    assert titles(ai2) == ["Research Engineer, Speech"]
    assert (ai2[0]["best_profile"], ai2[0]["best_score"]) == ("streaming", 0.58)
    every = await rows(ds, "/jobs/lab_openings.json")
    assert [(r["lab"], r["title"]) for r in every] == [
        ("ai2", "Research Engineer, Speech"),
        ("anthropic", "Research Scientist, Speech Recognition"), ("anthropic", "Office Manager"),
        ("deepgram", "Speech <b>Data</b> Engineer"), ("deepgram", "Senior Research Scientist, Audio LLMs"),
    ]
    overview = {r["lab"]: r for r in await rows(ds, "/jobs/labs_overview.json")}
    assert (overview["deepgram"]["open_postings"], overview["deepgram"]["new_postings"]) == (2, 2)
    assert overview["ai2"]["closed_last_30_days"] == 1


async def test_pay_outside_band_uses_level_bands_from_profiles(ds):
    found = await rows(ds, "/jobs/pay_outside_band.json")
    assert [(r["title"], r["band"], r["vs_band"], r["pct_outside_band"]) for r in found] == [
        ("Research Scientist, Speech Recognition", "$200K–$280K/yr", "above", 7),
        ("Research Engineer, Speech", "$150K–$200K/yr", "below", -7),
    ]
    assert titles(await rows(ds, "/jobs/pay_outside_band.json?direction=below")) == ["Research Engineer, Speech"]
    within = await rows(ds, "/jobs/pay_vs_band.json?vs_band=within")
    assert titles(within) == ["Senior Research Scientist, Audio LLMs"]


async def test_band_changes_in_profiles_table_change_the_comparison(tmp_path, plain_metadata):
    path = build_jobs_db(tmp_path / "jobs.db")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE profiles SET salary_min = 100000, salary_max = 130000 WHERE level = 'research-engineer'")
    ds = Datasette([str(path)], metadata=plain_metadata)
    found = await rows(ds, "/jobs/pay_vs_band.json?level=research-engineer")
    assert [(r["band"], r["vs_band"], r["pct_outside_band"]) for r in found] == [("$100K–$130K/yr", "within", 0)]


async def test_search_finds_postings_with_the_matcher_score_beside(ds):
    found = await rows(ds, "/jobs/search_postings.json?q=diarization")
    assert [(r["title"], r["score"], r["rank"], r["status"]) for r in found] == [
        ("Research Scientist, Speaker Diarization", 0.44, 4, "closed")]
    assert "«diarization»" in found[0]["excerpt"]
    both = await rows(ds, "/jobs/search_postings.json?q=speech+recognition")
    assert [r["score"] for r in both] == [0.61, 0.52, 0.47]
    streaming = await rows(ds, "/jobs/search_postings.json?q=streaming&profile=streaming")
    assert [(r["title"], r["score"]) for r in streaming] == [
        ("Research Engineer, Speech", 0.58), ("Speech <b>Data</b> Engineer", None)]
    assert await rows(ds, "/jobs/search_postings.json?q=") == []
    assert titles(await rows(ds, '/jobs/search_postings.json?q=%22unbalanced')) == []
    table = await rows(ds, "/jobs/postings.json?_search=conformer")
    assert titles(table) == ["Research Scientist, Speech Recognition"]


async def test_default_facets_and_sort(ds):
    ranked = (await ds.client.get("/jobs/ranked_matches.json?_size=3")).json()
    assert set(ranked["facet_results"]) == FACETS
    assert [r[1] for r in ranked["rows"]] == [0.61, 0.58, 0.52]  # score, across profiles
    profile_counts = {f["value"]: f["count"] for f in ranked["facet_results"]["profile"]["results"]}
    assert profile_counts == {"asr-research": 7, "streaming": 2}
    overview = (await ds.client.get("/jobs/postings_overview.json")).json()
    assert {"lab", "lab_category", "seniority", "workplace", "status"} <= set(overview["facet_results"])
    postings = (await ds.client.get("/jobs/postings.json")).json()
    assert {"lab", "seniority", "workplace", "status"} <= set(postings["facet_results"])
    categories = {f["value"] for f in overview["facet_results"]["lab_category"]["results"]}
    assert categories == {"industry", "academic", "startup"}


async def test_feed_of_new_top_matches(ds):
    response = await ds.client.get("/jobs/new_top_matches.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    feed = ET.fromstring(response.text)
    assert feed.find(f"{ATOM}title").text == "asr-jobs: new top matches"
    entries = feed.findall(f"{ATOM}entry")
    # open, score >= 0.05 and newest first: Office Manager (0.01) and the closed postings stay out
    assert [e.find(f"{ATOM}title").text for e in entries] == [
        "Research Scientist, Speech Recognition — Anthropic", "Speech <b>Data</b> Engineer — Deepgram",
        "Senior Research Scientist, Audio LLMs — Deepgram", "Research Engineer, Speech — Allen Institute for AI"]
    first = entries[0]
    assert first.find(f"{ATOM}id").text == f"tag:asr-jobs,2026:asr-research:{pid('anthropic', '101')}"
    assert first.find(f"{ATOM}link").get("href") == "https://jobs.example/anthropic/101"
    content = first.find(f"{ATOM}content")
    assert content.get("type") == "text"
    assert content.text.startswith("Score 0.610 (rank 1 for asr-research) · London, UK · hybrid · $300K–$400K/yr\n"
                                   "Matched: speech, conformer, recognition\n\nJoin the speech team.")
    # the javascript: URL of a posting never becomes a link; its lab's careers page does
    assert entries[1].find(f"{ATOM}link").get("href") == "https://deepgram.com/careers"
    assert entries[1].find(f"{ATOM}content").text.endswith(EVIL_DESCRIPTION)
    assert "<script>" not in response.text and "&lt;script&gt;" in response.text
    top = ET.fromstring((await ds.client.get("/jobs/new_top_matches.atom?profile=streaming&top=1")).text)
    assert [e.find(f"{ATOM}title").text for e in top.findall(f"{ATOM}entry")] == [
        "Research Engineer, Speech — Allen Institute for AI"]


async def test_feed_without_matches_says_so_instead_of_failing(ds):
    response = await ds.client.get("/jobs/new_top_matches.atom?profile=nobody")
    assert response.status_code == 200
    entries = ET.fromstring(response.text).findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["No matches yet for this profile: run asr-jobs match"]


async def test_career_site_markup_is_shown_as_text_everywhere(ds):
    evil = pid("deepgram", "302")
    row_page = (await ds.client.get(f"/jobs/postings/{evil}")).text
    assert_escaped(row_page)
    assert "Speech &lt;b&gt;Data&lt;/b&gt; Engineer" in row_page
    assert "javascript:alert(4)" in row_page  # shown as text, not a link
    table_page = (await ds.client.get(f"/jobs/postings?id={evil}")).text
    assert_escaped(table_page)
    search_page = (await ds.client.get("/jobs/search_postings?q=owned")).text
    assert_escaped(search_page)
    feed_page = (await ds.client.get("/jobs/new_top_matches")).text
    assert_escaped(feed_page)
    ranked = (await ds.client.get("/jobs/ranked_matches?profile=asr-research")).text
    assert "<b>Data</b>" not in ranked and "Speech &lt;b&gt;Data&lt;/b&gt; Engineer" in ranked
    assert 'href="javascript:' not in ranked


async def test_read_only_by_default(db_path, plain_metadata):
    for ds in (Datasette([str(db_path)], metadata=plain_metadata), browse.build_datasette(db_path)):
        assert (await ds.client.get("/jobs.json?sql=select+1")).status_code == 403
        assert (await ds.client.get("/jobs/ranked_for_profile.json")).status_code == 200
    allowed = browse.build_datasette(db_path, allow_sql=True)
    assert (await allowed.client.get("/jobs.json?sql=select+count(*)+from+postings&_shape=array")).json() == [
        {"count(*)": 7}]
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await allowed.databases["jobs"].execute("DELETE FROM postings")  # browsing connections are read-only


async def test_serve_skips_facet_suggestions_that_cost_a_query_per_column(db_path, plain_metadata):
    plain = (await Datasette([str(db_path)], metadata=plain_metadata).client.get("/jobs/ranked_matches.json")).json()
    served = (await browse.build_datasette(db_path).client.get("/jobs/ranked_matches.json")).json()
    assert plain["suggested_facets"] and not served["suggested_facets"]
    assert plain["facet_results"].keys() == served["facet_results"].keys() and plain["rows"] == served["rows"]


async def test_any_database_file_name_gets_the_configuration(tmp_path):
    path = build_jobs_db(tmp_path / "my-jobs.db")
    ds = browse.build_datasette(path)
    assert titles(await rows(ds, "/my-jobs/ranked_for_profile.json?profile=streaming")) == [
        "Research Engineer, Speech", "Research Scientist, Speech Recognition"]
    assert browse.landing_path(path, "asr research") == (
        "/my-jobs/ranked_matches?profile=asr+research&status__not=closed")
    landing = await rows(ds, browse.landing_path(path, "asr-research").replace("matches?", "matches.json?"))
    assert titles(landing)[:2] == ["Research Scientist, Speech Recognition", "Speech <b>Data</b> Engineer"]
    assert {r["status"] for r in landing} == {"open"} and len(landing) == 5
    metadata = browse.load_metadata("my-jobs")
    assert list(metadata["databases"]) == ["my-jobs"] and metadata["allow_sql"] is False


def test_shipped_metadata_configures_jobs_and_demo_and_a_safe_stylesheet(plain_metadata):
    databases = plain_metadata["databases"]
    assert databases["jobs"] == databases["demo"]
    tables = databases["jobs"]["tables"]
    for name in ("postings", "labs", "profiles", "scrape_runs", "posting_versions", *schema.VIEW_NAMES):
        assert tables[name].get("description"), name
        assert tables[name].get("columns"), name
    assert tables["ranked_matches"]["sort_desc"] == "score"
    assert set(tables["ranked_matches"]["facets"]) == FACETS
    assert tables["postings"]["label_column"] == "title"
    css = plain_metadata["extra_css_urls"][0]
    # "#" would end a data: URL and "%" would start an escape
    assert css.startswith("data:text/css,") and "#" not in css and "%" not in css


def test_every_column_is_described_in_order(db_path, plain_metadata):
    tables = plain_metadata["databases"]["jobs"]["tables"]
    conn = sqlite3.connect(db_path)
    for name in ("postings", "labs", "profiles", "scrape_runs", "posting_versions", "matches", *schema.VIEW_NAMES):
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({name})")]
        described = list(tables[name]["columns"])
        missing = [c for c in columns if c not in described]
        assert not missing, f"describe column(s) {missing} of {name} in db/datasette.yaml"
        if name in schema.VIEW_NAMES:  # datasette lists the notes in this order above the rows
            assert described == columns, name


def test_salary_text_in_sql_matches_the_cli(db_path):
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    cases = [(200000, 280000, "USD", "year"), (45.5, 60, "USD", "hour"), (90000, None, "EUR", "year"),
             (None, 150000, "GBP", None), (100000, 100000, "CHF", "year"), (None, None, None, None)]
    for lo, hi, currency, period in cases:
        sql = f"SELECT {expressions.salary_sql('p')} AS s FROM (SELECT ? AS salary_min, ? AS salary_max, " \
              "? AS salary_currency, ? AS salary_period) AS p"
        got = conn.execute(sql, [lo, hi, currency, period]).fetchone()["s"]
        expected = queries.salary_text({"salary_min": lo, "salary_max": hi, "salary_currency": currency,
                                        "salary_period": period})
        assert (got or "") == expected


def test_the_views_are_created_with_the_database_and_old_definitions_replaced(tmp_path):
    from asr_jobs.db import store

    db = store.open_db(tmp_path / "v.db")
    assert set(schema.VIEW_NAMES) <= set(db.view_names())
    assert schema.BEST_MATCH_INDEX in {i.name for i in db.table("matches").indexes}
    db.execute("DROP VIEW ranked_matches")
    db.execute("CREATE VIEW ranked_matches AS SELECT 1 AS old")
    db.conn.close()
    db = store.open_db(tmp_path / "v.db")
    assert "old" not in db["ranked_matches"].columns_dict
    changes = db.conn.total_changes
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    store.open_db(tmp_path / "v.db")  # current views: nothing is written
    assert (db.conn.total_changes, db.execute("PRAGMA schema_version").fetchone()[0]) == (changes, version)


def test_serve_prints_the_metadata_path_for_plain_datasette():
    result = CliRunner().invoke(cli, ["serve", "--print-metadata-path"])
    assert result.exit_code == 0
    assert result.output.strip() == str(browse.METADATA_PATH) and browse.METADATA_PATH.exists()


def test_serve_refuses_a_missing_database(tmp_path):
    result = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "no database at" in result.output and "asr-jobs demo" in result.output
    assert not (tmp_path / "none.db").exists()


def test_serve_names_a_busy_port_and_an_unknown_profile(tmp_path):
    path = build_jobs_db(tmp_path / "jobs.db")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--db", str(path), "--port", str(port), "--profile", "x"])
    assert result.exit_code == 1
    assert f"port {port} is in use" in result.output
    assert "no matches for profile 'x' (profiles with matches: asr-research, streaming)" in result.output


def test_feed_path_for_a_profile():
    assert browse.feed_path("demo.db", "streaming") == "/demo/new_top_matches.atom?profile=streaming"


PAY_BANDS = {"research-engineer": (150000.0, 200000.0, "USD", False), "senior": (250000.0, 350000.0, "USD", False),
             "principal-staff": (300000.0, None, "USD", True)}


def pay_db(cases: list[tuple]) -> tuple[sqlite_utils.Database, list[dict]]:
    """A database with PAY_BANDS as level profiles and one posting per (level, min, max, currency, period)."""
    from asr_jobs.db import store

    db = store.open_db(None)
    db.table("profiles").insert_all(
        [{"name": f"level-{level}", "kind": "level", "level": level, "salary_min": lo, "salary_max": hi,
          "salary_currency": currency, "salary_open": int(open_ended)}
         for level, (lo, hi, currency, open_ended) in PAY_BANDS.items()], pk="name")
    rows = [{"id": str(i), "lab": "x", "title": "t", "seniority": level, "salary_min": lo, "salary_max": hi,
             "salary_currency": currency, "salary_period": period, "status": "open"}
            for i, (level, lo, hi, currency, period) in enumerate(cases)]
    db.table("postings").insert_all(rows)
    return db, rows


@pytest.mark.parametrize("level, lo, hi, currency, period, expected", [
    ("research-engineer", 210000, 260000, "USD", "year", "above"),  # all of the range over the band
    ("research-engineer", 180000, 260000, "USD", "year", "within"),  # overlaps the band
    ("research-engineer", 120000, 140000, None, None, "below"),  # no currency or period: USD a year
    ("research-engineer", 70, 100, "USD", "hour", "within"),  # 145,600-208,000 a year
    ("research-engineer", 15000, 16000, "USD", "month", "within"),  # 180,000-192,000 a year
    ("senior", None, 240000, "USD", "year", "below"),  # one end given: it stands for both
    ("principal-staff", 400000, None, "USD", "year", "within"),  # an open-ended band has no above
    ("principal-staff", 120000, 140000, "USD", "year", "below"),
    ("senior", 400000, 500000, "EUR", "year", None),  # another currency: not compared
    ("intern", 400000, 500000, "USD", "year", None),  # no band for the level
    ("senior", None, None, "USD", "year", None),  # no pay
])
def test_the_pay_band_rule(level, lo, hi, currency, period, expected):
    db, _ = pay_db([(level, lo, hi, currency, period)])
    assert [r["vs_band"] for r in db.query("SELECT vs_band FROM pay_vs_band")] == ([expected] if expected else [])


def test_python_callers_read_the_pay_band_rule_of_the_view(monkeypatch):
    """profiles.bands.band_comparison and the pay_vs_band view call the same postings above or below."""
    from asr_jobs.profiles import bands

    monkeypatch.setattr(bands, "level_bands", lambda: PAY_BANDS)
    db, rows = pay_db([(level, lo, hi, currency, period)
                       for level in ("research-engineer", "senior", "principal-staff", "intern")
                       for lo, hi in ((120000, 140000), (140000, 160000), (180000, 190000), (210000, 260000),
                                      (360000, 400000), (None, 90), (70, 100), (400000, None), (15000, 16000))
                       for currency, period in (("USD", "year"), (None, None), ("USD", "hour"), ("EUR", "year"),
                                                ("USD", "month"))])
    got = {r["posting_id"]: r["vs_band"] for r in db.query("SELECT posting_id, vs_band FROM pay_vs_band")}
    expected = {row["id"]: bands.band_comparison(row["seniority"], row["salary_min"], row["salary_max"],
                                                 currency=row["salary_currency"], period=row["salary_period"])
                for row in rows}
    assert got == {k: v for k, v in expected.items() if v is not None}
    assert {"above", "within", "below"} <= set(got.values())
