"""Posting lifecycle across repeated scrapes: gone details, drop guard, status history, sanitizing, stale runs."""

import os
import sqlite3
import subprocess
import sys

import pytest

from asr_jobs.db import store
from asr_jobs.models import Posting


def posting(source_id: str, title: str = "Research Scientist, Speech", **kw) -> Posting:
    return Posting(lab="acme", source_id=source_id, title=title, url=kw.pop("url", f"https://acme.example/jobs/{source_id}"),
                   description=kw.pop("description", "Speech recognition research."), **kw)


def statuses(db) -> dict[str, str]:
    return {r["source_id"]: r["status"] for r in db.query("SELECT source_id, status FROM postings")}


def history(db, source_id: str) -> list[tuple]:
    pid = posting(source_id).id
    return [(r["changed_at"], r["field"], r["old"], r["new"])
            for r in db.query("SELECT * FROM posting_versions WHERE posting_id = ? ORDER BY id", [pid])]


@pytest.fixture
def db():
    return store.open_db(None)


def test_lifecycle_over_a_sequence_of_changing_scrapes(db):
    """open -> changed (versions) -> failed (uncertain) -> closed -> reopened, each step checked."""
    four = [posting(str(i)) for i in range(4)]
    store.save_scrape(db, "acme", four, complete=True, now="t1")
    changed = [posting("0", title="Senior Research Scientist, Speech", salary_min=150000.0, salary_max=200000.0,
                       salary_currency="USD", salary_period="year", location="Paris"),
               *four[1:]]
    result = store.save_scrape(db, "acme", changed, complete=True, now="t2")
    assert (result.updated, result.unchanged, result.closed) == (1, 3, 0)
    assert {(f, o, n) for _, f, o, n in history(db, "0")} == {
        ("title", "Research Scientist, Speech", "Senior Research Scientist, Speech"), ("location", None, "Paris"),
        ("salary_min", None, "150000"), ("salary_max", None, "200000"), ("salary_currency", None, "USD"),
        ("salary_period", None, "year")}
    assert store.mark_uncertain(db, "acme") == 4  # a failed run: nothing could be checked
    assert set(statuses(db).values()) == {"uncertain"}
    result = store.save_scrape(db, "acme", changed[:3], complete=True, now="t3")
    assert result.closed == 1 and statuses(db) == {"0": "open", "1": "open", "2": "open", "3": "closed"}
    assert history(db, "3") == [("t3", "status", "uncertain", "closed")]
    result = store.save_scrape(db, "acme", changed, complete=True, now="t4")
    assert result.reopened == 1
    row = db["postings"].get(posting("3").id)
    assert (row["status"], row["closed_at"], row["reopened_at"], row["first_seen"]) == ("open", None, "t4", "t1")
    assert history(db, "3")[-1] == ("t4", "status", "closed", "open")
    assert db["postings"].count == 4  # nothing is ever deleted


def test_gone_detail_closes_even_in_a_partial_scrape(db):
    store.save_scrape(db, "acme", [posting(str(i)) for i in range(4)], complete=True, now="t1")
    listed = [posting(str(i)) for i in range(4)]  # the listing still shows 3, but its page answered 404
    result = store.save_scrape(db, "acme", listed, complete=False, gone=["3"], now="t2")
    assert (result.closed, result.uncertain, result.seen) == (1, 0, 3)
    row = db["postings"].get(posting("3").id)
    assert (row["status"], row["closed_at"]) == ("closed", "t2")


def test_gone_detail_of_a_new_posting_stores_nothing(db):
    store.save_scrape(db, "acme", [posting("1")], complete=True, now="t1")
    result = store.save_scrape(db, "acme", [posting("1"), posting("2")], complete=True, gone=["2"], now="t2")
    assert (result.new, result.closed) == (0, 0) and db["postings"].count == 1


def test_mass_gone_details_trip_the_drop_guard(db):
    """A site answering 404 to every detail (moved paths, a WAF) must not close the lab."""
    store.save_scrape(db, "acme", [posting(str(i)) for i in range(6)], complete=True, now="t1")
    result = store.save_scrape(db, "acme", [posting(str(i)) for i in range(6)], complete=True,
                               gone=[str(i) for i in range(5)], now="t2")
    assert result.suspicious and result.closed == 0
    assert "closed" not in statuses(db).values()
    result = store.save_scrape(db, "acme", [posting(str(i)) for i in range(6)], complete=True,
                               gone=[str(i) for i in range(5)], accept_drop=True, now="t3")
    assert result.closed == 5


def test_drop_to_exactly_half_is_accepted_and_below_half_is_not(db):
    store.save_scrape(db, "acme", [posting(str(i)) for i in range(4)], complete=True, now="t1")
    result = store.save_scrape(db, "acme", [posting("0"), posting("1")], complete=True, now="t2")
    assert result.closed == 2 and not result.suspicious
    store.save_scrape(db, "acme", [posting(str(i)) for i in range(5)], complete=True, now="t3")
    result = store.save_scrape(db, "acme", [posting("0"), posting("1")], complete=True, now="t4")
    assert result.suspicious and result.closed == 0 and result.uncertain == 3


def test_first_scrape_of_an_empty_lab_is_not_suspicious(db):
    result = store.save_scrape(db, "acme", [], complete=True, now="t1")
    assert not result.suspicious and result.closed == 0


def test_hostile_text_and_urls_are_cleaned_on_the_way_in(db):
    from asr_jobs.prepare import prepare
    from asr_jobs.scrapers.registry import ad_hoc_lab

    bad = posting("1", title="Speech <script>alert(1)</script>Scientist", url="javascript:alert(1)",
                  description="Line one\n<img src=x onerror=alert(1)>Line two\x00\x07",
                  location="<b onmouseover='x()'>Paris</b>", team="<style>p{}</style>Audio")
    ingested = prepare(ad_hoc_lab("acme"), [bad])
    store.save_scrape(db, "acme", ingested.postings, complete=True, fields=ingested.fields, now="t1")
    row = db["postings"].get(bad.id)
    assert row["title"] == "Speech Scientist" and row["url"] == ""
    assert row["description"] == "Line one\nLine two" and row["location"] == "Paris" and row["team"] == "Audio"
    # The same hostile posting again is unchanged, not a new version every run.
    again = prepare(ad_hoc_lab("acme"), [bad])
    result = store.save_scrape(db, "acme", again.postings, complete=True, fields=again.fields, now="t2")
    assert result.unchanged == 1 and db["posting_versions"].count == 0


def test_stored_posting_reused_by_an_adapter_is_unchanged_even_with_pay_read_from_text(db):
    """Pay parsed from the text is derived; rebuilding the posting from its row must not make it 'changed'."""
    from asr_jobs.prepare import enrich

    p = posting("1", description="The base pay range is $150,000 - $200,000 per year.", extra={"listing_key": "k"})
    store.save_scrape(db, "acme", [p], complete=True, fields=enrich([p]), now="t1")
    row = db["postings"].get(p.id)
    assert row["salary_source"] == "text" and row["salary_min"] == 150000
    previous, _ = store.previous_postings(db, "acme")
    reused = previous["1"]
    result = store.save_scrape(db, "acme", [reused], complete=True, fields=enrich([reused]), now="t2")
    assert result.unchanged == 1 and db["posting_versions"].count == 0
    assert db["postings"].get(p.id)["salary_source"] == "text"


def test_killed_run_is_marked_interrupted_by_the_next_run(tmp_path):
    path = tmp_path / "jobs.db"
    db = store.open_db(path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = db["scrape_runs"].insert({"lab": "acme", "started_at": "t0", "status": "running",
                                      "pid": int(dead.stdout)}).last_pk
    live = store.start_run(db, "other")
    assert store.interrupt_stale_runs(db) == 1
    assert db["scrape_runs"].get(stale)["status"] == "interrupted"
    assert "killed" in db["scrape_runs"].get(stale)["error"]
    assert db["scrape_runs"].get(live)["status"] == "running" and os.getpid() == db["scrape_runs"].get(live)["pid"]


def test_open_db_is_wal_with_a_busy_timeout_and_opening_writes_nothing(tmp_path):
    path = tmp_path / "jobs.db"
    store.open_db(path)
    db = store.open_db(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == store.BUSY_TIMEOUT_MS
    # A reader holding the write lock elsewhere must not stop another process from opening the database.
    blocker = sqlite3.connect(path)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        again = store.open_db(path)
        assert again["postings"].count == 0
    finally:
        blocker.rollback()
        blocker.close()


def test_old_database_gains_new_columns(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE scrape_runs (id INTEGER PRIMARY KEY, lab TEXT, started_at TEXT, status TEXT)")
    conn.commit()
    conn.close()
    db = store.open_db(path)
    assert "pid" in db["scrape_runs"].columns_dict and "reopened_at" in db["postings"].columns_dict


def test_a_failed_save_leaves_the_lab_as_it_was(db, monkeypatch):
    store.save_scrape(db, "acme", [posting("1"), posting("2")], complete=True, now="t1")
    before = sorted((r["id"], r["status"], r["title"]) for r in db["postings"].rows)

    def explode(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "_set_status", explode)
    with pytest.raises(sqlite3.OperationalError):
        store.save_scrape(db, "acme", [posting("1", title="Changed"), posting("3")], complete=True, now="t2")
    assert sorted((r["id"], r["status"], r["title"]) for r in db["postings"].rows) == before
    assert db["posting_versions"].count == 0
