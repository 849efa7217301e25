"""`asr-jobs match` after a profile edit: when no posting changed since the stored fit, every posting is rescored
from its kept token counts with that fit, and the matches are exactly those a refit stores; anything missing
or changed makes it refit, saying why."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from asr_jobs import matcher
from asr_jobs.cli import cli
from asr_jobs.db import matching
from asr_jobs.db.store import open_db, save_postings, write_transaction
from asr_jobs.enrich import posting_fields
from asr_jobs.matcher import text
from asr_jobs.matcher.token_cache import TokenCache
from asr_jobs.models import Posting

BOILERPLATE = ("Acme builds voice assistants for millions of people and is an equal opportunity employer that "
               "values every kind of background.")
ROLES = [
    ("Research Scientist, Speech Recognition", "End-to-end ASR with Conformer and RNN-T, streaming decoding, "
     "self-supervised pretraining. PhD required; publish at Interspeech and ICASSP."),
    ("Senior Research Engineer, TTS", "Text-to-speech models and neural vocoders, expressive speech synthesis."),
    ("Speech Research Intern", "Internship on streaming ASR with RNN-T and CTC, on-device latency, beam search."),
    ("Research Scientist, Computer Vision", "Image segmentation and video models; publish at CVPR and NeurIPS."),
    ("Senior Backend Engineer", "Go microservices, Kubernetes, PostgreSQL, REST APIs, on-call rotation."),
    ("Engineering Manager, Speech", "Lead the speech team shipping streaming recognition with WFST decoders."),
    ("Multilingual ASR Researcher", "Low-resource and code-switching speech recognition for 100 languages."),
]
# A user's edit of a built-in profile: more weight on terms some postings hold.
EDIT = '[weights]\n"beam search" = 4\nCTC = 3\n'


def posting(number: int, lab: str = "acme") -> Posting:
    title, text = ROLES[number % len(ROLES)]
    return Posting(lab=lab, source_id=f"p{number}", title=title, url=f"https://{lab}.example/{number}",
                   description=f"{text} Team {number % 4}.\n\n{BOILERPLATE}")


def save(db_path: Path, postings: list[Posting]) -> None:
    db = open_db(db_path)
    with write_transaction(db):
        save_postings(db, postings, fields={p.id: posting_fields(p) for p in postings})
    db.conn.close()


@pytest.fixture()
def user_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "user-profiles"
    folder.mkdir()
    monkeypatch.setenv("ASR_JOBS_PROFILES", str(folder))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "250")  # the message on stderr on one line
    monkeypatch.chdir(tmp_path)
    return folder


@pytest.fixture()
def db_path(tmp_path, user_dir) -> Path:
    path = tmp_path / "jobs.db"
    save(path, [posting(n) for n in range(30)] + [posting(n, "globex") for n in range(30, 42)])
    return path


def match(db_path: Path, *args: str) -> str:
    """Runs `asr-jobs match` and returns what it said on stderr (the mode and why)."""
    result = CliRunner().invoke(cli, ["match", "--db", str(db_path), "-q", *args])
    assert result.exit_code == 0, result.output
    return result.stderr


def matches(db_path: Path) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT profile, posting_id, score, rank, terms FROM matches ORDER BY 1, 2").fetchall()


def copy(db_path: Path) -> Path:
    target = db_path.with_name("copy.db")
    with sqlite3.connect(db_path) as source, sqlite3.connect(target) as into:
        source.backup(into)
    return target


def refitted(db_path: Path) -> list[tuple]:
    """The matches `asr-jobs match --refit` stores on a copy of the database."""
    other = copy(db_path)
    assert "full match: refit as asked" in match(other, "--refit")
    return matches(other)


def no_posting_read(monkeypatch) -> None:
    """The postings' texts cannot be read: only a rescore from kept counts gets through."""
    def unreadable(*args, **kwargs):
        raise AssertionError("a rescore reads no posting text")

    monkeypatch.setattr(matching, "open_posting_rows", unreadable)
    monkeypatch.setattr(matching, "company_texts", unreadable)


def test_a_profile_edit_rescores_from_kept_counts_exactly_as_a_refit(db_path, user_dir, monkeypatch):
    monkeypatch.setattr(matcher, "now_iso", lambda: "t1")
    assert "full match: first match" in match(db_path)
    before = matches(db_path)
    (user_dir / "streaming.extra.toml").write_text(EDIT, encoding="utf-8")
    monkeypatch.setattr(matcher, "now_iso", lambda: "t2")
    with monkeypatch.context() as patched:
        no_posting_read(patched)
        said = match(db_path)
    assert "rescore match: profiles changed since the fit on 42 postings" in said and "no posting did" in said
    assert "the matches of 1 of 19 profiles rewritten" in said  # streaming's: no other profile is within it
    with sqlite3.connect(db_path) as conn:
        written = dict(conn.execute("SELECT profile, group_concat(DISTINCT matched_at) FROM matches GROUP BY 1"))
    assert written.pop("streaming") == "t2" and set(written.values()) == {"t1"}  # the others' rows untouched
    after = matches(db_path)
    assert after == refitted(db_path)
    streaming = [row for row in after if row[0] == "streaming"]
    assert streaming and streaming != [row for row in before if row[0] == "streaming"]  # the edit mattered
    assert any("beam-search" in row[4] for row in streaming)
    # The rescore is the new fit's baseline: the same profiles again change nothing.
    assert "incremental match: 0 new or changed and 0 closed" in match(db_path)
    assert matches(db_path) == after


def test_a_rating_rescores_exactly_as_a_refit(db_path, user_dir, monkeypatch):
    match(db_path)
    rated = next(row[1] for row in matches(db_path) if row[0] == "asr-research")
    result = CliRunner().invoke(cli, ["rate", rated, "good", "--profile", "asr-research", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    with monkeypatch.context() as patched:
        no_posting_read(patched)
        assert "rescore match:" in match(db_path)
    assert matches(db_path) == refitted(db_path)


def changed_posting(db_path: Path) -> None:
    save(db_path, [Posting(lab="acme", source_id="p3", title="Speech Scientist", url="https://acme.example/3",
                           description="Streaming ASR with CTC and beam search.")])


def forgotten_counts(db_path: Path) -> None:
    matching.forget_token_counts(open_db(db_path))


def older_fit(db_path: Path) -> None:
    """As a database matched before the rescore existed left its fit (the new columns empty)."""
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE match_model SET postings_signature = NULL")
        conn.execute("UPDATE match_postings SET token_key = NULL, research = NULL, level = NULL")


def new_vocabulary(db_path: Path) -> None:
    (db_path.parent / "user-profiles" / "vocabulary.toml").write_text(
        '[terms.kaldi-asr]\nshow = "Kaldi"\nwords = ["kaldi"]\n', encoding="utf-8")
    text._load.cache_clear()  # each command is a new process, which reads the file; this test's process cached it


@pytest.mark.parametrize(("change", "reason"), [
    (changed_posting, "full match: profiles changed since the last fit, and 1 postings were new, changed or closed"),
    (forgotten_counts, "full match: profiles, vocabulary or settings changed since the last fit: refitted (the token "
                       "counts, signals or levels of some postings are not kept)"),
    (older_fit, "full match: profiles, vocabulary or settings changed since the last fit: refitted (the fit kept "
                "nothing to rescore from)"),
    (new_vocabulary, "full match: vocabulary or settings changed since the last fit: refitted"),
])
def test_without_what_a_rescore_needs_a_profile_edit_refits_and_says_why(db_path, user_dir, change, reason):
    match(db_path)
    change(db_path)
    (user_dir / "streaming.extra.toml").write_text(EDIT, encoding="utf-8")
    assert reason in match(db_path)
    assert matches(db_path) == refitted(db_path)
    # The refit kept what the next profile edit rescores from.
    (user_dir / "streaming.extra.toml").write_text('[weights]\nWFST = 4\n', encoding="utf-8")
    assert "rescore match:" in match(db_path)
    assert matches(db_path) == refitted(db_path)


def test_refit_forces_the_full_fit_after_a_profile_edit(db_path, user_dir):
    match(db_path)
    (user_dir / "streaming.extra.toml").write_text(EDIT, encoding="utf-8")
    assert "full match: refit as asked" in match(db_path, "--refit")


def test_after_an_incremental_update_a_profile_edit_refits(db_path, user_dir):
    match(db_path)
    save(db_path, [posting(100)])
    assert "incremental match: 1 new or changed" in match(db_path)
    (user_dir / "streaming.extra.toml").write_text(EDIT, encoding="utf-8")
    said = match(db_path)
    assert "full match: profiles changed since the last fit, and 1 postings were new, changed or closed" in said
    assert matches(db_path) == refitted(db_path)


def test_a_fit_changed_by_another_run_meanwhile_makes_it_refit(db_path, user_dir, monkeypatch):
    match(db_path)
    (user_dir / "streaming.extra.toml").write_text(EDIT, encoding="utf-8")
    real = matching.note_rescore

    def updated_meanwhile(db, *args):
        db.execute("UPDATE match_model SET changed_since_fit = 1")  # as another run's update would
        return real(db, *args)

    monkeypatch.setattr(matching, "note_rescore", updated_meanwhile)
    assert "refitted (another run changed the stored fit meanwhile)" in match(db_path)
    assert matches(db_path) == refitted(db_path)


def test_kept_counts_unpacked_at_once_are_the_chunk_a_refit_merges(db_path):
    """TokenCache.counts_of (all blobs at once) gives the very chunk counted() yields when every text is kept."""
    db = open_db(db_path)
    vocabulary = text.load_vocabulary()
    rows = [(title, f"{description}\n\n{BOILERPLATE}") for title, description in ROLES] + [("", ""), ("Intern", "")]
    first = TokenCache(db, vocabulary)
    list(first.counted(rows, 1))
    with write_transaction(db):
        first.save(prune=False)
    again = TokenCache(db, vocabulary)
    chunks = list(again.counted(rows, 1))
    assert again.hits == len(rows) and len(chunks) == 1
    kept = matching.kept_token_counts(db, again.used)
    tokens, fields = again.counts_of([kept[key] for key in again.used])
    assert tokens == chunks[0][0]
    for mine, theirs in zip(fields, chunks[0][1], strict=True):
        assert all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(mine, theirs, strict=True))
    empty_tokens, empty_fields = again.counts_of([])
    assert empty_tokens == [""] and [len(indptr) for _, _, indptr in empty_fields] == [1, 1, 1]
