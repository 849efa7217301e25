"""Matching after a scrape that added a few postings: only what changed is scored, with the stored fit."""

from __future__ import annotations

import dataclasses

import pytest

from asr_jobs.db.store import open_db, save_postings, write_transaction
from asr_jobs.enrich import posting_fields
from asr_jobs.matcher import Settings, incremental, match_db
from asr_jobs.models import Posting
from asr_jobs.profiles import load_profiles

TEXTS = [
    ("Research Scientist, Speech Recognition", "End-to-end ASR with Conformer and RNN-T, streaming decoding, "
     "self-supervised pretraining. Publish at Interspeech and ICASSP."),
    ("Senior Research Engineer, TTS", "Text-to-speech models and neural vocoders, expressive speech synthesis."),
    ("Speech Research Intern", "Internship on streaming ASR with RNN-T and CTC, on-device latency, quantization."),
    ("Research Scientist, Computer Vision", "Image segmentation and video models; publish at CVPR and NeurIPS."),
    ("Senior Backend Engineer", "Go microservices, Kubernetes, PostgreSQL, REST APIs, on-call rotation."),
    ("Multilingual ASR Researcher", "Low-resource and code-switching speech recognition for 100 languages."),
]


def posting(number: int, text: int | None = None) -> Posting:
    title, description = TEXTS[number % len(TEXTS) if text is None else text]
    return Posting(lab="acme", source_id=f"p{number}", title=title, url=f"https://acme.example/{number}",
                   description=description)


def save(db, postings: list[Posting]) -> None:
    with write_transaction(db):
        save_postings(db, postings, fields={p.id: posting_fields(p) for p in postings})


def table(db) -> dict[tuple[str, str], tuple[float, int, str]]:
    return {(r[0], r[1]): (r[2], r[3], r[4])
            for r in db.execute("SELECT profile, posting_id, score, rank, matched_at FROM matches")}


@pytest.fixture()
def db():
    database = open_db(None)
    save(database, [posting(n) for n in range(60)])
    return database


@pytest.fixture(scope="module")
def profiles():
    return load_profiles()


def test_nothing_changed_writes_nothing(db, profiles):
    first = match_db(db, profiles, now="t1")
    assert first.mode == "full" and "first match" in first.note
    before = table(db)
    again = match_db(db, profiles, now="t2")
    assert again.mode == "incremental" and "0 new or changed and 0 closed" in again.note
    assert table(db) == before and dict(again) == dict(first)


def test_new_changed_and_closed_postings_only(db, profiles):
    match_db(db, profiles, now="t1")
    before = table(db)
    # p100 has the very text of p0 (speech recognition); p1's text changes; p4 closes.
    save(db, [posting(100, text=0), Posting(lab="acme", source_id="p1", title="Speech Recognition Scientist",
                                            url="https://acme.example/1", description=TEXTS[0][1])])
    with write_transaction(db):
        db.execute("UPDATE postings SET status = 'closed' WHERE source_id = 'p4'")
    summary = match_db(db, profiles, now="t2")
    assert summary.mode == "incremental" and "2 new or changed and 1 closed" in summary.note
    after = table(db)
    ids = {r[0]: r[1] for r in db.execute("SELECT source_id, id FROM postings")}
    for profile in profiles:
        # The same text scores the same as before: the stored vocabulary and idf were used.
        if (profile, ids["p0"]) in before:
            assert after[(profile, ids["p100"])][0] == before[(profile, ids["p0"])][0]
        assert (profile, ids["p4"]) not in after
        ranked = sorted(((rank, -score, pid) for (p, pid), (score, rank, _) in after.items() if p == profile))
        assert [r[0] for r in ranked] == list(range(1, len(ranked) + 1))  # 1, 2, ... with no gaps
        assert ranked == sorted(ranked, key=lambda r: (r[1], r[2]))  # by score, ties by posting id
    # Untouched postings keep their rows (scores and the time they were scored).
    untouched = {k: v for k, v in before.items() if k[1] not in (ids["p1"], ids["p4"])}
    assert all(after[k][0] == v[0] and after[k][2] == "t1" for k, v in untouched.items())
    assert all(after[k][2] == "t2" for k in after if k[1] in (ids["p100"], ids["p1"]))


def test_enough_change_refits_and_says_why(db, profiles):
    match_db(db, profiles, now="t1")
    save(db, [posting(n) for n in range(200, 204)])  # 4 of 60: under 10%
    assert match_db(db, profiles).mode == "incremental"
    save(db, [posting(n) for n in range(300, 304)])  # 8 of 60 since the fit: over 10%
    summary = match_db(db, profiles)
    assert summary.mode == "full" and "8 postings new, changed or closed" in summary.note and "over 10%" in summary.note
    assert incremental.load_state(db)["documents"] == 68 and incremental.load_state(db)["changed_since_fit"] == 0


def test_changed_profiles_rescore_changed_settings_refit_and_partial_runs_forget(db, profiles):
    match_db(db, profiles)
    edited = dict(profiles)
    name = next(iter(edited))
    edited[name] = dataclasses.replace(edited[name], text="kubernetes postgresql go")
    rescored = match_db(db, edited)
    assert rescored.mode == "rescore" and "profiles changed since the fit on 60 postings" in rescored.note
    refitted = match_db(db, edited, settings=Settings(rest_weight=0.5))
    assert refitted.mode == "full" and "vocabulary or settings changed" in refitted.note
    match_db(db, profiles, [name])  # some profiles only: fitted apart, the stored fit is dropped
    assert incremental.load_state(db) is None
    assert match_db(db, profiles).mode == "full"
    assert "refit as asked" in match_db(db, profiles, refit=True).note
