"""Tracking applications and filtering the ranked list, through the shipped CLI on the demo's database."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import asr_jobs.cli as cli_module
from asr_jobs.cli import cli
from asr_jobs.db import browse

DEMO_HARS = Path(cli_module.__file__).parent / "demo"
ENV = {"ASR_JOBS_RETRY_SCALE": "0", "NO_COLOR": "1", "ASR_JOBS_LABS": None, "ASR_JOBS_DB": None}
ANTHROPIC_TITLE = "Research Scientist, Audio and Speech"


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory) -> Path:
    """The demo's database (every bundled recording replayed, matched), made once by `asr-jobs demo`."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    result = CliRunner().invoke(cli, ["demo", "--db", str(path)], env=ENV)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def db(demo_template, tmp_path, monkeypatch) -> Path:
    """A fresh copy of the demo's database for one test (tracking writes to it)."""
    monkeypatch.setenv("ASR_JOBS_PROFILES", str(tmp_path / "user-profiles"))
    return copy_db(demo_template, tmp_path / "jobs.db")


def copy_db(source: Path, path: Path) -> Path:
    """A copy of a database in WAL mode (its -wal file included, as SQLite's backup reads it)."""
    with sqlite3.connect(source) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    return path


def run(*args: str, ok: bool = True):
    result = CliRunner().invoke(cli, list(args), env=ENV)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def jobs(db: Path, *args: str) -> list[dict]:
    return json.loads(run("jobs", "--db", str(db), "--limit", "0", "--json", *args).stdout)


def posting_id(db: Path, lab: str, title: str) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id FROM postings WHERE lab = ? AND title = ?", [lab, title]).fetchone()[0]


def postings(db: Path, where: str = "1") -> dict[str, dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return {r["id"]: dict(r) for r in conn.execute(
            f"SELECT p.*, l.category FROM postings p LEFT JOIN labs l ON l.name = p.lab WHERE {where}")}


def test_mark_then_jobs_tracked_lists_it_with_its_status(db):
    top = jobs(db)[:3]
    out = run("mark", top[0]["id"][:6], "applied", "--note", "referred by Ana", "--db", str(db)).stdout
    assert f"{top[0]['title']} ({top[0]['lab']}): applied" in out
    run("mark", top[1]["id"], "interested", "--db", str(db))
    applied = jobs(db, "--tracked", "applied")
    assert [(r["id"], r["tracked"], r["note"]) for r in applied] == [(top[0]["id"], "applied", "referred by Ana")]
    both = jobs(db, "--tracked", "applied", "--tracked", "interested")
    assert {r["id"] for r in both} == {top[0]["id"], top[1]["id"]}
    table = run("jobs", "--db", str(db), "--limit", "3").stdout
    assert "tracked" in table and "applied" in table and "interested" in table
    assert "tracked" not in run("jobs", "--db", str(db), "--limit", "3", "--lab", "mit-csail").stdout
    # --status is still the posting's state on its career site, beside --tracked
    assert jobs(db, "--status", "closed", "--tracked", "applied") == []


def test_every_change_is_kept_and_tracked_lists_the_latest(db):
    pid = jobs(db)[0]["id"]
    run("mark", pid, "applied", "--note", "sent CV", "--db", str(db))
    again = run("mark", pid, "interviewing", "--db", str(db)).stdout
    assert "interviewing (was applied)" in again
    listed = json.loads(run("tracked", "--db", str(db), "--json").stdout)
    assert [(r["id"], r["tracked"], r["note"]) for r in listed] == [(pid, "interviewing", "sent CV")]
    shown = json.loads(run("show", pid[:8], "--db", str(db), "--json").stdout)
    assert [(c["status"], c["note"]) for c in shown["tracking"]] == [("applied", "sent CV"), ("interviewing", None)]
    assert "Tracking" in run("show", pid[:8], "--db", str(db)).stdout


def test_hidden_and_rejected_postings_leave_jobs_until_all(db):
    every = jobs(db)
    hidden, rejected = every[0]["id"], every[1]["id"]
    run("mark", hidden, "hidden", "--db", str(db))
    run("mark", rejected, "rejected", "--db", str(db))
    shown = {r["id"] for r in jobs(db)}
    assert hidden not in shown and rejected not in shown and len(shown) == len(every) - 2
    assert {hidden, rejected} <= {r["id"] for r in jobs(db, "--all")}
    assert [r["id"] for r in jobs(db, "--tracked", "hidden")] == [hidden]
    run("mark", hidden, "interested", "--db", str(db))  # changing one's mind brings it back
    assert hidden in {r["id"] for r in jobs(db)}


def test_mark_rejects_unknown_postings_and_statuses(db):
    assert "no posting with id" in run("mark", "ffffffffff", "applied", "--db", str(db), ok=False).output
    wrong = run("mark", jobs(db)[0]["id"], "ghosted", "--db", str(db), ok=False)
    assert wrong.exit_code == 2 and "interviewing" in wrong.output


def test_each_filter_returns_only_matching_rows(db):
    every = jobs(db)
    stored = postings(db)
    assert len(every) > 20

    def check(args: tuple[str, ...], keep) -> None:
        rows = jobs(db, *args)
        expected = {r["id"] for r in every if keep(stored[r["id"]])}
        assert rows and {r["id"] for r in rows} == expected, args
        assert len(expected) < len(every), args  # the filter left something out

    check(("--location", "london"), lambda p: "london" in (p["location"] or "").lower())
    check(("--remote",), lambda p: p["workplace"] == "remote" or "remote" in (p["location"] or "").lower())
    yearly = {"hour": 2080, "month": 12}

    def pay(p):
        top = p["salary_max"] if p["salary_max"] is not None else p["salary_min"]
        return None if top is None else top * yearly.get(p["salary_period"], 1)

    check(("--min-salary", "250000"), lambda p: pay(p) is not None and pay(p) >= 250000)
    check(("--min-salary", "250000", "--include-unpaid"), lambda p: pay(p) is None or pay(p) >= 250000)
    check(("--seniority", "intern"), lambda p: p["seniority"] == "intern")
    check(("--seniority", "intern", "--seniority", "postdoc"), lambda p: p["seniority"] in ("intern", "postdoc"))
    check(("--category", "academic"), lambda p: p["category"] == "academic")
    check(("--search", "diarization"), lambda p: "diariz" in (p["title"] + (p["description"] or "")).lower())
    check(("--lab", "nvidia", "--remote"), lambda p: p["lab"] == "nvidia" and p["workplace"] == "remote")


def test_since_counts_days_from_first_seen(db):
    assert len(jobs(db, "--since", "1")) == len(jobs(db))
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE postings SET first_seen = '2020-01-01T00:00:00+00:00' WHERE lab = 'nvidia'")
    recent = jobs(db, "--since", "30")
    assert recent and all(r["lab"] != "nvidia" for r in recent)
    assert {r["lab"] for r in jobs(db, "--since", "100000")} >= {"nvidia"}


def test_bad_filter_values_are_refused(db):
    assert run("jobs", "--db", str(db), "--include-unpaid", ok=False).exit_code == 2
    assert run("jobs", "--db", str(db), "--category", "government", ok=False).exit_code == 2
    assert run("jobs", "--db", str(db), "--seniority", "wizard", ok=False).exit_code == 2
    # FTS syntax in what a user types is text, not an error
    assert run("jobs", "--db", str(db), "--search", 'speech" OR (', "--json").exit_code == 0


def test_show_open_opens_the_posting_in_the_browser(db, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url) or True)
    top = jobs(db)[0]
    result = run("show", top["id"][:6], "--open", "--db", str(db))
    assert opened == [top["url"]] and top["title"] in result.stdout


def modified_recording(tmp_path: Path) -> Path:
    """The anthropic recording with the audio posting's title changed, as a later scrape would see it."""
    har = json.loads((DEMO_HARS / "anthropic.har").read_text(encoding="utf-8"))
    changed = 0
    for entry in har["log"]["entries"]:
        content = entry["response"]["content"]
        if ANTHROPIC_TITLE in content.get("text", ""):
            content["text"] = content["text"].replace(ANTHROPIC_TITLE, f"Senior {ANTHROPIC_TITLE}")
            changed += 1
    assert changed
    path = tmp_path / "anthropic-later.har"
    path.write_text(json.dumps(har), encoding="utf-8")
    return path


def test_tracking_survives_profiles_build_refit_and_a_rescrape_that_changes_the_posting(db, tmp_path):
    pid = posting_id(db, "anthropic", ANTHROPIC_TITLE)
    run("mark", pid, "applied", "--note", "recruiter call", "--db", str(db))
    snapshot = tmp_path / "snap.txt"
    snapshot.write_text("Snapshot\nTop Skills\n- Streaming: RNN-T and CTC\nBreakdown by level:\n"
                        "- Research Scientist (PhD): $200K-$280K - Independent research\n", encoding="utf-8")
    run("profiles", "build", str(snapshot))
    run("match", "--refit", "--db", str(db))
    assert [r["id"] for r in jobs(db, "--tracked", "applied")] == [pid]
    later = run("update", "anthropic", "--db", str(db), "--replay", str(modified_recording(tmp_path)))
    assert f"Senior {ANTHROPIC_TITLE} (anthropic): changed: title" in later.stderr
    listed = json.loads(run("tracked", "--db", str(db), "--json").stdout)
    assert [(r["id"], r["tracked"], r["title"], r["note"], r["changes"]) for r in listed] == [
        (pid, "applied", f"Senior {ANTHROPIC_TITLE}", "recruiter call", "changed: title")]
    assert [r["id"] for r in jobs(db, "--tracked", "applied")] == [pid]
    time.sleep(1.1)  # times are to the second: a change in the mark's own second still counts as after it
    run("mark", pid, "interviewing", "--db", str(db))  # seen: a new mark clears what changed before it
    assert json.loads(run("tracked", "--db", str(db), "--json").stdout)[0]["changes"] == ""


def test_tracked_says_when_a_posting_closed(db):
    pid = posting_id(db, "anthropic", ANTHROPIC_TITLE)
    run("mark", pid, "applied", "--db", str(db), "--note", "x")
    with sqlite3.connect(db) as conn:  # what store.close does after a complete scrape no longer lists it
        conn.execute("UPDATE postings SET status = 'closed', closed_at = '2099-01-02T00:00:00+00:00' WHERE id = ?",
                     [pid])
        conn.execute("INSERT INTO posting_versions (posting_id, changed_at, field, old, new) "
                     "VALUES (?, '2099-01-02T00:00:00+00:00', 'status', 'open', 'closed')", [pid])
    table = run("tracked", "--db", str(db)).stdout
    assert "closed 2099-01-02" in table


def test_export_and_restore_round_trip(db, demo_template, tmp_path):
    every = jobs(db)
    run("mark", every[0]["id"], "applied", "--note", "via the site", "--db", str(db))
    run("mark", every[0]["id"], "offer", "--note", "é 🎉", "--db", str(db))
    run("mark", every[1]["id"], "hidden", "--db", str(db))
    out = tmp_path / "mine.json"
    assert "3 applications rows" in run("export", str(out), "--db", str(db)).stdout
    fresh = copy_db(demo_template, tmp_path / "fresh.db")
    restored = run("restore", str(out), "--db", str(fresh)).stdout
    assert "3 application history rows added" in restored
    assert "0 application history rows added; 3 already there" in run("restore", str(out), "--db", str(fresh)).stdout
    for path in (db, fresh):
        listed = json.loads(run("tracked", "--db", str(path), "--json").stdout)
        assert [(r["id"], r["tracked"], r["note"]) for r in listed] == [
            (every[0]["id"], "offer", "é 🎉"), (every[1]["id"], "hidden", None)]
    empty = tmp_path / "empty.db"  # before any scrape: kept, shown once the postings come
    assert "2 postings not in this database yet" in run("restore", str(out), "--db", str(empty)).stdout


def test_restore_refuses_other_files_without_creating_a_database(tmp_path):
    other = tmp_path / "postings.json"
    other.write_text('[{"title": "x"}]', encoding="utf-8")
    result = run("restore", str(other), "--db", str(tmp_path / "new.db"), ok=False)
    assert result.exit_code == 1 and "not an asr-jobs export" in result.output and str(other) in result.output
    assert not (tmp_path / "new.db").exists()


def test_datasette_shows_status_notes_and_history_read_only(db):
    pid = posting_id(db, "anthropic", ANTHROPIC_TITLE)
    run("mark", pid, "applied", "--note", "<b>call back</b>", "--db", str(db))
    run("mark", pid, "interviewing", "--db", str(db))
    ds = browse.build_datasette(db)

    async def fetch() -> tuple[dict, dict, str, int]:
        ranked = (await ds.client.get("/jobs/ranked_matches.json?_shape=objects&tracked=interviewing"
                                      "&_facet=tracked")).json()
        mine = (await ds.client.get("/jobs/my_applications.json?_shape=objects")).json()
        page = (await ds.client.get(f"/jobs/postings/{pid}")).text
        write = (await ds.client.post("/jobs/applications/-/insert", json={"row": {}})).status_code
        return ranked, mine, page, write

    ranked, mine, page, write = asyncio.run(fetch())
    assert ranked["rows"] and {(r["posting_id"], r["note"]) for r in ranked["rows"]} == {(pid, "<b>call back</b>")}
    assert "tracked" in ranked["facet_results"]
    assert [(r["posting_id"], r["tracked"], r["note"]) for r in mine["rows"]] == [
        (pid, "interviewing", "<b>call back</b>")]
    assert "Your application history" in page and "&lt;b&gt;call back&lt;/b&gt;" in page
    # Its scores and their explanations, as `show` prints them: the best profile first.
    assert "<h2>Scores</h2>" in page and page.index("<h2>Scores</h2>") < page.index("Your application history")
    best = asyncio.run(ds.client.get(f"/jobs/matches.json?_shape=objects&posting_id={pid}&_sort_desc=score")).json()
    assert best["rows"] and f"<td>{best['rows'][0]['profile']}</td>" in page
    assert page.index(">applied<") < page.index(">interviewing<")
    assert write == 405


def test_a_version_2_database_gains_the_applications_table_on_open(db):
    with sqlite3.connect(db) as conn:  # as the previous release left it: no applications, views without tracked
        conn.execute("DROP VIEW ranked_matches")
        conn.execute("DROP TABLE applications")
        conn.execute("PRAGMA user_version = 2")
    top = jobs(db)[0]  # reading opens it: upgraded, its postings and matches kept
    assert top["tracked"] is None
    run("mark", top["id"], "offer", "--db", str(db))
    assert [r["id"] for r in jobs(db, "--tracked", "offer")] == [top["id"]]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 3
