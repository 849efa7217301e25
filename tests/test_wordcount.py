"""The numpy word counter counts exactly the words re.findall(r"\\w\\w+") finds, text by text."""

import re
from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from asr_jobs.matcher import wordcount
from asr_jobs.matcher.wordcount import word_counts

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


def counted(texts: list[str]) -> list[Counter]:
    names: list[str] = []

    def column(word: str) -> int:
        names.append(word)
        return len(names) - 1

    indices, counts, indptr = word_counts(texts, column)
    assert indices.dtype == np.int32 and counts.dtype == np.int32 and indptr.dtype == np.int64
    assert len(indptr) == len(texts) + 1
    assert len(set(names)) == len(names), "each distinct word is looked up once"
    return [Counter({names[c]: int(n) for c, n in zip(indices[a:b], counts[a:b], strict=True)})
            for a, b in zip(indptr[:-1], indptr[1:], strict=True)]


def test_counts_as_findall_does():
    assert counted(TEXTS) == expected(TEXTS)


def test_texts_hashed_in_several_groups_count_alike(monkeypatch):
    monkeypatch.setattr(wordcount, "GROUP_CHARS", 20)
    texts = TEXTS * 3
    assert counted(texts) == expected(texts)


def test_no_texts():
    indices, counts, indptr = word_counts([], lambda word: 1)
    assert len(indices) == len(counts) == 0 and indptr.tolist() == [0]


def test_words_with_the_same_column_are_summed():
    indices, counts, indptr = word_counts(["speech speeches audio", "audio"], lambda w: 1 if w != "audio" else 2)
    assert indices.tolist() == [1, 2, 2] and counts.tolist() == [2, 1, 1] and indptr.tolist() == [0, 2, 3]


def test_many_short_words_of_one_length_stay_apart():
    words = [f"{a}{b}{c}" for a in "abcdefghij" for b in "0123456789_" for c in "klmnopqrstu"]
    assert counted([" ".join(words)]) == expected([" ".join(words)])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("ab_1 .-\n\0é\u0301ßİ٣𝐀"), max_size=40), max_size=6))
def test_any_texts_count_as_findall_does(texts):
    assert counted(texts) == expected(texts)
