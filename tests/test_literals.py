"""Where listed words start (asr_jobs/literals.py): Hyperscan and the `re`/find fallback find every start, and the
fields enrichment reads near them come out the same either way, through `asr-jobs import` too."""

from __future__ import annotations

import gzip
import json
import sqlite3
import threading
from itertools import islice

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from asr_jobs import enrich, literals
from asr_jobs.cli import cli
from asr_jobs.literals import WordStarts
from asr_jobs.models import Posting

from .conftest import SHARED

pytestmark = pytest.mark.skipif(literals.hyperscan is None, reason="the hyperscan package is not installed here")

GROUPS = {"pay": ("$", "€", "USD", "AUD", "LPA", "euro", "Euro"), "thesis": ("Thèse", "PhD", "Ph."),
          "overlap": ("aa", "aba", "b"), "publish": ("publi", "lead author", "peer-reviewed")}
CASELESS = ("publish",)


def plain(groups=GROUPS, caseless=CASELESS) -> WordStarts:
    """A WordStarts built as on a platform without the package: re and str.find do the work."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(literals, "hyperscan", None)
        starts = WordStarts(groups, caseless)
    assert starts._compiled is None and WordStarts(groups, caseless)._compiled is not None
    return starts


def expected(text: str, groups=GROUPS, caseless=CASELESS) -> dict[str, list[int]]:
    """Every position where a group's word starts, by brute force (ASCII letters either case for a caseless group)."""
    def fold(piece: str) -> str:
        return "".join(char.lower() if char.isascii() else char for char in piece)
    return {name: [at for at in range(len(text))
                   if any(fold(text[at:at + len(word)]) == fold(word) if name in caseless else text.startswith(word, at)
                          for word in words)]
            for name, words in groups.items()}


EDGES = ["", "$", "USD 150,000 - AUD 200,000", "LPAUD and AUDLPA", "€€ $$ euroEuro", "aaaa abab ababa",
         "é$100 and €90 — Thèse en cours, PhD, Ph. D", "🎙 PUBLI Publication Lead Author lead\u00a0author",
         "\ud800$\udfff USD", "K\u212aelvin publi İ publi", "peer-reviewed PEER-REVIEWED peer-Reviewed",
         "Ｐh. fullwidth Ph. and ph. and PH.", "thèse THÈSE Thèse"]


@pytest.mark.parametrize("text", EDGES)
def test_every_start_is_found_either_way(text):
    assert WordStarts(GROUPS, CASELESS)(text) == expected(text)
    assert plain()(text) == expected(text)


PIECES = ["$", "€", "US", "D", "AU", "LP", "A", "euro", "Eu", "ro", "a", "b", "ab", "Thèse", "Ph", ".", "PhD", "publi",
          "PUBLI", "lead", " ", "author", "peer-", "Reviewed", "é", "🎙", "\n", "İ", "\u212a", "x"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_any_mix_of_words(pieces):
    text = "".join(pieces)
    assert WordStarts(GROUPS, CASELESS)(text) == plain()(text) == expected(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab \n\u00e9\u20ac\U0001f399\ud800\u212a"), max_size=30), st.randoms())
def test_byte_offsets_become_character_offsets(text, rng):
    """Every byte offset, in any order and repeated, as the number of characters that start before it."""
    data = literals.utf8(text)
    offsets = [rng.randrange(len(data) + 1) for _ in range(10)]
    wanted = [sum(1 for byte in data[:offset] if not 0x80 <= byte < 0xC0) for offset in offsets]
    assert literals.characters(data, text, offsets) == wanted
    boundaries = [len(literals.utf8(text[:end])) for end in range(len(text) + 1)]
    assert literals.characters(data, text, boundaries[::-1]) == list(range(len(text), -1, -1))


def test_threads_scanning_at_once_each_get_their_own_answers():
    """Hyperscan's scratch space serves one scan at a time: each thread has its own (one shared one raised)."""
    starts = WordStarts(GROUPS, CASELESS)
    texts = [f"{'x' * number} USD {number} and a PhD, publi {number}" * 50 for number in range(40)]
    answers: dict[int, list] = {}

    def scan(worker: int) -> None:
        answers[worker] = [starts(text) for _ in range(5) for text in texts]

    threads = [threading.Thread(target=scan, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wanted = [expected(text) for _ in range(5) for text in texts]
    assert [answers.get(worker) == wanted for worker in range(4)] == [True] * 4


def fields_both_ways(title: str, text: str, location: str = "") -> tuple[dict, dict]:
    """posting_fields of one posting with Hyperscan, and as without it."""
    posting = Posting(lab="remote", source_id="1", title=title, url="", description=text, location=location)
    scanned = enrich.posting_fields(posting)
    words = enrich._word_starts()
    without = plain(words.groups, words.caseless)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(enrich, "_word_starts", lambda: without)
        return scanned, enrich.posting_fields(posting)


TEXTS = [
    "The base salary range is $150,000 - $200,000 per year. PhD in speech or related field required.",
    "Compensation: **$225,000** **to $275,000** USD. Publications at Interspeech, ICASSP 2024, ACL 2023.",
    "Salaire: 45 000 € brut annuel. Thèse en traitement de la parole. First-author papers at NeurIPS.",
    "Preferred qualifications:\n- PhD in EE\n- Master's degree or equivalent\nTrack record of publications in top venues",
    "Stipend 30 LPAUD lakh 12 LPA. M.S. in CS; MS in EE; M2 recherche. Computer Speech & Language, TASLP.",
    "é" * 3 + " £40/hour ¥8,000,000 per annum Doctorate Ph. D. Transactions on Audio, Speech, and Language Processing",
    "K\u212aelvin PhD required, peer-reviewed publications", "\ud800 $120k-$150k \udfff Phd student intern",
]


@pytest.mark.parametrize("text", TEXTS)
def test_fields_are_the_same_either_way(text):
    scanned, without = fields_both_ways("Research Scientist", text, "Remote, €60,000")
    assert scanned == without


FIELD_PIECES = ["$", "€", "USD", "LPA", "lakh", "euro", "150,000", "120k", " - ", " to ", "per year", "/hour",
                "salary", "PhD", "Ph. D", "Ph.D.", "doctorate", "Thèse en", "Master's", "M.S.", "MSc", "MS in",
                "preferred", "required", "Interspeech", "ICASSP", "ACL", "2024", "Computer Speech and Language",
                "publications", "first-author", "track record of", "papers at", "Publish", " ", "\n", "\n\n", ": ",
                "**", "é", "İ", "\u212a", "\ud800", "(", "."]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(FIELD_PIECES), max_size=40))
def test_any_mix_of_field_words_gives_the_same_fields_either_way(pieces):
    scanned, without = fields_both_ways("Research Scientist", "".join(pieces))
    assert scanned == without


def test_real_postings_give_the_same_fields_either_way():
    corpus = SHARED / "corpus-remote-jobs.jsonl.gz"
    if not corpus.is_file():
        pytest.skip("../shared/corpus-remote-jobs.jsonl.gz is absent")
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in islice(lines, 1500)]
    for row in rows:
        scanned, without = fields_both_ways(row.get("title") or "", row.get("description") or "")
        assert scanned == without, row.get("id")


def test_import_stores_the_same_fields_without_the_package(tmp_path, monkeypatch):
    """`asr-jobs import` (a small file: prepared in this process) with Hyperscan and as without it."""
    rows = [{"id": f"p{number}", "title": "Research Scientist, Speech", "description": text, "url": "https://e.x/p",
             "location": "Remote", "company": "E"} for number, text in enumerate(TEXTS)]
    source = tmp_path / "p.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    columns = "source_id, seniority, degree, venues, publications, salary_min, salary_max, salary_currency, salary_period"
    monkeypatch.chdir(tmp_path)
    stored = []
    words = enrich._word_starts()
    for name, starts in (("scanned.db", words), ("plain.db", plain(words.groups, words.caseless))):
        monkeypatch.setattr(enrich, "_word_starts", lambda starts=starts: starts)
        result = CliRunner().invoke(cli, ["import", str(source), "--lab", "remote", "--db", name])
        assert result.exit_code == 0, result.output
        stored.append(sqlite3.connect(tmp_path / name).execute(f"SELECT {columns} FROM postings ORDER BY source_id")
                      .fetchall())
    assert stored[0] == stored[1]
    assert {row[2] for row in stored[0]} >= {"phd-required", "phd-preferred"}  # the texts exercise every field
    assert any(row[3] for row in stored[0]) and any(row[5] for row in stored[0])
