"""Boilerplate learned from a company's own postings: repeated paragraphs weigh as boilerplate, shown by `show`."""

from __future__ import annotations

import json

from click.testing import CliRunner

from asr_jobs.cli import cli
from asr_jobs.db.store import open_db, save_postings
from asr_jobs.enrich import posting_fields
from asr_jobs.matcher import boilerplate, match_db
from asr_jobs.models import Posting
from asr_jobs.profiles import load_profiles

MISSION = ("Frontier Labs builds safe and beneficial artificial intelligence systems for everyone, with speech, "
           "audio, language and vision models, and we are proud of our mission.")
BENEFITS = "We offer generous health benefits, equity, paid parental leave and a yearly learning budget."
ROLES = {
    "audio": ("Research Scientist, Audio", "Train speech recognition (ASR) and text-to-speech models."),
    "sales": ("Account Executive", "Sell our API to enterprise customers and close deals."),
    "finance": ("Financial Analyst", "Build budgets and forecasts for the finance team."),
    "recruit": ("Technical Recruiter", "Hire engineers and researchers for our teams."),
}


def lab_posting(key: str, city: str = "") -> Posting:
    title, role = ROLES[key]
    return Posting(lab="frontier", source_id=f"{key}{city}", title=title, url=f"https://f.example/{key}{city}",
                   company="Frontier Labs", location=city,
                   description=f"{MISSION}\n\n{role}\n\n{BENEFITS}\n\nSpeech and audio are part of everything we do "
                               "across speech, audio, voice and spoken language.")


def test_learn_finds_paragraphs_most_titles_repeat():
    rows = [("Frontier Labs", p.title, p.description) for p in map(lab_posting, ROLES)]
    learned = boilerplate.learn(rows)
    found = learned.found("Frontier Labs", rows[0][2])
    assert MISSION in found and BENEFITS in found
    assert not any("Train speech recognition" in f for f in found)
    moved = learned.moved("Frontier Labs", rows[0][2])
    assert moved.index("Train speech recognition") < moved.index("**Company boilerplate**") < moved.index(MISSION)
    assert learned.found("Someone Else", rows[0][2]) == []


def test_duplicates_of_one_role_are_not_boilerplate():
    # One role in four cities repeats its own text four times: one title, so nothing is learned.
    rows = [("Frontier Labs", "Research Scientist, Audio", lab_posting("audio", c).description)
            for c in ("sf", "ny", "ldn", "sea")]
    assert boilerplate.learn(rows).paragraphs == {}


def test_short_and_rare_paragraphs_stay_role_text():
    rows = [("Acme", f"Role {i}", "Remote\n\nPython\n\nA paragraph about this role alone, number " + str(i))
            for i in range(5)]
    assert boilerplate.learn(rows).paragraphs == {}


def test_learned_boilerplate_lifts_the_role_that_is_about_speech(tmp_path):
    postings = [lab_posting(k) for k in ROLES]
    db = open_db(None)
    save_postings(db, postings, fields={p.id: posting_fields(p) for p in postings})
    match_db(db, load_profiles(), ["asr-research"])
    rows = list(db.query("SELECT p.source_id, m.score FROM matches m JOIN postings p ON p.id = m.posting_id "
                         "WHERE m.profile = 'asr-research' ORDER BY m.rank"))
    scores = {r["source_id"]: r["score"] for r in rows}
    assert rows[0]["source_id"] == "audio"
    # The shared speech paragraph is boilerplate: the sales role no longer looks like a speech role.
    # (without the learned boilerplate they score about 0.17 and 0.19)
    assert scores.get("sales", 0) < 0.1 and scores.get("finance", 0) < 0.1


def test_show_lists_the_boilerplate(tmp_path):
    path = str(tmp_path / "jobs.db")
    postings = [lab_posting(k) for k in ROLES]
    db = open_db(path)
    save_postings(db, postings, fields={p.id: posting_fields(p) for p in postings})
    runner = CliRunner()
    shown = runner.invoke(cli, ["show", "--db", path, "frontier:audio"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "Boilerplate (repeated across Frontier Labs's postings" in shown.output
    assert "  - We offer generous health benefits" in shown.output
    data = json.loads(runner.invoke(cli, ["show", "--db", path, "frontier:audio", "--json"]).output)
    assert BENEFITS in data["boilerplate"] and not any("Train speech" in p for p in data["boilerplate"])


def test_an_incremental_match_learns_the_new_postings_companies_only(monkeypatch):
    db = open_db(None)
    others = [Posting(lab="other", source_id=f"o{n}", title=f"Role {n}", url=f"https://o.example/{n}",
                      company="Other Co", description=f"{BENEFITS}\n\nRole {n} text.") for n in range(12)]
    postings = [lab_posting(k) for k in ROLES] + others
    save_postings(db, postings, fields={p.id: posting_fields(p) for p in postings})
    profiles = load_profiles()
    match_db(db, profiles)
    new = lab_posting("audio", "-paris")
    save_postings(db, [new], fields={new.id: posting_fields(new)})
    read: list[tuple[str, str, str]] = []
    real = boilerplate.learn

    def learn(rows):
        rows = list(rows)
        read.extend(rows)
        return real(rows)

    monkeypatch.setattr(boilerplate, "learn", learn)
    summary = match_db(db, profiles)
    assert summary.mode == "incremental"
    # Frontier Labs' postings (the new one among them) are read; Other Co's are not.
    assert {who for who, _, _ in read} == {"Frontier Labs"} and len(read) == len(ROLES) + 1
