"""Profiles: the snapshot builder, profile files with hand-written additions, user profiles, the db table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asr_jobs.db.store import open_db
from asr_jobs.profiles import (
    BUILTIN_DIR,
    Profile,
    load_profiles,
    parse_weight,
    profile_toml,
    read_profile,
    save_profiles,
)
from asr_jobs.profiles.builder import build, parse_snapshot, section_of, slug

SEED = Path(__file__).parent.parent.parent / "shared" / "seed" / "asr-research-roles-2026.txt"

SNAPSHOT = """# Speech Jobs Snapshot 2027
Speech research is hiring again, mostly for streaming and on-device work.
Hiring Demand
Strong. Labs want researchers who publish, prioritize:
- Publication record: papers at Interspeech
Top Skills
What labs ask for:
- Streaming architectures: RNN-T, CTC, online decoding
- Speech synthesis models: diffusion TTS and neural vocoders
Compensation
Pay keeps rising.
Breakdown by level:
- Research Engineer (MS): $140K-$190K - Builds the training stack
- Staff Research Scientist: $320K-$450K+ - Sets the lab's direction
Research Areas in High Demand (2027)
- Code-switching: Hindi-English and Spanish-English
Top Research Labs Hiring
- Startups: SpeechCo (research team), VoiceLab
Publication Venues That Matter
- Tier 1: Interspeech, ICASSP
- Journals: IEEE/ACM Transactions on Audio, Speech, and Language Processing
Recommended Resources
Some Book (Someone et al.)
- Affiliate monitor: buy it here
"""


@pytest.fixture()
def built(tmp_path) -> tuple[Path, list[Profile]]:
    snapshot = tmp_path / "speech-2027.txt"
    snapshot.write_text(SNAPSHOT, encoding="utf-8")
    out = tmp_path / "profiles"
    return out, build(snapshot, out)


def test_sections_of_a_snapshot():
    snapshot = parse_snapshot(SNAPSHOT)
    assert snapshot.title == "Speech Jobs Snapshot 2027"
    assert snapshot.skills == [("Streaming architectures", "RNN-T, CTC, online decoding"),
                               ("Speech synthesis models", "diffusion TTS and neural vocoders")]
    assert snapshot.areas == [("Code-switching", "Hindi-English and Spanish-English")]
    assert snapshot.levels == [("Research Engineer (MS)", "$140K-$190K - Builds the training stack"),
                               ("Staff Research Scientist", "$320K-$450K+ - Sets the lab's direction")]
    assert snapshot.labs == ["SpeechCo", "VoiceLab"]
    assert snapshot.venues == ["Interspeech", "ICASSP", "IEEE/ACM Transactions on Audio, Speech, and Language Processing"]
    assert snapshot.overview == ["Publication record: papers at Interspeech"]


def test_heading_lines():
    assert section_of("Top Skills") == "skills"
    assert section_of("Breakdown by level:") == "levels"
    assert section_of("Research Areas in High Demand (2026)") == "areas"
    assert section_of("Recommended Resources for ASR Researchers") == "other"
    assert section_of("Unlike applied engineering roles, research positions prioritize:") is None
    assert section_of("Strong. Labs want researchers who publish.") is None


def test_slugs():
    assert slug("Streaming architectures") == "streaming"
    assert slug("Low-resource ASR") == "low-resource"
    assert slug("Multilingual and code-switching") == "multilingual-code-switching"
    assert slug("Extremely low-resource languages") == "extremely-low-resource"


def test_builder_writes_one_file_per_profile(built):
    out, profiles = built
    assert [(p.name, p.kind) for p in profiles] == [
        ("asr-research", "overall"), ("streaming", "skill"), ("synthesis", "skill"),
        ("code-switching", "area"), ("research-engineer", "level"), ("staff-research-scientist", "level"),
    ]
    assert sorted(p.name for p in out.glob("*.toml")) == sorted(f"{p.name}.toml" for p in profiles)
    loaded = {name: read_profile(out / f"{name}.toml") for name in ("asr-research", "streaming",
                                                                     "staff-research-scientist")}
    overall = loaded["asr-research"]
    assert "RNN-T, CTC, online decoding" in overall.text and "Code-switching" in overall.text
    assert "Affiliate" not in overall.text and "Pay keeps rising" not in overall.text
    assert overall.labs == ["SpeechCo", "VoiceLab"] and overall.venues[:2] == ["Interspeech", "ICASSP"]
    assert loaded["streaming"].within == "asr-research"
    assert loaded["streaming"].text == "Streaming architectures: RNN-T, CTC, online decoding"
    staff = loaded["staff-research-scientist"]
    assert (staff.level, staff.salary_min, staff.salary_max, staff.salary_currency, staff.salary_open) == \
        ("principal-staff", 320_000, 450_000, "USD", True)
    assert "Sets the lab's direction" in staff.text


def test_rebuild_keeps_hand_written_additions(built, tmp_path):
    out, _ = built
    extra = out / "streaming.extra.toml"
    extra.write_text('text = "Low-latency transducers"\nterms = ["chunked attention"]\n[weights]\nRNN-T = 3\n',
                     encoding="utf-8")
    build(tmp_path / "speech-2027.txt", out)
    profile = load_profiles(out)["streaming"]
    assert extra.exists() and profile.extra_path == str(extra)
    assert profile.text.endswith("Low-latency transducers") and profile.weights == {"RNN-T": 3.0}
    assert "chunked attention" in profile.match_text


def test_snapshot_without_sections_is_an_error():
    with pytest.raises(ValueError, match="found no skills, research areas or levels"):
        parse_snapshot("Just a title\nAnd a paragraph of text that says nothing in particular.\n")
    with pytest.raises(ValueError, match="empty"):
        parse_snapshot("\n\n")


def test_builtin_profiles():
    profiles = load_profiles()
    kinds = {kind: [p.name for p in profiles.values() if p.kind == kind] for kind in ("overall", "skill", "area",
                                                                                       "level")}
    assert kinds["overall"] == ["asr-research"]
    assert sorted(kinds["skill"]) == ["acoustic-modeling", "end-to-end", "large-scale-training", "low-resource",
                                      "self-supervised-learning", "streaming", "transformer"]
    assert sorted(kinds["area"]) == ["extremely-low-resource", "interpretability", "multilingual-code-switching",
                                     "multimodal", "on-device-efficiency", "personalization", "robustness"]
    assert {p.level: (p.salary_min, p.salary_max) for p in profiles.values() if p.kind == "level"} == {
        "research-engineer": (150_000, 200_000), "research-scientist": (200_000, 280_000),
        "senior": (250_000, 350_000), "principal-staff": (300_000, 500_000)}
    assert profiles["asr-research"].weights["speech"] > 1 and profiles["asr-research"].weights["Google"] == 0


@pytest.mark.skipif(not SEED.exists(), reason="../shared (the seed snapshot) is absent")
def test_committed_profiles_are_the_builders_output(tmp_path):
    build(SEED, tmp_path)
    for path in tmp_path.glob("*.toml"):
        assert (BUILTIN_DIR / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), path.name


def test_user_profiles_add_and_override(tmp_path, monkeypatch):
    user = tmp_path / "user"
    user.mkdir()
    monkeypatch.setenv("ASR_JOBS_PROFILES", str(user))
    (user / "me.toml").write_text('title = "Me"\ntext = "Streaming ASR on device"\n[weights]\n"on-device" = 2\n',
                                  encoding="utf-8")
    (user / "streaming.toml").write_text('kind = "skill"\ntext = "My own streaming profile"\n', encoding="utf-8")
    (user / "asr-research.extra.toml").write_text('[weights]\nspeech = 9\n', encoding="utf-8")
    profiles = load_profiles()
    assert profiles["me"].kind == "user" and profiles["me"].weights == {"on-device": 2.0}
    assert profiles["streaming"].text == "My own streaming profile"
    assert profiles["asr-research"].weights["speech"] == 9 and profiles["asr-research"].weights["Google"] == 0


@pytest.mark.parametrize("content, message", [
    ('text = ""\n', "needs a non-empty text"),
    ('kind = "boss"\ntext = "x"\n', "kind 'boss' is not one of"),
    ('text = "x"\n[weights]\nspeech = "high"\n', "weight of 'speech' should be a number"),
    ('text = "x"\nterms = "a, b"\n', "terms should be a list of strings"),
    ('text = "x\n', "not valid TOML"),
])
def test_bad_profile_files(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as error:
        read_profile(path)
    assert str(path) in str(error.value)


def test_bad_profile_name(tmp_path):
    path = tmp_path / "Bad Name.toml"
    path.write_text('text = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="must be lower-case letters"):
        read_profile(path)


def test_profile_file_round_trip(tmp_path):
    profile = Profile(name="me", title="Me", kind="user", description='Says "hi"', text="Line one\nLine 'two'",
                      terms=["RNN-T"], weights={"on-device": 2.0, "speech recognition": 1.5}, within="asr-research")
    path = tmp_path / "me.toml"
    path.write_text(profile_toml(profile, "A header"), encoding="utf-8")
    again = read_profile(path)
    assert (again.title, again.description, again.text, again.terms, again.weights, again.within) == \
        (profile.title, profile.description, profile.text, profile.terms, profile.weights, profile.within)


def test_parse_weight():
    assert parse_weight("RNN-T=2") == ("RNN-T", 2.0)
    assert parse_weight("speech recognition = 1.5") == ("speech recognition", 1.5)
    with pytest.raises(ValueError, match="expected TERM=NUMBER"):
        parse_weight("RNN-T")
    with pytest.raises(ValueError, match="'x' is not a number"):
        parse_weight("RNN-T=x")


def test_save_profiles_upserts_the_table():
    db = open_db(None)
    profiles = load_profiles()
    assert save_profiles(db, profiles) == len(profiles)
    save_profiles(db, profiles)
    assert db["profiles"].count == len(profiles)
    row = db["profiles"].get("senior-research-scientist")
    assert (row["kind"], row["level"], row["salary_min"], row["salary_open"], row["within"]) == \
        ("level", "senior", 250_000, 1, "asr-research")
    assert json.loads(db["profiles"].get("asr-research")["terms"])["speech"] == 4
