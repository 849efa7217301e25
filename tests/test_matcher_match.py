"""Scoring: per-field TF-IDF, profile vectors, match_db on an in-memory database, explanations."""

from __future__ import annotations

import json

import numpy as np
import pytest

from asr_jobs.db.store import open_db, save_postings
from asr_jobs.enrich import posting_fields
from asr_jobs.matcher import LEVEL_FIT, choose, level_fit, match_db
from asr_jobs.matcher.model import FieldVectorizer, Settings
from asr_jobs.models import Posting
from asr_jobs.profiles import Profile, load_profiles

EEO = ("Acme is an equal opportunity employer. We do not discriminate on the basis of race, religion, color, "
       "national origin, gender, sexual orientation, age, marital status, veteran status, or disability status.")


def posting(source_id: str, title: str, description: str, **kw) -> Posting:
    return Posting(lab="acme", source_id=source_id, title=title, url=f"https://acme.example/jobs/{source_id}",
                   description=description, **kw)


POSTINGS = [
    posting("asr", "Research Scientist, Speech Recognition",
            "Research on end-to-end ASR: Conformer and RNN-T models, streaming decoding, self-supervised "
            "pretraining (wav2vec 2.0, HuBERT). Publish at Interspeech and ICASSP. PhD in speech processing.\n"
            + EEO),
    posting("tts", "Senior Research Engineer, TTS",
            "Build text-to-speech models and neural vocoders; research on expressive speech synthesis.\n" + EEO),
    posting("slp", "Speech-Language Pathologist",
            "Licensed speech-language pathologist for pediatric speech therapy sessions.\n" + EEO),
    posting("backend", "Senior Backend Engineer",
            "Go microservices, Kubernetes, PostgreSQL, REST APIs, on-call rotation.\n" + EEO),
    posting("vision", "Research Scientist, Computer Vision",
            "Research on image segmentation and video models; publish at CVPR and NeurIPS. PhD preferred.\n" + EEO),
    posting("stream", "Streaming Data Engineer",
            "Kafka streaming pipelines, low latency, real-time analytics dashboards.\n" + EEO),
    posting("intern", "Speech Research Intern",
            "Internship on streaming ASR with RNN-T and CTC, on-device latency, quantization.\n" + EEO),
    posting("closed", "Principal Research Scientist, Speech", "Speech recognition research leadership."),
]


@pytest.fixture()
def db():
    database = open_db(None)
    save_postings(database, POSTINGS, fields={p.id: posting_fields(p) for p in POSTINGS})
    database.execute("UPDATE postings SET status = 'closed' WHERE source_id = 'closed'")
    return database


def ranked(db, profile: str) -> list[str]:
    sql = """SELECT p.source_id FROM matches m JOIN postings p ON p.id = m.posting_id
             WHERE m.profile = ? ORDER BY m.rank"""
    return [r["source_id"] for r in db.query(sql, [profile])]


def test_match_db_ranks_speech_research_first(db):
    profiles = load_profiles()
    summary = match_db(db, profiles, ["asr-research", "streaming"], now="2026-01-01T00:00:00+00:00")
    assert summary.postings == 7  # the closed posting is not scored
    assert set(summary) == {"asr-research", "streaming"}
    order = ranked(db, "asr-research")
    assert order[:3] == ["asr", "tts", "intern"] or order[:3] == ["asr", "intern", "tts"]
    assert ("slp" not in order or order.index("slp") > 2) and "closed" not in order
    # Nothing in common but "senior" and "engineer": last, or under MIN_SCORE and not stored at all.
    assert "backend" not in order[:-1]
    assert summary["asr-research"] == len(order)
    rows = list(db.query("SELECT rank, score, terms, matched_at FROM matches WHERE profile = 'asr-research' "
                         "ORDER BY rank"))
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(a["score"] >= b["score"] for a, b in zip(rows, rows[1:], strict=False))
    assert rows[0]["matched_at"] == "2026-01-01T00:00:00+00:00"
    assert summary.top["asr-research"][0][1] == rows[0]["score"]


def test_explanations_name_the_terms_and_their_share(db):
    match_db(db, load_profiles(), ["asr-research"])
    terms = json.loads(db.execute("SELECT terms FROM matches WHERE profile = 'asr-research' AND rank = 1")
                       .fetchone()[0])
    names = [entry[0] for entry in terms if len(entry) == 2]
    shares = [entry[1] for entry in terms if len(entry) == 2]
    assert "speech" in names and "ASR" in names
    assert shares == sorted(shares, reverse=True) and 0 < sum(shares) <= 1.0001


def test_skill_profiles_stay_within_the_field(db):
    match_db(db, load_profiles(), ["streaming"])
    order = ranked(db, "streaming")
    # Kafka streaming says "streaming" most, but it is not speech research.
    assert set(order[:2]) == {"asr", "intern"} and order.index("stream") == 2


def test_rerun_replaces_a_profiles_rows(db):
    profiles = load_profiles()
    match_db(db, profiles, ["asr-research"])
    assert "tts" in ranked(db, "asr-research")
    db.execute("UPDATE postings SET status = 'closed' WHERE source_id = 'tts'")
    match_db(db, profiles, ["asr-research"])
    # No row of the first run is left: every stored match is one of the new ranking (a posting near
    # MIN_SCORE may cross it when the refit's idf changes, so the counts of the two runs may differ by more).
    after = ranked(db, "asr-research")
    assert "tts" not in after and db["matches"].count == len(after)


def test_level_profiles_prefer_their_level(db):
    match_db(db, load_profiles(), ["senior-research-scientist", "research-scientist"])
    assert ranked(db, "senior-research-scientist")[0] == "tts"
    assert ranked(db, "research-scientist")[0] == "asr"


def test_level_fit():
    assert level_fit("senior", "senior") == LEVEL_FIT["same"]
    assert level_fit("senior", "principal-staff") == LEVEL_FIT["adjacent"]
    assert level_fit("senior", "") == LEVEL_FIT["unknown"]
    assert level_fit("senior", "intern") == LEVEL_FIT["other"]


def test_unknown_profile_names():
    with pytest.raises(ValueError, match="unknown profile.*nope.*known: asr-research"):
        choose(load_profiles(), ["nope"])
    with pytest.raises(ValueError, match="no profiles"):
        choose({}, None)


def test_within_a_missing_profile(db):
    mine = Profile(name="mine", text="streaming speech", within="elsewhere")
    with pytest.raises(ValueError, match="'mine' is within 'elsewhere', which is not loaded"):
        match_db(db, {"mine": mine})


def test_user_weights_change_the_ranking(db):
    plain = Profile(name="me", text="research scientist")
    vision = Profile(name="me", text="research scientist", weights={"computer vision": 5, "CVPR": 5})
    match_db(db, {"me": plain})
    first = ranked(db, "me")[0]
    match_db(db, {"me": vision})
    assert ranked(db, "me")[0] == "vision" and first in ("asr", "vision")


def test_vectorizer_fields_and_weights():
    rows = [("Speech", "alpha beta gamma delta epsilon\n## Benefits\nspeech speech speech"),
            ("Backend Engineer", "We do research on speech.")]
    vectorizer = FieldVectorizer()
    counts = vectorizer.fit(rows)
    speech = vectorizer.columns("speech")[0]
    assert counts.title[0, speech] == 1 and counts.role[1, speech] == 1 and counts.rest[0, speech] == 3
    default = vectorizer.combine(counts)
    no_title = vectorizer.combine(counts, Settings(title_apart=False))
    assert np.allclose(np.asarray((default.multiply(default)).sum(axis=1)).ravel(), 1.0)
    # Apart, the title weighs as much as all the role text; merged into it, it is one word among six.
    assert default[0, speech] > no_title[0, speech]
    with pytest.raises(ValueError, match="not fitted"):
        FieldVectorizer().profile_vectors([Profile(name="x", text="speech")])


def test_profile_vectors_apply_weights():
    vectorizer = FieldVectorizer()
    vectorizer.fit([("Speech Scientist", "speech research on diarization"), ("Engineer", "kubernetes go")])
    base, weighted, muted = vectorizer.profile_vectors([
        Profile(name="a", text="speech research"),
        Profile(name="b", text="speech research", weights={"research": 3, "diarization": 1}),
        Profile(name="c", text="speech research", weights={"research": 0}),
    ]).toarray()
    research, speech, diarization = (vectorizer.columns(t)[0] for t in ("research", "speech", "diarization"))
    assert weighted[research] / weighted[speech] == pytest.approx(3 * base[research] / base[speech])
    assert weighted[diarization] > 0 and base[diarization] == 0  # a weighted term missing from the text is added
    assert muted[research] == 0 and muted[speech] == pytest.approx(1.0)


def test_user_vocabulary_is_used_by_match(db, tmp_path, monkeypatch):
    monkeypatch.setenv("ASR_JOBS_PROFILES", str(tmp_path))
    (tmp_path / "vocabulary.toml").write_text('[terms.kubernetes]\nwords = ["kubernetes", "k8s"]\n'
                                              'implies = ["speech"]\n', encoding="utf-8")
    from asr_jobs.matcher import user_vocabulary

    assert "speech" in {user_vocabulary().show(t) for t in user_vocabulary().tokens("k8s")}
    match_db(db, {"me": Profile(name="me", text="speech")})
    assert "backend" in ranked(db, "me")  # Kubernetes now implies speech (a silly vocabulary, but yours)


def test_match_an_empty_database():
    summary = match_db(open_db(None), load_profiles(), ["asr-research", "streaming"])
    assert dict(summary) == {"asr-research": 0, "streaming": 0} and summary.postings == 0
