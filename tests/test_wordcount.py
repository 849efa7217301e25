"""The numpy word counter counts exactly the words re.findall(r"\\w\\w+") finds, text by text."""

import re
from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from asr_jobs.matcher import wordcount
from asr_jobs.matcher.wordcount import WordCounter

WORD = re.compile(r"\w\w+")

TEXTS = [
    "speech recognition, speech-recognition and (speech) recognition.",
    "",
    "a b c",  # no word of two characters
    "v_rnn_t v__boiler __ _x x_",  # underscores are word characters
    "Café naïve ĳ Straße ＡＳＲ ٣٤ ²³ ⅫⅢ",  # letters and numbers beyond ASCII: accents, fullwidth, digits
    "e\u0301cole",  # a combining accent is no word character: two words, 'e' and 'cole'
    "before\0after",  # a NUL inside a text neither ends the text nor joins it to the next
    "lone \ud800 surrogate",
    "emoji 🎙️ mic 𝐀𝐒𝐑 𝔰𝔭𝔢𝔢𝔠𝔥",  # astral letters (mathematical alphanumerics) are word characters
    "repeat repeat repeat REPEAT",
]


def expected(texts: list[str]) -> list[Counter]:
    return [Counter(WORD.findall(text)) for text in texts]


def counted(texts: list[str], counter: WordCounter | None = None) -> list[Counter]:
    looked_up: list[str] = []

    def token_of(word: str) -> str:
        looked_up.append(word)
        return word

    counter = counter or WordCounter(token_of)
    tokens, indices, counts, indptr = counter.counts(texts)
    assert indices.dtype == np.int32 and counts.dtype == np.int32 and indptr.dtype == np.int64
    assert len(indptr) == len(texts) + 1 and tokens[0] == ""
    assert len(set(looked_up)) == len(looked_up), "each distinct word is looked up once"
    return [Counter({tokens[c]: int(n) for c, n in zip(indices[a:b], counts[a:b], strict=True)})
            for a, b in zip(indptr[:-1], indptr[1:], strict=True)]


def test_counts_as_findall_does():
    assert counted(TEXTS) == expected(TEXTS)


def test_texts_hashed_in_several_groups_count_alike(monkeypatch):
    monkeypatch.setattr(wordcount, "GROUP_CHARS", 20)
    texts = TEXTS * 3
    assert counted(texts) == expected(texts)


def test_no_texts():
    tokens, indices, counts, indptr = WordCounter(str).counts([])
    assert tokens == [""] and len(indices) == len(counts) == 0 and indptr.tolist() == [0]


def test_words_of_one_token_are_summed_and_words_not_counted_go_to_column_0():
    counter = WordCounter(lambda word: None if word == "the" else word.rstrip("es"))
    tokens, indices, counts, indptr = counter.counts(["speech speeches the audio", "audio"])
    rows = [{tokens[c]: int(n) for c, n in zip(indices[a:b], counts[a:b], strict=True)}
            for a, b in zip(indptr[:-1], indptr[1:], strict=True)]
    assert rows == [{"speech": 2, "": 1, "audio": 1}, {"audio": 1}]


def test_columns_depend_on_the_texts_only():
    """A counter that has met other words first numbers a chunk's tokens as a new one does (kept hashes
    make the same columns), so counts from worker processes come out in the same order in every run."""
    used = WordCounter(str)
    used.counts(["zebra yak xylophone", "wombat speech"])
    for counter in (WordCounter(str), used):
        assert counter.counts(TEXTS)[0] == WordCounter(str).counts(TEXTS)[0]
    assert counted(TEXTS, used) == expected(TEXTS)


def test_kept_hashes_are_forgotten_past_the_limit(monkeypatch):
    monkeypatch.setattr(WordCounter, "MAX_KEPT", 5)
    counter = WordCounter(str)
    for _ in range(3):
        assert counted(TEXTS, counter) == expected(TEXTS)
    assert len(counter._ids) <= 5 + len({w for t in TEXTS for w in WORD.findall(t)})


def test_many_short_words_of_one_length_stay_apart():
    words = [f"{a}{b}{c}" for a in "abcdefghij" for b in "0123456789_" for c in "klmnopqrstu"]
    assert counted([" ".join(words)]) == expected([" ".join(words)])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("ab_1 .-\n\0é\u0301ßİ٣𝐀"), max_size=40), max_size=6))
def test_any_texts_count_as_findall_does(texts):
    assert counted(texts) == expected(texts)


def test_new_words_of_known_tokens_only():
    """A group whose new words all count as tokens met before (or as none) adds no token."""
    counter = WordCounter(lambda word: None if word == "the" else word.rstrip("s"))
    counter.counts(["model speech"])
    tokens, indices, counts, indptr = counter.counts(["models the speechs"])
    assert sorted(tokens) == ["", "model", "speech"] and counts.tolist() == [1, 1, 1]


def test_words_whose_slot_holds_another_word_are_still_counted(monkeypatch):
    """With 4 slots most known words share a slot with another: they are looked up among the kept hashes."""
    monkeypatch.setattr(WordCounter, "SLOTS", 4)
    counter = WordCounter(str)
    for _ in range(3):
        assert counted(TEXTS, counter) == expected(TEXTS)
    assert 0 < int(np.count_nonzero(counter._slot_hashes)) <= 4 < len(counter._ids)
