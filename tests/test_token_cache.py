"""Token counts kept per posting text: a refit merges them instead of tokenizing again, with the same scores."""

from __future__ import annotations

import numpy as np
import pytest

from asr_jobs.db import matching
from asr_jobs.db.store import open_db, save_postings, write_transaction
from asr_jobs.enrich import posting_fields
from asr_jobs.matcher import Settings, match_db, parallel, rank
from asr_jobs.matcher.model import DEFAULT_SETTINGS
from asr_jobs.models import Posting
from asr_jobs.profiles import load_profiles

TEXTS = [
    ("Research Scientist, Speech Recognition", "End-to-end ASR with Conformer and RNN-T, streaming decoding, "
     "self-supervised pretraining. Publish at Interspeech and ICASSP.\n\n**Benefits**\nHealth insurance."),
    ("Senior Research Engineer, TTS", "Text-to-speech models and neural vocoders, expressive speech synthesis."),
    ("Speech Research Intern", "Internship on streaming ASR with RNN-T and CTC, on-device latency, quantization."),
    ("Research Scientist, Computer Vision", "Image segmentation and video models; publish at CVPR and NeurIPS."),
    ("Senior Backend Engineer", "Go microservices, Kubernetes, PostgreSQL, REST APIs, on-call rotation."),
    ("Multilingual ASR Researcher", "Low-resource and code-switching speech recognition for 100 languages."),
]


def posting(number: int, description: str | None = None) -> Posting:
    title, text = TEXTS[number % len(TEXTS)]
    return Posting(lab="acme", source_id=f"p{number}", title=title, url=f"https://acme.example/{number}",
                   description=description or f"{text} Team {number}.")


def save(db, postings: list[Posting]) -> None:
    with write_transaction(db):
        save_postings(db, postings, fields={p.id: posting_fields(p) for p in postings})


@pytest.fixture()
def db():
    database = open_db(None)
    save(database, [posting(n) for n in range(40)])
    return database


@pytest.fixture(scope="module")
def profiles():
    return load_profiles()


def ranked(db, profiles, *, cached: bool, settings: Settings = DEFAULT_SETTINGS):
    """A ranking over the open postings, with the database's kept token counts (new ones kept) or tokenized cold."""
    chosen = list(profiles.values())
    return rank(matching.open_posting_rows(db), chosen, available=profiles, settings=settings,
                db=db if cached else None)


def same_vectors(a, b) -> bool:
    """Posting vectors equal token by token. Column numbers differ between fits (as between two cold runs,
    whose string hashing orders words differently), so sums may differ in the last bit: 1e-12 relative."""
    def by_token(ranking):
        rows = ranking.postings.tocoo()
        return dict(zip(zip(rows.row.tolist(), (ranking.vectorizer.tokens[c] for c in rows.col), strict=True),
                        rows.data.tolist(), strict=True))
    first, second = by_token(a), by_token(b)
    return first.keys() == second.keys() and all(abs(v - second[k]) <= 1e-12 * abs(v) for k, v in first.items())


def test_a_refit_from_kept_counts_scores_exactly_as_a_cold_run(db, profiles):
    cold = ranked(db, profiles, cached=False)
    first = ranked(db, profiles, cached=True)
    again = ranked(db, profiles, cached=True)
    assert first.cache is not None and again.cache is not None
    assert first.cache.hits == 0 and again.cache.hits == 40  # the second fit tokenized nothing
    for ranking in (first, again):
        assert ranking.ids == cold.ids and same_vectors(ranking, cold)
        assert np.array_equal(np.round(ranking.scores, 6), np.round(cold.scores, 6))
        assert sorted(ranking.vectorizer.tokens) == sorted(cold.vectorizer.tokens)  # no stale columns


def test_a_changed_text_is_tokenized_again(db, profiles):
    ranked(db, profiles, cached=True)
    save(db, [posting(7, "Zebrafish acoustics and keyword spotting on device; publish at Interspeech.")])
    changed = ranked(db, profiles, cached=True)
    cold = ranked(db, profiles, cached=False)
    assert changed.cache is not None and changed.cache.hits == 39
    assert same_vectors(changed, cold) and np.array_equal(np.round(changed.scores, 6), np.round(cold.scores, 6))
    assert "zebrafish" in changed.vectorizer.tokens
    # The old text's counts are dropped: one entry per open posting's text.
    assert db.execute("SELECT count(*) FROM token_counts").fetchone()[0] == 40


def test_another_vocabulary_or_moved_boilerplate_does_not_reuse_counts(db, profiles):
    ranked(db, profiles, cached=True)
    plain = Settings(field_terms=False)  # no field vocabulary: other tokens for the same texts
    without_terms = ranked(db, profiles, cached=True, settings=plain)
    assert without_terms.cache is not None and without_terms.cache.hits == 0
    assert same_vectors(without_terms, ranked(db, profiles, cached=False, settings=plain))
    cache = without_terms.cache
    # Learned boilerplate moves lines of the description apart before tokenizing: the key is of that text.
    assert cache.key("Title", "Role text.\nHealth insurance.") != cache.key("Title", "Role text.")


def test_kept_counts_mix_with_counts_from_worker_processes(db, profiles, monkeypatch):
    ranked(db, profiles, cached=True)
    save(db, [posting(n, f"Streaming speech recognition number {n} with RNN-T.") for n in range(0, 40, 3)])
    cold = ranked(db, profiles, cached=False)
    monkeypatch.setenv("ASR_JOBS_WORKERS", "2")
    monkeypatch.setattr(parallel, "MIN_ROWS", 4)
    monkeypatch.setattr(parallel, "CHUNK", 3)
    mixed = ranked(db, profiles, cached=True)
    assert mixed.cache is not None and mixed.cache.hits == 40 - 14
    assert mixed.ids == cold.ids and same_vectors(mixed, cold)
    assert np.array_equal(np.round(mixed.scores, 6), np.round(cold.scores, 6))


def test_match_keeps_counts_and_a_refit_stores_the_same_matches(db, profiles):
    match_db(db, profiles, now="t1")
    first = db.execute("SELECT profile, posting_id, score, rank, terms FROM matches ORDER BY 1, 2").fetchall()
    assert db.execute("SELECT count(*) FROM token_counts").fetchone()[0] == 40
    match_db(db, profiles, now="t1", refit=True)
    assert db.execute("SELECT profile, posting_id, score, rank, terms FROM matches ORDER BY 1, 2").fetchall() == first


def test_a_twin_of_a_text_counted_earlier_in_the_same_fit_is_not_tokenized_again(profiles, monkeypatch):
    from asr_jobs.matcher import token_cache

    database = open_db(None)
    twins = [posting(n) for n in range(12)]
    for number, twin in enumerate(twins[6:]):  # the same title and text as postings 0-5, under other ids
        twin.title, twin.description = twins[number].title, twins[number].description
    save(database, twins)
    cold = ranked(database, profiles, cached=False)
    monkeypatch.setenv("ASR_JOBS_WORKERS", "1")
    for module, name in ((parallel, "MIN_ROWS"), (parallel, "OWN_CHUNK"), (token_cache, "BATCH")):
        monkeypatch.setattr(module, name, 3)  # rows counted and looked up three at a time, in id order
    cached = ranked(database, profiles, cached=True)
    # A twin is reused when its partner was counted (and so kept) before the twin was looked up; twins looked
    # up together are both counted, under their one key.
    assert cached.cache is not None and cached.cache.hits > 0
    assert database.execute("SELECT count(*) FROM token_counts").fetchone()[0] == 6
    assert cached.ids == cold.ids and same_vectors(cached, cold)
    assert np.array_equal(np.round(cached.scores, 6), np.round(cold.scores, 6))


def test_counts_are_kept_as_counted_even_when_the_match_then_fails(db, profiles, monkeypatch):
    import asr_jobs.matcher as matcher

    match_db(db, profiles, now="t1")
    before = db.execute("SELECT profile, posting_id, score, rank FROM matches ORDER BY 1, 2").fetchall()
    save(db, [posting(n, f"Keyword spotting on device, number {n}.") for n in range(5)])

    def broken(*args, **kwargs):
        raise RuntimeError("killed while scoring")

    monkeypatch.setattr(matcher, "_ranking", broken)
    with pytest.raises(RuntimeError):
        match_db(db, profiles, now="t2", refit=True)
    # The five new texts' counts were kept as they were counted (and the replaced texts' dropped); the
    # matches are still those of the run before.
    assert db.execute("SELECT count(*) FROM token_counts").fetchone()[0] == 40
    assert db.execute("SELECT profile, posting_id, score, rank FROM matches ORDER BY 1, 2").fetchall() == before
    monkeypatch.undo()
    assert match_db(db, profiles, now="t3", refit=True).reused == 40  # nothing tokenized again


def test_forgotten_counts_make_the_next_fit_cold_and_it_stores_them_again(db, profiles):
    """What the benchmark does before it times a cold fit: no count is kept, then the fit keeps them all again."""
    from asr_jobs.db.matching import forget_token_counts

    match_db(db, profiles, now="t1")
    first = db.execute("SELECT profile, posting_id, score, rank FROM matches ORDER BY 1, 2").fetchall()
    forget_token_counts(db)
    assert db.execute("SELECT count(*) FROM token_counts").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM token_vocabulary").fetchone()[0] == 0
    match_db(db, profiles, now="t1", refit=True)
    assert db.execute("SELECT count(*) FROM token_counts").fetchone()[0] == 40
    assert db.execute("SELECT profile, posting_id, score, rank FROM matches ORDER BY 1, 2").fetchall() == first
