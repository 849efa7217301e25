"""Tokenization of posting text: the field's terms kept whole, variants merged, boilerplate split off."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asr_jobs.matcher.text import (
    _NOISE,
    BOILER_MARK,
    Vocabulary,
    load_vocabulary,
    parse_vocabulary,
    plural_stem,
    split_boilerplate,
    term_token,
    without_noise,
)


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load_vocabulary()


def shown(vocab: Vocabulary, text: str) -> set[str]:
    return {vocab.show(token) for token in vocab.tokens(text)}


@pytest.mark.parametrize("text, term", [
    ("RNN-T", "RNN-T"), ("RNNT", "RNN-T"), ("RNN-Transducer", "RNN-T"), ("rnn transducer models", "RNN-T"),
    ("recurrent neural network transducers", "RNN-T"),
    ("ASR", "ASR"), ("automatic speech recognition", "ASR"), ("Speech-to-Text", "ASR"), ("speech to text", "ASR"),
    ("STT", "ASR"), ("reconnaissance automatique de la parole", "ASR"),
    ("SSL for speech", "self-supervised"), ("self-supervised learning", "self-supervised"),
    ("Self Supervised", "self-supervised"),
    ("wav2vec 2.0", "wav2vec 2.0"), ("wav2vec2", "wav2vec 2.0"), ("HuBERT", "HuBERT"), ("WavLM", "WavLM"),
    ("data2vec", "data2vec"), ("Conformers", "conformer"), ("CTC loss", "CTC"), ("LAS decoder for ASR", "LAS"),
    ("Listen, Attend and Spell", "LAS"), ("sequence-to-sequence", "seq2seq"), ("seq2seq", "seq2seq"),
    ("end to end", "end-to-end"), ("E2E", "end-to-end"), ("code switching", "code-switching"),
    ("code-mixed speech", "code-switching"), ("far field", "far-field"), ("text-to-speech", "TTS"),
    ("speaker diarisation", "diarization"), ("Interspeech", "interspeech"), ("ICASSP", "icassp"),
    ("Ph.D.", "phd"), ("post-doctoral researcher", "postdoc"), ("state of the art", "state-of-the-art"),
])
def test_variants_become_one_term(vocab, text, term):
    assert term in shown(vocab, text)


def test_terms_stay_whole(vocab):
    tokens = vocab.tokens("We train wav2vec 2.0 and RNN-T models end-to-end.")
    assert term_token("wav2vec-2.0") in tokens and term_token("rnn-t") in tokens and term_token("end-to-end") in tokens
    assert not {"wav2vec", "rnn", "end"} & set(tokens)


def test_speech_tasks_also_count_as_speech(vocab):
    for text in ("ASR", "speaker diarization", "text-to-speech", "spoken language understanding"):
        assert "speech" in shown(vocab, text), text


@pytest.mark.parametrize("text, not_term", [
    ("Configure SSL certificates and TLS/SSL termination", "self-supervised"),
    ("Website Security Support - Managed SSL", "self-supervised"),
    ("Our office in LAS VEGAS", "LAS"),
    ("Expected CTC: 12 LPA", "CTC"),
])
def test_acronyms_left_alone_out_of_context(vocab, text, not_term):
    assert not_term not in shown(vocab, text)


@pytest.mark.parametrize("text", [
    "Licensed speech-language pathologist (SLP) for our clinics",
    "Moderating hate speech and free speech policy",
    "Part-of-speech tagging with spaCy",
    "Voice over IP and voice and video calls",
    "We value your voice: every voice is heard",
    "Fluent spoken English required",
])
def test_not_the_field(vocab, text):
    assert "speech" not in shown(vocab, text)


def test_stop_words_numbers_and_plurals(vocab):
    tokens = vocab.tokens("The models and the papers of 2024, 100k hours")
    assert "model" in tokens and "the" not in tokens and "2024" not in tokens and "100k" not in tokens
    assert shown(vocab, "papers") == {"publication"}
    assert plural_stem("technologies") == "technology" and plural_stem("processes") == "process"
    assert plural_stem("class") == "class" and plural_stem("bias") == "bias"


def test_markup_is_noise(vocab):
    tokens = vocab.tokens("<div><strong>Speech</strong></div> [apply](https://example.com/jobs?id=1)")
    assert "example" not in tokens and "div" not in tokens and term_token("speech") in tokens


def test_vocabulary_file_errors():
    with pytest.raises(ValueError, match="x.toml: terms.foo.phrases should be a list of strings"):
        parse_vocabulary('[terms.foo]\nphrases = "bar"\n', "x.toml")
    with pytest.raises(ValueError, match="unknown keys: spelling"):
        parse_vocabulary('[terms.foo]\nspelling = ["bar"]\n', "x.toml")
    with pytest.raises(ValueError, match="not valid TOML"):
        parse_vocabulary("[terms.foo\n", "x.toml")


def test_user_vocabulary_adds_terms(tmp_path):
    (tmp_path / "vocabulary.toml").write_text(
        '[terms.k2]\nshow = "k2/icefall"\nphrases = ["next-gen kaldi"]\nwords = ["icefall"]\n', encoding="utf-8")
    vocab = load_vocabulary(tmp_path)
    assert shown(vocab, "Next-gen Kaldi (icefall)") == {"k2/icefall"}


DESCRIPTION = """We build speech recognition for meetings.

## About Us
Acme is a remote-first company founded in 2015.

## What you'll do
- Train Conformer models
- Acme is an equal opportunity employer and values diversity.
- Publish at Interspeech

## Benefits
- 401(k) matching
- Unlimited PTO

**Requirements**
- PhD in speech processing
"""


def test_boilerplate_sections_and_lines(vocab):
    role, rest = split_boilerplate(vocab.normalize(DESCRIPTION))
    assert "meetings" in role and "conformer" in role and "interspeech" in role and "speech_processing" in role
    assert "remote-first" in rest and "pto" in rest and BOILER_MARK in rest
    assert "remote-first" not in role and "diversity" not in role and "pto" not in role


def test_fields_of_a_posting(vocab):
    title, role, rest = vocab.fields("Research Scientist, Speech", DESCRIPTION)
    assert "scientist" in title and "conformer" in role and "pto" in rest
    _, whole, nothing = vocab.fields("x", DESCRIPTION, boilerplate=False)
    assert "pto" in whole and nothing == ""


def test_html_descriptions_keep_their_headings(vocab):
    html = ("<p>Speech research.</p><h3>Benefits</h3><ul><li>Dental</li></ul>"
            "<div><strong>Job Description</strong></div><ul><li>Kaldi recipes</li></ul>")
    _, role, rest = vocab.fields("", html)
    assert "kaldi" in role and "dental" in rest and "dental" not in role


def test_typographic_marks_read_as_plain_ones(vocab):
    """Curly quotes, dashes, ellipses and bullets change no word, and a term after one is found as after the plain
    mark (normalize() makes them plain first, so most texts are stored a byte a character)."""
    curly = "Our team’s “speech recognition” work – end–to–end … • self–supervised models"
    plain = "Our team's \"speech recognition\" work - end-to-end ... * self-supervised models"
    assert vocab.count(curly) == vocab.count(plain)
    assert {"ASR", "end-to-end", "self-supervised"} <= shown(vocab, curly)
    assert shown(vocab, "l’apprentissage automatique") == shown(vocab, "l'apprentissage automatique")
    assert vocab.normalize("“x” – y").isascii()


@pytest.mark.parametrize("mark", [" ", "\n", "(", "[", '"', "/", "'", "*", "**"])
def test_phrases_found_after_any_mark_and_the_mark_kept(vocab, mark):
    """A phrase is found after a space, a line break, an opening bracket or quote, a slash or markdown emphasis,
    and what it follows stays in the text: a line break still ends the line boilerplate is split on."""
    normalized = vocab.normalize(f"Role{mark}Speech Recognition research")
    assert normalized.startswith(f" role{mark}") and term_token("asr") in normalized.split()
    assert "speech" not in normalized.split()


def test_a_phrase_left_alone_is_left_as_written(vocab):
    """A phrase its context rules out (CTC's, with no loss, speech or model near) is kept as it was written, the
    mark before it once."""
    text = "Expected (Connectionist Temporal Classification) pay\nconnectionist temporal classification rules"
    assert vocab.normalize(text) == " " + text.lower()
    assert "CTC" not in shown(vocab, text) and "CTC" in shown(vocab, text + " for speech")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["<", ">", "a", " ", "\n", "](", ")", "http", "s", "://", "www.", "x", "]"]),
                max_size=30).map("".join))
def test_markup_found_as_the_regex_finds_it(text):
    assert without_noise(text) == _NOISE.sub(" ", text)


@pytest.mark.parametrize("text", [
    "see https://example.com/a, then http://b.org", "xhttps://y z", "https://<b>c</b> d", "<<b>x", "<a\nb>",
    "[link](https://x.y) www.z.org/jobs www.", "ftp://not-a-url.example", "HTTPS://UPPER.CASE", "://", "<" * 3,
])
def test_markup_removed_as_the_regex_removes_it(text):
    assert without_noise(text) == _NOISE.sub(" ", text)
