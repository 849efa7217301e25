"""The research signal: research roles over engineering roles of the same topic, shown in the explanations."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from asr_jobs.cli import cli
from asr_jobs.db.store import open_db, save_postings
from asr_jobs.enrich import posting_fields
from asr_jobs.matcher import match_db, signals
from asr_jobs.models import Posting
from asr_jobs.profiles import Profile, load_profiles, read_profile

SPEECH = ("We train end-to-end speech recognition (ASR) models: Conformer and RNN-T, streaming decoding, "
          "self-supervised pretraining with wav2vec 2.0 on large speech corpora.")


def posting(source_id: str, title: str, extra: str = "") -> Posting:
    return Posting(lab="acme", source_id=source_id, title=title, url=f"https://acme.example/{source_id}",
                   description=f"{SPEECH}\n{extra}")


# The same speech topic, written as a research role and as two engineering roles.
POSTINGS = [
    posting("swe", "Senior Speech Software Engineer", "Ship the ASR service: APIs, Kubernetes, on-call."),
    posting("dev", "NLP & ASR Developer", "Integrate the ASR models into our products."),
    posting("rs", "Research Scientist, Speech",
            "PhD in speech processing required. Track record of publications at Interspeech and ICASSP."),
]


@pytest.fixture()
def db():
    database = open_db(None)
    save_postings(database, POSTINGS, fields={p.id: posting_fields(p) for p in POSTINGS})
    return database


def ranked(db, profile: str) -> list[str]:
    return [r["source_id"] for r in db.query("SELECT p.source_id FROM matches m JOIN postings p ON "
                                             "p.id = m.posting_id WHERE m.profile = ? ORDER BY m.rank", [profile])]


def test_title_words_decide_the_title_part():
    assert signals.title_part("Postdoctoral Researcher in Speech")[0] == 1.0
    assert signals.title_part("PhD position: speech parsing")[0] == 1.0
    assert signals.title_part("Applied Scientist, Speech")[0] == 0.8
    assert signals.title_part("Senior Research Engineer, TTS")[0] == 0.8
    assert signals.title_part("Senior Software Engineer, Audio")[0] == -1.0
    assert signals.title_part("NLP & ASR Developer")[0] == -1.0
    assert signals.title_part("Machine Learning Engineer")[0] == -0.5
    assert signals.title_part("Speech")[0] == 0.0


def test_text_part_reads_degree_publications_and_venues():
    assert signals.text_part("phd-required", "track-record", "Interspeech") == 1.0
    assert signals.text_part("phd-preferred", "", "") == pytest.approx(0.3)
    assert signals.text_part("", "", "") == 0.0
    research = signals.research_signal({"title": "Research Scientist", "degree": "phd-required",
                                        "publications": "first-author", "venues": "ICASSP"})
    engineering = signals.research_signal({"title": "Software Engineer"})
    assert research == 1.0 and engineering == pytest.approx(-0.6)


def test_role_factors_follow_the_profile_role():
    research = np.array([1.0, -0.5, 0.0])
    profiles = [Profile("a", kind="overall", text="x"), Profile("b", kind="user", text="x"),
                Profile("c", kind="user", text="x", role="engineering")]
    factors = signals.role_factors(research, profiles, weight=0.4)
    assert factors[:, 0].tolist() == pytest.approx([1.4, 0.8, 1.0])  # research profile
    assert factors[:, 1].tolist() == [1.0, 1.0, 1.0]  # a user profile: no role unless it says one
    assert factors[:, 2].tolist() == pytest.approx([0.6, 1.2, 1.0])  # engineering: the reverse


def test_research_profile_puts_the_research_role_first(db):
    match_db(db, load_profiles(), ["asr-research", "streaming"])
    assert ranked(db, "asr-research")[0] == "rs"
    assert ranked(db, "streaming")[0] == "rs"
    terms = json.loads(db.execute("SELECT m.terms FROM matches m JOIN postings p ON p.id = m.posting_id "
                                  "WHERE m.profile = 'asr-research' AND p.source_id = 'rs'").fetchone()[0])
    assert terms[0][0] == "research role" and terms[0][1] > 0 and terms[0][2] == "role"


def test_engineering_profile_puts_engineering_first(db, tmp_path):
    (tmp_path / "speech-eng.toml").write_text('kind = "user"\nrole = "engineering"\ntext = """' + SPEECH + '"""\n')
    profiles = {**load_profiles(), "speech-eng": read_profile(tmp_path / "speech-eng.toml")}
    match_db(db, profiles, ["speech-eng"])
    assert ranked(db, "speech-eng")[-1] == "rs"


def test_a_wrong_role_is_refused(tmp_path):
    (tmp_path / "bad.toml").write_text('role = "sales"\ntext = "speech"\n')
    with pytest.raises(ValueError, match="role 'sales' is not one of research, engineering, none"):
        read_profile(tmp_path / "bad.toml")


def test_show_and_jobs_print_the_role_adjustment(tmp_path):
    path = str(tmp_path / "jobs.db")
    database = open_db(path)
    save_postings(database, POSTINGS, fields={p.id: posting_fields(p) for p in POSTINGS})
    runner = CliRunner()
    assert runner.invoke(cli, ["match", "--db", path, "--profile", "asr-research", "--quiet"]).exit_code == 0
    jobs = runner.invoke(cli, ["jobs", "--db", path, "--profile", "asr-research", "--json"])
    rows = json.loads(jobs.output)
    best = next(r for r in rows if r["title"] == "Research Scientist, Speech")
    shown = runner.invoke(cli, ["show", "--db", path, best["id"]], terminal_width=200)
    assert shown.exit_code == 0 and "research role +0." in shown.output
    worst = next(r for r in rows if r["title"] == "NLP & ASR Developer")
    assert "engineering role -0." in runner.invoke(cli, ["show", "--db", path, worst["id"]],
                                                    terminal_width=200).output


def test_level_profiles_only_push_engineering_down():
    research = np.array([1.0, -0.5])
    level = Profile("senior", kind="level", text="x", level="senior")
    assert signals.role_factors(research, [level], weight=0.4)[:, 0].tolist() == pytest.approx([1.0, 0.8])


def test_management_and_product_titles_are_not_research_roles():
    for title in ("Manager, Voice Input and Speech Synthesis", "Director of Speech Technology",
                  "Head of Audio", "VP Engineering, Voice", "Speech Team Lead", "Lead, Voice Assistant",
                  "Voice Platform Lead", "Product Manager, Speech Recognition", "Research Program Manager",
                  "Engineering Manager, Research", "Technical Program Manager (TPM), Audio"):
        assert signals.title_part(title)[0] == signals.MANAGEMENT, title


def test_a_managers_posting_is_not_lifted_by_what_it_asks_of_candidates():
    manager = {"title": "Manager, Speech Synthesis", "degree": "phd-required", "publications": "track-record",
               "venues": "Interspeech"}
    engineer = {**manager, "title": "Senior Software Engineer, Speech"}
    assert signals.research_signal(manager) == -1.0
    # An engineering title still reads its text: papers and a PhD asked for move it toward research.
    assert signals.research_signal(engineer) == pytest.approx(-0.2)


def test_leading_research_stays_a_research_title():
    for title in ("Research Manager, Speech", "Research Lead", "Head of Speech Research",
                  "Director of Research, Audio", "Lead Research Engineer"):
        assert signals.title_part(title)[0] == 0.8, title
    lead = {"title": "Research Manager, Speech", "degree": "phd-required", "publications": "track-record"}
    assert signals.research_signal(lead) == pytest.approx(0.6 * 0.8 + 0.4 * 1.0)
    # "Lead" as a seniority word on a hands-on title is not management.
    assert signals.title_part("Lead Machine Learning Engineer")[0] == -0.5
    assert signals.title_part("Lead Data Scientist")[0] == 0.8


def test_research_profile_ranks_a_speech_manager_below_the_research_role():
    db = open_db(None)
    rows = [posting("mgr", "Manager, Voice Input and Speech Synthesis",
                    "Lead the speech team and its roadmap. PhD in speech processing required."),
            POSTINGS[2]]
    save_postings(db, rows, fields={p.id: posting_fields(p) for p in rows})
    match_db(db, load_profiles(), ["asr-research"])
    assert ranked(db, "asr-research") == ["rs", "mgr"]
