"""Evaluation: metrics against hand-computed values, bootstrap intervals, the eval run, the dev set."""

from __future__ import annotations

import gzip
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from asr_jobs.db.store import open_db, save_postings
from asr_jobs.matcher.evaluate import load_labels, run_eval
from asr_jobs.matcher.metrics import (
    average_precision,
    bootstrap,
    dcg,
    evaluate,
    ndcg,
    precision,
    ranked_grades,
)
from asr_jobs.models import Posting
from asr_jobs.profiles import load_profiles

SHARED = Path(__file__).parent.parent.parent / "shared"


def test_metrics_by_hand():
    ranked = [3, 0, 2, 1]
    assert dcg(ranked, 10) == pytest.approx(3 + 2 / 2 + 1 / math.log2(5))
    assert ndcg(ranked, ranked, 10) == pytest.approx((3 + 1 + 1 / math.log2(5)) / (3 + 2 / math.log2(3) + 1 / 2))
    assert ndcg(ranked, ranked, 1) == 1.0
    assert ndcg([0, 3], [3, 0], 1) == 0.0
    assert precision(ranked, 10) == 0.2 and precision(ranked, 2) == 0.5
    assert average_precision(ranked) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert average_precision([0, 0, 1]) == 0.0 and ndcg([0, 0], [0, 0], 10) == 0.0


def test_ndcg_agrees_with_scikit_learn():
    from sklearn.metrics import ndcg_score

    rng = np.random.default_rng(7)
    grades = np.zeros(300)
    grades[:40] = rng.integers(1, 4, 40)
    scores = rng.random(300) + grades * 0.2
    values = evaluate(scores, grades)
    assert values["ndcg@10"] == pytest.approx(ndcg_score([grades], [scores], k=10))
    assert values["ndcg@20"] == pytest.approx(ndcg_score([grades], [scores], k=20))


def test_ties_never_flatter_a_ranker():
    grades = np.array([0.0, 0.0, 3.0])
    assert list(ranked_grades(np.zeros(3), grades)) == [0, 0, 3]


def test_bootstrap_intervals_hold_the_value():
    rng = np.random.default_rng(3)
    grades = np.zeros(500)
    grades[:25] = rng.integers(1, 4, 25)
    scores = rng.random(500) + grades * 0.25
    values = evaluate(scores, grades)
    intervals = bootstrap(scores, grades, samples=300, seed=1)
    for name, (low, high) in intervals.items():
        assert 0 <= low <= high <= 1
        assert low - 0.05 <= values[name] <= high + 0.05, name
    assert bootstrap(scores, grades, samples=50, seed=1) == bootstrap(scores, grades, samples=50, seed=1)
    perfect = bootstrap(grades.copy(), grades, samples=50)
    assert perfect["ndcg@10"] == (1.0, 1.0)


def test_load_labels(tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"id": "a", "grade": 3}\n\n{"id": 7, "grade": 0}\n', encoding="utf-8")
    assert load_labels(path) == {"a": 3, "7": 0}
    path.write_text('{"id": "a", "grade": 3}\n{"id": "b", "grade": 5}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels.jsonl:2: expected"):
        load_labels(path)
    path.write_text('{"id": "a"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels.jsonl:1: invalid JSON"):
        load_labels(path)


PILE = [
    ("s1", "Research Scientist, Speech Recognition", "ASR research with RNN-T and Conformer models. Interspeech."),
    ("s2", "Speech Synthesis Researcher", "Research on text-to-speech and neural vocoders; publications."),
    ("s3", "ML Engineer, Voice Platform", "Deploy speech recognition services for our voice assistant."),
    ("s4", "Research Scientist, Vision", "Research on image models; publications at CVPR."),
    ("s5", "Backend Engineer", "Go services and Kubernetes."),
    ("s6", "Account Executive", "Sell our SaaS product to enterprises."),
    ("s7", "Speech-Language Pathologist", "Speech therapy for children in schools."),
    ("s8", "Data Analyst", "SQL dashboards for the sales team."),
]
GRADES = {"s1": 3, "s2": 3, "s3": 2, "s4": 1}


def small_db():
    db = open_db(None)
    save_postings(db, [Posting(lab="dev", source_id=i, title=t, url="", description=d) for i, t, d in PILE])
    return db


def test_run_eval_reports_every_ranker():
    profiles = load_profiles()
    report = run_eval(small_db(), GRADES, profiles["asr-research"], available=profiles, samples=50)
    assert (report["postings"], report["labeled"], report["labels_not_found"]) == (8, 4, 0)
    assert list(report["rankers"]) == ["matcher", "BM25", "keyword count", "no boilerplate removal",
                                       "no title weight", "no field vocabulary", "no learned boilerplate",
                                       "no research signal"]
    matcher = report["rankers"]["matcher"]
    assert set(matcher) == {"ndcg@10", "ndcg@20", "p@10", "map"}
    assert matcher["map"]["value"] > 0.9 and matcher["ndcg@10"]["value"] > 0.9
    low, high = matcher["ndcg@10"]["ci95"]
    assert low <= matcher["ndcg@10"]["value"] <= high


def test_run_eval_needs_matching_ids():
    profiles = load_profiles()
    with pytest.raises(ValueError, match="none of the labeled ids matches"):
        run_eval(small_db(), {"nope": 3}, profiles["asr-research"], available=profiles, samples=10)
    with pytest.raises(ValueError, match="holds no postings"):
        run_eval(open_db(None), {"nope": 3}, profiles["asr-research"], available=profiles, samples=10)


def _dev_postings():
    with gzip.open(SHARED / "corpus-remote-jobs.jsonl.gz", "rt", encoding="utf-8") as corpus:
        for line in corpus:
            yield "remote", json.loads(line)
    with open(SHARED / "eval" / "dev-postings.jsonl", encoding="utf-8") as dev:
        for line in dev:
            yield "dev", json.loads(line)


@pytest.mark.skipif(not os.environ.get("ASR_JOBS_DEV_EVAL"), reason="slow (about a minute): set ASR_JOBS_DEV_EVAL=1")
@pytest.mark.skipif(not (SHARED / "eval" / "dev-labels.jsonl").exists(), reason="../shared is absent")
def test_dev_set_matcher_beats_bm25():
    db = open_db(None)
    postings = [Posting(lab=lab, source_id=row["id"], title=row["title"], url="", description=row["description"] or "",
                        company=row.get("company") or "") for lab, row in _dev_postings()]
    save_postings(db, postings)
    profiles = load_profiles()
    report = run_eval(db, load_labels(SHARED / "eval" / "dev-labels.jsonl"), profiles["asr-research"],
                      available=profiles, samples=200)
    rankers = report["rankers"]
    assert report["labels_not_found"] == 0
    for metric in ("ndcg@10", "ndcg@20", "map"):
        assert rankers["matcher"][metric]["value"] > rankers["BM25"][metric]["value"], metric
        assert rankers["matcher"][metric]["value"] > rankers["keyword count"][metric]["value"], metric
