"""Counting in worker processes gives the same vectors as counting in this process."""

import numpy as np
import pytest

from asr_jobs.matcher import parallel, text
from asr_jobs.matcher.model import FieldVectorizer
from asr_jobs.matcher.text import load_vocabulary

ROWS = [
    ("Research Scientist, Speech Recognition", "<p>Train end-to-end ASR models (RNN-T, CTC) on multilingual "
     "speech.</p><h3>Benefits</h3><p>Health insurance and a 401(k).</p>"),
    ("Audio ML Engineer", "Self-supervised speech representations, wav2vec 2.0 and HuBERT, on-device inference."),
    ("Account Executive", "Sell our platform to enterprise customers. Equal opportunity employer."),
    ("", ""),
    ("Postdoc, Spoken Language", "Speech translation and spoken language understanding with large language models."),
] * 7


def dense(counts) -> list[np.ndarray]:
    return [m.toarray() for m in counts]


def by_token(vectorizer: FieldVectorizer, matrix) -> dict[str, np.ndarray]:
    """Columns keyed by token: the two ways may number columns differently."""
    array = matrix.toarray()
    return {token: array[:, column] for column, token in enumerate(vectorizer.tokens) if column}


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ROWS", 4)
    monkeypatch.setattr(parallel, "CHUNK", 3)


def test_worker_processes_count_like_this_process(small_chunks):
    vocabulary = load_vocabulary()
    serial, workers = FieldVectorizer(vocabulary), FieldVectorizer(vocabulary)
    one = serial.fit_transform(iter(ROWS))
    two = workers.fit_transform(iter(ROWS), processes=2)
    assert sorted(serial.tokens) == sorted(workers.tokens)
    first, second = by_token(serial, one), by_token(workers, two)
    assert first.keys() == second.keys()
    for token, values in first.items():
        np.testing.assert_allclose(values, second[token], err_msg=token)
    # Transform with the fitted vocabulary: unknown words are dropped the same way.
    later = [("Speech scientist", "Streaming ASR and a brand-new-word zyxxy.")] * 6
    np.testing.assert_allclose(by_token(serial, serial.transform(iter(later)))["v_asr"],
                               by_token(workers, workers.transform(iter(later), processes=2))["v_asr"])


def test_few_rows_stay_in_this_process(monkeypatch):
    monkeypatch.setattr(parallel, "ProcessPoolExecutor", None)  # would fail if used
    chunks = list(parallel.counted(iter(ROWS[:5]), load_vocabulary(), 4))
    assert len(chunks) == 1 and chunks[0][0].strings()[0] == ""


def test_workers_setting(monkeypatch):
    monkeypatch.setenv("ASR_JOBS_WORKERS", "3")
    assert parallel.workers() == 3
    monkeypatch.setenv("ASR_JOBS_WORKERS", "many")
    with pytest.raises(ValueError, match="ASR_JOBS_WORKERS='many'"):
        parallel.workers()


def test_a_worker_sends_each_token_text_once_and_the_parent_rebuilds_every_chunk(monkeypatch):
    """What a worker returns (run here): token texts only for numbers the parent has not heard of."""
    monkeypatch.setattr(parallel, "_vocabulary", text._load.__wrapped__(()))  # a fresh counter, as in a worker
    monkeypatch.setattr(parallel, "_sent", ((0, 0), 0))
    heard = parallel._Heard()
    sent: list[str] = []
    for chunk in (ROWS[:3], ROWS[3:8], ROWS[:3]):
        result = parallel._count_in_worker(chunk)
        (_, first, new, _), _ = result
        assert first == len(sent) and not set(new) & set(sent)  # every token's text sent once
        sent += new
        tokens, _ = heard.chunk(result)
        expected, _ = parallel.count_chunk(chunk, text._load.__wrapped__(()))
        assert tokens.strings() == expected.strings()
    assert sent[0] == "" and "v_asr" in sent
    (_, _, new, _), _ = parallel._count_in_worker(ROWS[:8])
    assert new == []  # every token of these rows was sent before


def test_the_parent_refuses_a_worker_result_out_of_turn():
    heard = parallel._Heard()
    numbers = np.zeros(1, dtype=np.int32)
    heard.chunk((((7, 1), 0, ["", "speech"], numbers), []))
    with pytest.raises(RuntimeError, match="worker 7 sent tokens from number 5, expected 2"):
        heard.chunk((((7, 1), 5, ["audio"], numbers), []))
    heard.chunk((((7, 2), 0, [""], numbers), []))  # a new generation starts from 0


def test_numbered_tokens_map_to_the_ids_their_texts_get():
    names = ["", "speech", "audio", "model", "asr"]
    chunks = [np.array(numbers, dtype=np.int32) for numbers in ([0, 3, 1], [0, 2, 3, 4], [0, 4, 1])]
    by_text: dict[str, int] = {"audio": 1}
    by_number: dict[str, int] = {"audio": 1}
    text_names, number_names = ["", "audio"], ["", "audio"]
    maps: dict = {}
    for numbers in chunks:
        tokens = parallel.ChunkTokens((1, 1), numbers, names)
        expected = parallel.column_ids(tokens.strings(), by_text, text_names)
        assert parallel.column_ids(tokens, by_number, number_names, maps).tolist() == expected.tolist()
    assert number_names == text_names == ["", "audio", "model", "speech", "asr"]
    # Without names (transform) unknown tokens are column 0, and nothing is added.
    tokens = parallel.ChunkTokens((2, 1), np.array([0, 1, 2], dtype=np.int32), ["", "zyxxy", "speech"])
    assert parallel.column_ids(tokens, by_number, None, {}).tolist() == [0, 0, 3]
