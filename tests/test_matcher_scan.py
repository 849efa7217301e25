"""Acronyms and phrases found with Hyperscan (matcher/scan.py) give exactly the text re.sub gives."""

from __future__ import annotations

import gzip
import json
import os
import pickle
from itertools import islice

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from asr_jobs.cli import cli
from asr_jobs.db.store import open_db, save_postings
from asr_jobs.matcher import parallel, scan, text
from asr_jobs.matcher.text import Term, Vocabulary, load_vocabulary
from asr_jobs.models import Posting

from .conftest import SHARED

pytestmark = pytest.mark.skipif(scan.hyperscan is None, reason="the hyperscan package is not installed here")


def fresh() -> Vocabulary:
    """A vocabulary of its own: load_vocabulary()'s is shared by every test of the process."""
    builtin = load_vocabulary()
    return Vocabulary(builtin.terms, builtin.boilerplate)


@pytest.fixture(scope="module")
def both() -> tuple[Vocabulary, Vocabulary]:
    """The built-in vocabulary twice: finding with re alone, and with Hyperscan."""
    scanned = fresh()
    assert scanned.use_scanner()
    return fresh(), scanned


EDGES = [
    # separators of every kind inside a phrase, runs of them, none of Python's whitespace missed
    "automatic speech recognition", "automatic  speech\nrecognition", "automatic-speech/recognition",
    "automatic,speech, recognition", "automatic\u00a0speech\u2003recognition", "automatic\u3000speech\x1crecognition",
    "automatic\u0085speech recognition", "automatic\u2028speech\u202frecognition",
    # what a phrase may follow, its plural, a word character right after it, the text's start and end
    "(speech recognition)", "[speech recognition]", '"speech recognition"', "'speech recognitions'",
    "*speech recognition*", "/speech recognition/", "xspeech recognition", "speech recognitionx",
    "speech recognition_", "speech recognition2", "speech recognition", " speech recognition ",
    # accents and other characters beyond ASCII, before, inside and after
    "réseaux de neurones et modèle acoustique", "synthèse vocale 🎙 text-to-speech ✓", "état de l'art", "€ ASR €",
    "Ｓpeech recognition", "speech\u00e9 recognition",
    # a phrase inside a longer one that a character beyond ASCII breaks: the inner one is still found
    "automaticé speech recognition", "automatic€ speech recognition", "automatic\u00a0é speech recognition", "ﬁne-tuning ASR", "İstanbul ASR team", "\ud800 ASR \udfff",
    # acronyms: inside words, after a hyphen or underscore, plural, with digits, case as written
    "ASR", "ASRs", "HTML and XML", "RNNT, RNN-T, DNN-HMM", "E2E", "e2e", "SLPs", "xASR", "ASRx", "-ASR", "_ASR",
    "ASR-", "MLOps ML", "S2ST and SSL", "SSL certificate", "TLS/SSL", "SSL for speech", "CTC loss", "CTC 12 LPA",
    "expected CTC", "LAS decoder", "Las Vegas", "LAS Vegas",
    # boilerplate phrases, overlaps, one phrase inside another
    "We are an equal opportunity employer.", "all qualified applicants will receive", "401(k) matching",
    "ph.d. student, Ph. D. student, PhD", "wav2vec 2.0 and wav2vec2.0", "voice & video", "speech speech recognition",
]


@pytest.mark.parametrize("sample", EDGES)
def test_the_same_text_as_re(both, sample):
    plain, scanned = both
    assert scanned.normalize(sample) == plain.normalize(sample)
    assert scanned.normalize(f"Role:\n\n{sample}\n\nMore {sample}.") == plain.normalize(f"Role:\n\n{sample}\n\nMore {sample}.")


WORDS = ["speech", "recognition", "automatic", "Speech", "ASR", "ASRs", "SSL", "CTC", "LAS", "Vegas", "equal",
         "opportunity", "employer", "ph.d.", "ph", ".", "d", "wav2vec", "2.0", "voice", "&", "video", "text", "to",
         "machine", "learning", "réseaux", "neurones", "de", "x", "s", "é", "🎙", "401(k)", "HTML", "ML",
         "deep", "neural", "network", "networks"]
GAPS = [" ", "  ", "\n", "\n\n", "-", ",", "/", "\u00a0", "\u2003", "(", "[", '"', "'", "*", "", "_", ":", "é ",
        "€", " \u3000"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(GAPS)), max_size=30))
def test_any_mix_of_terms_and_separators(both, pieces):
    sample = "".join(word + gap for word, gap in pieces)
    plain, scanned = both
    assert scanned.normalize(sample) == plain.normalize(sample)


def test_real_postings_come_out_the_same(both):
    corpus = SHARED / "corpus-remote-jobs.jsonl.gz"
    if not corpus.is_file():
        pytest.skip("../shared/corpus-remote-jobs.jsonl.gz is absent")
    plain, scanned = both
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in islice(lines, 1500)]
    for row in rows:
        assert scanned.fields(row.get("title"), row.get("description")) == \
            plain.fields(row.get("title"), row.get("description")), row.get("id")


@pytest.mark.parametrize("sample", ["the A  SR team", "the A SR team", "A-SR", "SR", "ASR", "A\nSR speech  thing",
                                    "speech-thing A SRs", "Speech Thing"])
def test_a_users_vocabulary_of_any_shape(sample):
    """An acronym written with a space (a run of separators in re's pattern), one inside another, no phrases."""
    terms = {"x": Term(name="x", acronyms=["A SR", "SR"]), "y": Term(name="y", phrases=["speech thing"])}
    plain, scanned = Vocabulary(terms), Vocabulary(terms)
    assert scanned.use_scanner()
    assert scanned.normalize(sample) == plain.normalize(sample)
    acronyms_only = Vocabulary({"x": terms["x"]})
    assert acronyms_only.use_scanner()
    assert acronyms_only.normalize(sample) == Vocabulary({"x": terms["x"]}).normalize(sample)
    empty = Vocabulary({})
    assert empty.use_scanner() and empty.normalize(sample) == " " + sample.lower()


def test_without_the_package_re_does_it_all(monkeypatch):
    monkeypatch.setattr(scan, "hyperscan", None)
    vocabulary = fresh()
    assert not vocabulary.use_scanner()
    assert "v_asr" in vocabulary.normalize("Automatic speech recognition (ASR) research")


def test_a_vocabulary_hyperscan_cannot_compile_is_tried_once_and_re_does_it_all(monkeypatch):
    """A compile that failed (a pattern of a user's vocabulary) costs a few tenths of a second: not at every match."""
    tried = []

    class Refused(scan.Scanner):
        def __init__(self, *args):
            tried.append(args)
            raise scan.hyperscan.error("Pattern length exceeds limit.")

    monkeypatch.setattr(scan, "Scanner", Refused)
    vocabulary = fresh()
    assert not vocabulary.use_scanner() and not vocabulary.use_scanner()
    assert len(tried) == 1 and not vocabulary.scanning
    assert vocabulary.normalize("Automatic speech recognition (ASR)") == fresh().normalize("Automatic speech recognition (ASR)")


def test_a_copy_sent_to_a_worker_compiles_its_own(both, monkeypatch):
    """Where workers are spawned (macOS, Windows), each is sent the vocabulary pickled, without its databases."""
    monkeypatch.setattr(parallel, "_vocabulary", None)  # _start sets the worker's: put back after the test
    # and it starts a thread that ends the process (exit status 0) once its parent is gone: none in pytest
    monkeypatch.setattr(parallel, "watch_parent", lambda parent: None)
    copy = pickle.loads(pickle.dumps(both[1]))
    assert copy._scanner is None and copy.scanning
    parallel._start(copy, parent=os.getppid())  # as a worker starts
    assert copy._scanner is not None
    assert copy.normalize("speech-recognition ASR") == both[0].normalize("speech-recognition ASR")


def postings() -> list[Posting]:
    texts = [("Research Scientist, Speech Recognition", "ASR research: RNN-T, CTC loss and Conformer models. "
              "Publish at Interspeech.\n\nWe are an equal opportunity employer."),
             ("Audio ML Engineer", "Self-supervised speech representations (wav2vec 2.0, HuBERT), on-device TTS."),
             ("SSL Engineer", "Renew TLS/SSL certificates; CTC 12 LPA. Las Vegas."),
             ("Postdoc", "Reconnaissance automatique de la parole, réseaux de neurones, synthèse vocale.")]
    return [Posting(lab="acme", source_id=str(i), title=title, url=f"https://a/{i}", description=description)
            for i, (title, description) in enumerate(texts * 5)]


def test_match_ranks_the_same_with_hyperscan(tmp_path, monkeypatch):
    """`asr-jobs match` over enough postings to use Hyperscan stores the matches re alone gives."""
    monkeypatch.setenv("ASR_JOBS_PROFILES", str(tmp_path / "profiles"))
    monkeypatch.setenv("ASR_JOBS_WORKERS", "1")
    stored = []
    for rows_to_scan in (10**9, 1):
        monkeypatch.setattr(parallel, "SCAN_ROWS", rows_to_scan)
        text._load.cache_clear()  # a vocabulary of its own for each run: the first must not have scanned
        path = str(tmp_path / f"jobs-{rows_to_scan}.db")
        save_postings(open_db(path), postings())
        result = CliRunner().invoke(cli, ["match", "--db", path, "--refit"])
        assert result.exit_code == 0, result.output
        assert load_vocabulary().scanning == (rows_to_scan == 1)
        stored.append(list(open_db(path).query(
            "SELECT profile, posting_id, score, rank, terms FROM matches ORDER BY profile, rank")))
    text._load.cache_clear()
    assert stored[0] and stored[0] == stored[1]
