"""Store paths that matter at scale: streamed JSON-lines import, full-text index only re-indexed on text changes."""

import gzip
import json

import pytest

from asr_jobs.db import store
from asr_jobs.ingest import import_file
from asr_jobs.models import ParseError, Posting
from asr_jobs.readers import jsonl_batches
from asr_jobs.scrapers.registry import ad_hoc_lab

pytestmark = pytest.mark.slow


def search(db, word: str) -> list[str]:
    return [r[0] for r in db.execute(
        "SELECT p.source_id FROM postings_fts f JOIN postings p ON p.rowid = f.rowid WHERE postings_fts MATCH ?",
        [word])]


def test_text_changes_reach_the_full_text_index_and_touches_do_not_reindex():
    db = store.open_db(None)
    first = Posting(lab="acme", source_id="1", title="Speech Scientist", url="https://x/1", description="beamforming")
    with store.write_transaction(db):
        store.save_postings(db, [first], now="2026-11-01T00:00:00+00:00")
    assert search(db, "beamforming") == ["1"]
    changed = Posting(lab="acme", source_id="1", title="Speech Scientist", url="https://x/1", description="diarization")
    with store.write_transaction(db):
        store.save_postings(db, [changed], now="2026-11-02T00:00:00+00:00")
    assert search(db, "diarization") == ["1"] and search(db, "beamforming") == []
    trigger = db.execute("SELECT sql FROM sqlite_master WHERE name = 'postings_au'").fetchone()[0]
    assert 'AFTER UPDATE OF "title", "description"' in trigger  # last_seen and status updates leave the index alone


def test_an_old_database_gets_the_narrow_update_trigger(tmp_path):
    path = tmp_path / "old.db"
    db = store.open_db(path)
    db.execute("DROP TRIGGER postings_au")
    db.execute('CREATE TRIGGER "postings_au" AFTER UPDATE ON "postings" BEGIN SELECT 1; END')
    db.conn.commit()
    db.conn.close()
    trigger = store.open_db(path).execute("SELECT sql FROM sqlite_master WHERE name = 'postings_au'").fetchone()[0]
    assert "UPDATE OF" in trigger


def test_json_lines_are_imported_in_batches_in_one_transaction(tmp_path, monkeypatch):
    monkeypatch.setattr("asr_jobs.readers.BATCH", 3)
    rows = [{"id": f"p{i}", "title": f"Speech Scientist {i}", "description": "ASR research", "url": f"https://x/{i}"}
            for i in range(7)]
    path = tmp_path / "corpus.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in rows).encode()))
    lab = ad_hoc_lab("remote")
    assert [len(batch) for batch in jsonl_batches(path, lab)] == [3, 3, 1]
    db = store.open_db(None)
    imported = import_file(db, path, lab)  # detected as JSON lines from its first two lines
    result = imported.saved
    assert (imported.format, result.seen, result.new) == ("jsonl", 7, 7)
    assert db["postings"].count == 7 and len(result.new_ids) == 7
    again = import_file(db, path, lab).saved
    assert (again.seen, again.new, again.unchanged) == (7, 0, 7)


def test_a_bad_line_imports_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr("asr_jobs.readers.BATCH", 2)
    good = [json.dumps({"id": f"p{i}", "title": "Scientist"}) for i in range(4)]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([*good, "{not json"]) + "\n")
    db = store.open_db(None)
    with pytest.raises(ParseError, match="line 5: invalid JSON"):
        import_file(db, path, ad_hoc_lab("remote"))
    assert db["postings"].count == 0
