"""Posting lifecycle in the store: new, updated with versions, closed, reopened, uncertain, drop guard."""

import pytest

from asr_jobs.db import store
from asr_jobs.models import Posting


@pytest.fixture
def fresh_db():
    return store.open_db(None)


def posting(source_id: str, title: str = "Research Scientist, Speech", **kw) -> Posting:
    return Posting(lab="acme", source_id=source_id, title=title, url=f"https://acme.example/jobs/{source_id}",
                   description=kw.pop("description", "Speech recognition research."), **kw)


def statuses(db):
    return {r["source_id"]: r["status"] for r in db.query("SELECT source_id, status FROM postings ORDER BY source_id")}


def test_rescrape_of_same_postings_duplicates_nothing(fresh_db):
    batch = [posting("1"), posting("2")]
    store.save_scrape(fresh_db, "acme", batch, complete=True, now="2026-11-01T00:00:00+00:00")
    result = store.save_scrape(fresh_db, "acme", batch, complete=True, now="2026-11-02T00:00:00+00:00")
    assert (result.new, result.updated, result.unchanged, result.closed) == (0, 0, 2, 0)
    assert fresh_db["postings"].count == 2
    row = fresh_db["postings"].get(batch[0].id)
    assert row["first_seen"] == "2026-11-01T00:00:00+00:00" and row["last_seen"] == "2026-11-02T00:00:00+00:00"


def test_changed_posting_keeps_a_version_per_field(fresh_db):
    store.save_scrape(fresh_db, "acme", [posting("1")], complete=True, now="2026-11-01T00:00:00+00:00")
    changed = posting("1", title="Senior Research Scientist, Speech", location="Paris")
    result = store.save_scrape(fresh_db, "acme", [changed], complete=True, now="2026-11-03T00:00:00+00:00")
    assert result.updated == 1
    versions = {r["field"]: (r["old"], r["new"]) for r in fresh_db["posting_versions"].rows}
    assert versions == {"title": ("Research Scientist, Speech", "Senior Research Scientist, Speech"),
                        "location": (None, "Paris")}
    assert fresh_db["postings"].get(changed.id)["title"] == "Senior Research Scientist, Speech"


def test_complete_scrape_closes_unseen_and_reopens_on_return(fresh_db):
    store.save_scrape(fresh_db, "acme", [posting(str(i)) for i in range(4)], complete=True, now="t1")
    result = store.save_scrape(fresh_db, "acme", [posting(str(i)) for i in range(3)], complete=True, now="t2")
    assert result.closed == 1
    assert statuses(fresh_db)["3"] == "closed"
    assert fresh_db["postings"].get(posting("3").id)["closed_at"] == "t2"
    result = store.save_scrape(fresh_db, "acme", [posting(str(i)) for i in range(4)], complete=True, now="t3")
    assert result.reopened == 1
    row = fresh_db["postings"].get(posting("3").id)
    assert (row["status"], row["closed_at"], row["reopened_at"]) == ("open", None, "t3")


def test_partial_scrape_closes_nothing_and_marks_unseen_uncertain(fresh_db):
    store.save_scrape(fresh_db, "acme", [posting(str(i)) for i in range(4)], complete=True, now="t1")
    result = store.save_scrape(fresh_db, "acme", [posting("0"), posting("1"), posting("2")], complete=False, now="t2")
    assert (result.closed, result.uncertain) == (0, 1)
    assert statuses(fresh_db) == {"0": "open", "1": "open", "2": "open", "3": "uncertain"}


def test_sudden_drop_is_suspicious_and_closes_nothing(fresh_db):
    store.save_scrape(fresh_db, "acme", [posting(str(i)) for i in range(10)], complete=True, now="t1")
    result = store.save_scrape(fresh_db, "acme", [posting("0")], complete=True, now="t2")
    assert result.suspicious and "returned 1 postings where 10 were open" in result.suspicious
    assert result.closed == 0 and "closed" not in statuses(fresh_db).values()
    result = store.save_scrape(fresh_db, "acme", [posting("0")], complete=True, accept_drop=True, now="t3")
    assert result.closed == 9


def test_empty_scrape_is_suspicious(fresh_db):
    store.save_scrape(fresh_db, "acme", [posting("0"), posting("1")], complete=True, now="t1")
    result = store.save_scrape(fresh_db, "acme", [], complete=True, now="t2")
    assert result.suspicious and result.closed == 0


def test_other_labs_are_never_touched(fresh_db):
    other = Posting(lab="other", source_id="9", title="Speech Scientist", url="https://o.example/9")
    store.save_scrape(fresh_db, "other", [other], complete=True, now="t1")
    store.save_scrape(fresh_db, "acme", [posting("1")], complete=True, now="t1")
    store.save_scrape(fresh_db, "acme", [posting("2"), posting("1")], complete=True, now="t2")
    assert fresh_db["postings"].get(other.id)["status"] == "open"


def test_failed_scrape_marks_open_postings_uncertain(fresh_db):
    store.save_scrape(fresh_db, "acme", [posting("1"), posting("2")], complete=True, now="t1")
    assert store.mark_uncertain(fresh_db, "acme") == 2
    assert set(statuses(fresh_db).values()) == {"uncertain"}
    store.save_scrape(fresh_db, "acme", [posting("1"), posting("2")], complete=True, now="t2")
    assert set(statuses(fresh_db).values()) == {"open"}


def test_full_text_search_finds_postings(fresh_db):
    store.save_postings(fresh_db, [posting("1", description="Conformer transducers for streaming ASR"),
                                   posting("2", title="Recruiter", description="Hiring people")])
    hits = [r["title"] for r in fresh_db["postings"].search("transducers")]
    assert hits == ["Research Scientist, Speech"]


def test_listing_key_round_trips_to_previous_postings(fresh_db):
    p = posting("1", extra={"listing_key": "k1", "req": "R-1"})
    store.save_postings(fresh_db, [p])
    previous, keys = store.previous_postings(fresh_db, "acme")
    assert keys == {"1": "k1"}
    assert previous["1"].extra == {"listing_key": "k1", "req": "R-1"}
    assert previous["1"].content_hash() == p.content_hash()
