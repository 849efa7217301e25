"""Counting in worker processes gives the same vectors as counting in this process."""

import numpy as np
import pytest

from asr_jobs.matcher import parallel
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
    assert len(chunks) == 1 and chunks[0][0][0] == ""


def test_workers_setting(monkeypatch):
    monkeypatch.setenv("ASR_JOBS_WORKERS", "3")
    assert parallel.workers() == 3
    monkeypatch.setenv("ASR_JOBS_WORKERS", "many")
    with pytest.raises(ValueError, match="ASR_JOBS_WORKERS='many'"):
        parallel.workers()
