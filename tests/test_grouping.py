"""Duplicates grouped: one lab's postings of one title and near-identical text are one row in ranked lists."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from asr_jobs.cli import cli
from asr_jobs.db.grouping import near_duplicate_groups, regroup, similar
from asr_jobs.db.store import open_db, save_postings
from asr_jobs.enrich import posting_fields
from asr_jobs.matcher.evaluate import Pile, distinct_postings
from asr_jobs.models import Posting

ROLE = ("Research Scientist on speech recognition: end-to-end ASR with Conformer and RNN-T, self-supervised "
        "pretraining with wav2vec 2.0, streaming decoding, publications at Interspeech and ICASSP. Based in {city}.")


def test_near_duplicate_groups_need_the_same_key_and_text():
    rows = [("1", "acme|rs", ROLE.format(city="Paris")), ("2", "acme|rs", ROLE.format(city="London")),
            ("3", "acme|rs", "Research Scientist on computer vision: segmentation, detection, video."),
            ("4", "other|rs", ROLE.format(city="Paris")), ("5", "acme|rs", ROLE.format(city="Berlin"))]
    assert near_duplicate_groups(rows) == [["1", "2", "5"]]


def test_exact_twins_join_their_twins_group_under_the_same_key_only():
    vision = "Research Scientist on computer vision: segmentation, detection, video, tracking, 3D scenes."
    rows = [("1", "acme|rs", ROLE.format(city="Paris")), ("2", "acme|rs", vision),
            ("3", "acme|rs", ROLE.format(city="Paris")), ("4", "other|rs", ROLE.format(city="Paris")),
            ("5", "acme|rs", vision), ("6", "other|rs", vision)]
    assert near_duplicate_groups(rows) == [["1", "3"], ["2", "5"]]


def test_similar_is_jaccard_at_least_nine_tenths():
    words = frozenset(f"w{i}" for i in range(10))
    assert similar(words, words | {"x"})  # 10 / 11
    assert not similar(words, words | {"x", "y"})  # 10 / 12
    assert not similar(words, frozenset(f"w{i}" for i in range(1, 11)))  # 9 / 11
    assert similar(frozenset(), frozenset()) and not similar(frozenset(), words)


def speech_posting(source_id: str, city: str, title: str = "Research Scientist, Speech") -> Posting:
    return Posting(lab="acme", source_id=source_id, title=title, url=f"https://acme.example/{source_id}",
                   location=city, description=ROLE.format(city=city))


def test_jobs_and_datasette_show_a_group_once(tmp_path):
    path = str(tmp_path / "jobs.db")
    postings = [speech_posting("p", "Paris"), speech_posting("l", "London"), speech_posting("b", "Berlin"),
                speech_posting("t", "Toronto", title="Speech Research Intern")]
    db = open_db(path)
    save_postings(db, postings, fields={p.id: posting_fields(p) for p in postings})
    runner = CliRunner()
    assert runner.invoke(cli, ["match", "--db", path, "--quiet"]).exit_code == 0
    rows = json.loads(runner.invoke(cli, ["jobs", "--db", path, "--profile", "asr-research", "--json"]).output)
    assert sorted(r["title"] for r in rows) == ["Research Scientist, Speech", "Speech Research Intern"]
    grouped = next(r for r in rows if r["title"] == "Research Scientist, Speech")
    assert grouped["location"].endswith(" +2 locations")
    view = list(open_db(path).query("SELECT title, location FROM ranked_matches WHERE profile = 'asr-research'"))
    assert len(view) == 2 and {"Toronto", grouped["location"]} == {v["location"] for v in view}
    table = runner.invoke(cli, ["jobs", "--db", path, "--profile", "asr-research"], terminal_width=200).output
    assert "+2 locations" in table and table.count("Research Scientist, Speech") == 1


def test_eval_counts_a_group_once_with_its_best_grade():
    pile = Pile(source_ids=["a", "b", "c"], titles=["Research Scientist"] * 3,
                descriptions=[ROLE.format(city="Paris"), ROLE.format(city="Oslo"), "Sales role in retail."],
                companies=["acme"] * 3, grades=np.array([0.0, 3.0, 0.0]))
    keep, grades = distinct_postings(pile)
    assert keep.tolist() == [True, False, True] and grades[keep].tolist() == [3.0, 0.0]


def test_an_incremental_match_regroups_the_changed_titles_as_a_full_refresh_would(tmp_path):
    path = str(tmp_path / "jobs.db")
    postings = [speech_posting(f"s{n}", f"City {n}", title=f"Research Scientist, Speech {n % 12}") for n in range(24)]
    db = open_db(path)
    save_postings(db, postings, fields={p.id: posting_fields(p) for p in postings})
    runner = CliRunner()
    assert runner.invoke(cli, ["match", "--db", path, "--quiet"]).exit_code == 0
    groups = "SELECT posting_id, lead_id, size FROM posting_groups ORDER BY posting_id"
    before = db.execute(groups).fetchall()
    assert len(before) == 24  # twelve titles, two cities each
    # A third city for one title, and one posting closed: an incremental run regroups those two titles.
    extra = speech_posting("s0-bis", "Zurich", title="Research Scientist, Speech 0")
    save_postings(db, [extra], fields={extra.id: posting_fields(extra)})
    db.execute("UPDATE postings SET status = 'closed' WHERE source_id = 's1'")
    db.conn.commit()
    result = runner.invoke(cli, ["match", "--db", path])
    assert result.exit_code == 0, result.output
    assert "incremental match" in result.stderr
    incremental = db.execute(groups).fetchall()
    assert incremental != before and regroup(db) >= 1 and db.execute(groups).fetchall() == incremental
