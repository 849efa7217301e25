"""A small hand-written jobs database for the datasette tests: labs, postings, runs, level bands, matches."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asr_jobs.db import store
from asr_jobs.db.schema import ensure_db_shape
from asr_jobs.models import stable_id


def ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")


EVIL_DESCRIPTION = (
    "About the role\n"
    "We build speech recognition for everyone.\n"
    "<script>alert('owned')</script>\n"
    "- <img src=x onerror=alert(2)> streaming ASR\n"
    "- <a href=\"javascript:alert(3)\">apply here</a>"
)

LABS = [
    {"name": "anthropic", "title": "Anthropic", "category": "industry", "adapter": "greenhouse",
     "homepage": "https://www.anthropic.com/careers"},
    {"name": "ai2", "title": "Allen Institute for AI", "category": "academic", "adapter": "greenhouse",
     "homepage": "https://allenai.org/careers"},
    {"name": "deepgram", "title": "Deepgram", "category": "startup", "adapter": "ashby",
     "homepage": "https://deepgram.com/careers"},
]

# (lab, source_id, title, seniority, workplace, salary_min, salary_max, first_seen days ago, status, closed days ago)
POSTINGS = [
    ("anthropic", "101", "Research Scientist, Speech Recognition", "research-scientist", "hybrid",
     300000, 400000, 0.5, "open", None),
    ("ai2", "201", "Research Engineer, Speech", "research-engineer", "onsite", 120000, 140000, 20, "open", None),
    ("deepgram", "301", "Senior Research Scientist, Audio LLMs", "senior", "remote", 260000, 340000, 0.5,
     "open", None),
    ("deepgram", "302", "Speech <b>Data</b> Engineer", "research-engineer", "remote", None, None, 0.5, "open", None),
    ("anthropic", "102", "Office Manager", "manager", "onsite", None, None, 20, "open", None),
    ("ai2", "202", "Audio ML Intern", "intern", "onsite", 50, 60, 40, "closed", 3),
    ("anthropic", "103", "Research Scientist, Speaker Diarization", "research-scientist", "hybrid",
     None, None, 120, "closed", 90),
]

DESCRIPTIONS = {
    "101": ("Join the speech team.\nYou will train conformer models for speech recognition.\n\n"
            "What you bring\n- PhD in speech or ML\n- Papers at Interspeech or ICASSP"),
    "201": "Build streaming ASR pipelines and evaluation tooling for speech recognition research.",
    "301": "Lead research on audio language models and self-supervised speech representations.",
    "302": EVIL_DESCRIPTION,
    "102": "Run our London office: facilities, events and travel.",
    "202": "Summer internship on audio event detection.",
    "103": "Research on speaker diarization and overlapping speech.",
}

PROFILES = [
    {"name": "asr-research", "title": "ASR research", "kind": "topic", "level": None},
    {"name": "streaming", "title": "Streaming ASR", "kind": "topic", "level": None},
    {"name": "level-research-engineer", "title": "Research engineer", "kind": "level",
     "level": "research-engineer", "salary_min": 150000, "salary_max": 200000},
    {"name": "level-research-scientist", "title": "Research scientist", "kind": "level",
     "level": "research-scientist", "salary_min": 200000, "salary_max": 280000},
    {"name": "level-senior", "title": "Senior", "kind": "level", "level": "senior",
     "salary_min": 250000, "salary_max": 350000},
    {"name": "level-principal-staff", "title": "Principal or staff", "kind": "level", "level": "principal-staff",
     "salary_min": 300000, "salary_max": 500000},
]

# profile -> [(source_id, score, terms)], best first
MATCHES = {
    "asr-research": [
        ("101", 0.61, [["speech", 0.4], ["conformer", 0.3], ["recognition", 0.2]]),
        ("302", 0.52, [["speech", 0.5], ["asr", 0.3]]),
        ("201", 0.47, [["asr", 0.5], ["speech", 0.3], ["streaming", 0.1]]),
        ("103", 0.44, [["speech", 0.6], ["diarization", 0.3]]),
        ("301", 0.30, [["speech", 0.5], ["audio", 0.4]]),
        ("202", 0.12, [["audio", 0.9]]),
        ("102", 0.01, []),
    ],
    "streaming": [
        ("201", 0.58, [["streaming", 0.6], ["asr", 0.3]]),
        ("101", 0.20, [["speech", 0.7]]),
    ],
}


def pid(lab: str, source_id: str) -> str:
    return stable_id(lab, source_id)


def build_jobs_db(path: Path) -> Path:
    """Write the fixture database at `path` with the browsing views in place."""
    db = store.open_db(path)
    db["labs"].insert_all([{**lab, "config": "{}"} for lab in LABS], pk="name")
    ids = {}
    for lab, sid, title, level, workplace, lo, hi, seen, status, closed in POSTINGS:
        ids[sid] = pid(lab, sid)
        hourly = hi is not None and hi < 1000
        db["postings"].insert({
            "id": ids[sid], "lab": lab, "source_id": sid, "title": title, "description": DESCRIPTIONS[sid],
            "url": "javascript:alert(4)" if sid == "302" else f"https://jobs.example/{lab}/{sid}",
            "location": "London, UK" if lab == "anthropic" else "Seattle, WA", "workplace": workplace,
            "employment_type": "intern" if level == "intern" else "full-time", "seniority": level,
            "salary_min": lo, "salary_max": hi, "salary_currency": "USD" if lo else None,
            "salary_period": ("hour" if hourly else "year") if lo else None, "salary_source": "ats" if lo else None,
            "first_seen": ago(seen), "last_seen": ago(0.5), "status": status,
            "closed_at": ago(closed) if closed else None,
        })
    for lab in ("anthropic", "ai2", "deepgram"):
        db["scrape_runs"].insert_all([
            {"lab": lab, "started_at": ago(30), "finished_at": ago(30), "status": "ok", "seen": 3},
            {"lab": lab, "started_at": ago(1), "finished_at": ago(0.9), "status": "ok", "seen": 3},
        ])
    db["profiles"].insert_all(PROFILES, pk="name", alter=True)
    rows = []
    for profile, ranked in MATCHES.items():
        for rank, (sid, score, terms) in enumerate(ranked, start=1):
            rows.append({"profile": profile, "posting_id": ids[sid], "score": score, "rank": rank,
                         "terms": json.dumps(terms), "matched_at": ago(0.4)})
    db["matches"].insert_all(rows, pk=("profile", "posting_id"))
    ensure_db_shape(db)
    db.close()
    return path
