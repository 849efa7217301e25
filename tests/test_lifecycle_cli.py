"""The posting lifecycle through `asr-jobs scrape`, over a sequence of changing recordings of one board."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

import asr_jobs.cli as cli_module
from asr_jobs.samplesites.common import routes_of
from asr_jobs.samplesites.server import Fault, SampleServer, first_only, labs_toml

ENV = {"ASR_JOBS_RETRY_SCALE": "0", "NO_COLOR": "1", "ASR_JOBS_DB": None, "ASR_JOBS_LABS": None}
URL = "https://boards-api.greenhouse.io/v1/boards/anthropic/jobs?content=true"


def job(job_id: int, title: str, location: str = "San Francisco, CA", content: str = "Speech research.") -> dict:
    return {"id": job_id, "title": title, "location": {"name": location}, "content": f"&lt;p&gt;{content}&lt;/p&gt;",
            "absolute_url": f"https://job-boards.greenhouse.io/anthropic/jobs/{job_id}",
            "updated_at": "2026-11-01T00:00:00-05:00", "departments": [{"name": "Research"}]}


def recording(*jobs: dict) -> list[dict]:
    return [{"request": {"method": "GET", "url": URL},
             "response": {"status": 200, "headers": [{"name": "Content-Type", "value": "application/json"}],
                          "content": {"text": json.dumps({"jobs": list(jobs)})}}}]


class Board:
    """Scrapes of one lab whose board is replaced between runs."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.db = tmp_path / "jobs.db"
        self.server: SampleServer | None = None

    def scrape(self, *jobs: dict, fault: str | Fault | None = None, extra: tuple[str, ...] = ()) -> tuple[int, dict]:
        if self.server is not None:
            self.server.stop()
        self.server = SampleServer(routes_of(recording(*jobs))).__enter__()
        self.server.reset(Fault(fault) if isinstance(fault, str) else fault)
        labs = self.tmp / "labs.toml"
        labs.write_text(labs_toml({"anthropic": self.server.base_url}))
        result = CliRunner().invoke(cli_module.cli, ["scrape", "anthropic", "--db", str(self.db), "--labs",
                                                     str(labs), "--json", *extra], env=ENV, catch_exceptions=False)
        return result.exit_code, json.loads(result.stdout)[0]

    def rows(self) -> dict[str, dict]:
        conn = sqlite3.connect(self.db)
        conn.row_factory = sqlite3.Row
        try:
            return {r["source_id"]: dict(r) for r in conn.execute("SELECT * FROM postings")}
        finally:
            conn.close()

    def versions(self) -> list[tuple[str, str, str | None, str | None]]:
        conn = sqlite3.connect(self.db)
        try:
            return conn.execute("SELECT p.source_id, v.field, v.old, v.new FROM posting_versions v "
                                "JOIN postings p ON p.id = v.posting_id ORDER BY v.id").fetchall()
        finally:
            conn.close()

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


@pytest.fixture
def board(tmp_path):
    b = Board(tmp_path)
    yield b
    b.close()


def statuses(board: Board) -> dict[str, str]:
    return {sid: row["status"] for sid, row in board.rows().items()}


def test_lifecycle_over_changing_recordings(board):
    a, b, c = job(1, "Research Scientist, Speech"), job(2, "Research Engineer, ASR"), job(3, "Audio ML Intern")
    # 1. First scrape: all new and open.
    code, run = board.scrape(a, b, c)
    assert code == 0 and (run["status"], run["new"]) == ("ok", 3)
    first_seen = {sid: row["first_seen"] for sid, row in board.rows().items()}
    # 2. The board changes a title and a location and drops a posting: versions kept, the dropped one closed.
    a2 = job(1, "Senior Research Scientist, Speech", location="New York, NY")
    code, run = board.scrape(a2, b)
    assert code == 0 and (run["updated"], run["closed"]) == (1, 1)
    assert statuses(board) == {"1": "open", "2": "open", "3": "closed"}
    assert board.versions() == [("1", "title", "Research Scientist, Speech", "Senior Research Scientist, Speech"),
                                ("1", "location", "San Francisco, CA", "New York, NY"),
                                ("3", "status", "open", "closed")]
    assert board.rows()["3"]["closed_at"]
    # 3. The site fails: nothing is closed, what could not be checked is uncertain.
    code, run = board.scrape(a2, b, fault="http503")
    assert code == 1 and run["status"] == "failed" and "HTTP 503" in run["message"]
    assert statuses(board) == {"1": "uncertain", "2": "uncertain", "3": "closed"}
    # 4. The dropped posting comes back with a new description: reopened, and the change is a version.
    c2 = job(3, "Audio ML Intern", content="Speech and audio research internship.")
    code, run = board.scrape(a2, b, c2)
    assert code == 0 and run["status"] == "ok" and run["closed"] == 0
    rows = board.rows()
    assert statuses(board) == {"1": "open", "2": "open", "3": "open"}
    assert rows["3"]["reopened_at"] and rows["3"]["closed_at"] is None
    assert board.versions()[-2:] == [("3", "status", "closed", "open"),
                                     ("3", "description", "Speech research.", "Speech and audio research internship.")]
    # 5. A sudden drop to one posting closes nothing (exit 3) until the user accepts it.
    code, run = board.scrape(b)
    assert code == 3 and run["status"] == "suspicious" and "--accept-drop" in run["message"]
    assert "closed" not in statuses(board).values()
    code, run = board.scrape(b, extra=("--accept-drop",))
    assert code == 0 and run["closed"] == 2
    # Throughout: nothing deleted, first_seen never rewritten.
    assert {sid: row["first_seen"] for sid, row in board.rows().items()} == first_seen


def test_rate_limited_scrape_saves_what_it_saw_and_closes_nothing(board):
    a, b = job(1, "Research Scientist, Speech"), job(2, "Research Engineer, ASR")
    board.scrape(a, b)
    code, run = board.scrape(a, fault=Fault("http429-retry-after", first_only))  # 429 once, then the board
    assert code == 0 and run["status"] == "partial" and run["closed"] == 0 and "rate-limited" in run["message"]
    assert statuses(board) == {"1": "open", "2": "uncertain"}
