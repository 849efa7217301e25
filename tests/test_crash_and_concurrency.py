"""Real processes: a scrape killed with SIGKILL (mid-transaction and mid-fetch), then two scrapes and
datasette on one database at once. Each ends with PRAGMA integrity_check and a normal rerun."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asr_jobs.samplesites import greenhouse as sample_greenhouse
from asr_jobs.samplesites.common import Routes
from asr_jobs.samplesites.server import Fault, SampleServer, labs_toml
from asr_jobs.scrapers.registry import load_labs

pytestmark = pytest.mark.slow
# Every Greenhouse lab of labs.toml: they share one server, as they share one host.
GREENHOUSE = sorted(name for name, lab in load_labs().items() if lab.adapter == "greenhouse")
CLI = "import sys; from asr_jobs.cli import cli; cli(sys.argv[1:], prog_name='asr-jobs')"
# The same CLI, with the store stopping inside the lab's write transaction (rows written, nothing
# committed) and saying so, so that SIGKILL lands exactly there.
CLI_STOPPING_IN_TRANSACTION = """
import os, sys, time
from asr_jobs.db import store
save = store.save_postings
def save_then_wait(db, postings, **kwargs):
    result = save(db, postings, **kwargs)
    with open(os.environ["CRASH_MARKER"] + ".tmp", "w") as marker:
        marker.write(f"in_transaction={db.conn.in_transaction} rows={len(postings)}")
    os.replace(os.environ["CRASH_MARKER"] + ".tmp", os.environ["CRASH_MARKER"])
    time.sleep(60)
    return result
store.save_postings = save_then_wait
from asr_jobs.cli import cli
cli(sys.argv[1:], prog_name="asr-jobs")
"""
ENV = {**os.environ, "ASR_JOBS_RETRY_SCALE": "0", "NO_COLOR": "1"}
for _name in ("ASR_JOBS_DB", "ASR_JOBS_LABS"):
    ENV.pop(_name, None)


def boards(count: int, *, labs: list[str], start: int = 0) -> Routes:
    """The labs' sample Greenhouse boards for any host, `count` postings each, job ids from `start` (+100,000 per lab)."""
    known = load_labs()
    routes: Routes = {}
    for n, name in enumerate(labs):
        routes |= sample_greenhouse.site(known[name], count, "", first=start + 100_000 * n)
    return routes


def labs_file(path: Path, server: SampleServer, labs: list[str]) -> Path:
    path.write_text(labs_toml(dict.fromkeys(labs, server.base_url)))
    return path


def run_cli(args: list[str], *, code: str = CLI, env: dict | None = None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *args], env={**ENV, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def query(db: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def snapshot(db: Path) -> list[tuple]:
    return query(db, "SELECT id, title, status, first_seen, last_seen, content_hash FROM postings ORDER BY id")


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL: no cleanup of any kind runs in the killed process."""
    proc.kill()
    proc.wait(timeout=10)
    assert proc.returncode == -9


def test_sigkill_inside_the_write_transaction_leaves_the_database_as_before(tmp_path):
    db = tmp_path / "jobs.db"
    with SampleServer(boards(40, labs=["anthropic"])) as before, SampleServer(boards(800, labs=["anthropic"], start=20)) as after:
        code, out, err = finish(run_cli(["scrape", "anthropic", "--db", str(db), "--labs",
                                         str(labs_file(tmp_path / "a.toml", before, ["anthropic"]))]))
        assert code == 0, err
        saved = snapshot(db)
        assert len(saved) == 40
        marker = tmp_path / "marker"
        changed = str(labs_file(tmp_path / "b.toml", after, ["anthropic"]))
        proc = run_cli(["scrape", "anthropic", "--db", str(db), "--labs", changed],
                       code=CLI_STOPPING_IN_TRANSACTION, env={"CRASH_MARKER": str(marker)})
        wait_for(marker.exists)
        assert marker.read_text() == "in_transaction=True rows=800"
        kill(proc)
        # What the killed process wrote is in no state anyone can see: the database is as before.
        assert query(db, "PRAGMA integrity_check") == [("ok",)]
        assert snapshot(db) == saved
        assert query(db, "SELECT count(*) FROM posting_versions") == [(0,)]
        assert query(db, "SELECT status FROM scrape_runs ORDER BY id") == [("ok",), ("running",)]
        # The next run completes normally and marks the killed one interrupted.
        code, out, err = finish(run_cli(["scrape", "anthropic", "--db", str(db), "--labs", changed, "--json"]))
        assert code == 0, err
        (row,) = json.loads(out)
        assert (row["status"], row["new"], row["closed"]) == ("ok", 780, 20)
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT status, count(*) FROM postings GROUP BY status ORDER BY status") == [
        ("closed", 20), ("open", 800)]
    assert query(db, "SELECT status FROM scrape_runs ORDER BY id") == [("ok",), ("interrupted",), ("ok",)]
    assert query(db, "SELECT count(*) FROM postings_fts") == [(820,)]  # the search index agrees


def test_sigkill_while_fetching_then_rerun(tmp_path):
    db = tmp_path / "jobs.db"
    with SampleServer(boards(30, labs=["anthropic"])) as server:
        lab_file = str(labs_file(tmp_path / "labs.toml", server, ["anthropic"]))
        assert finish(run_cli(["scrape", "anthropic", "--db", str(db), "--labs", lab_file]))[0] == 0
        saved = snapshot(db)
        server.reset(Fault("stall"))
        proc = run_cli(["scrape", "anthropic", "--db", str(db), "--labs", lab_file])
        wait_for(lambda: server.log)  # the request is in flight, the server holds its answer
        kill(proc)
        assert query(db, "PRAGMA integrity_check") == [("ok",)]
        assert snapshot(db) == saved
        server.reset(None)
        code, out, err = finish(run_cli(["scrape", "anthropic", "--db", str(db), "--labs", lab_file, "--json"]))
    assert code == 0, err
    assert json.loads(out)[0]["status"] == "ok"
    assert query(db, "SELECT status FROM scrape_runs ORDER BY id") == [("ok",), ("interrupted",), ("ok",)]
    assert [r[:4] for r in snapshot(db)] == [r[:4] for r in saved]


READER = """
import sqlite3, sys, time
path, stop = sys.argv[1], sys.argv[2]
reads = errors = 0
import os
while not os.path.exists(stop):
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.1)
        conn.execute("BEGIN")
        conn.execute("SELECT count(*), count(DISTINCT id) FROM postings").fetchone()
        conn.execute("SELECT lab, status, count(*) FROM postings GROUP BY lab, status").fetchall()
        time.sleep(0.01)  # a read transaction held open while writers commit
        conn.execute("COMMIT")
        conn.close()
        reads += 1
    except sqlite3.Error as exc:
        errors += 1
        print(f"reader error: {exc}", file=sys.stderr)
print(reads, errors)
"""


def test_two_scrapes_and_readers_at_once(tmp_path):
    db = tmp_path / "jobs.db"
    labs = GREENHOUSE
    with SampleServer(boards(300, labs=labs)) as server:
        lab_file = str(labs_file(tmp_path / "labs.toml", server, labs))
        # The database exists before the readers start (they open it read-only, as datasette does). `labs`
        # never creates a missing database; an empty file is a new one, which it gives the schema.
        db.touch()
        assert finish(run_cli(["labs", "--db", str(db), "--labs", lab_file]))[0] == 0
        stop = tmp_path / "stop"
        reader = subprocess.Popen([sys.executable, "-c", READER, str(db), str(stop)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        scrapes = [run_cli(["scrape", *labs, "--db", str(db), "--labs", lab_file, "--json"]) for _ in range(2)]
        datasette = shutil.which("datasette", path=str(Path(sys.executable).parent))
        browse = (subprocess.run([datasette, str(db), "--get", "/jobs/postings.json?_size=1&_shape=objects"],
                                 capture_output=True, text=True, timeout=60) if datasette else None)
        results = [finish(proc) for proc in scrapes]
        stop.touch()
        reads, errors = map(int, reader.communicate(timeout=30)[0].split())
    for code, out, err in results:
        assert code == 0, err
        assert "locked" not in err and {r["status"] for r in json.loads(out)} == {"ok"}
    assert errors == 0 and reads > 0
    if browse is not None:
        assert browse.returncode == 0, browse.stderr
        assert "locked" not in browse.stderr
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT count(*), count(DISTINCT id) FROM postings") == [(300 * len(labs), 300 * len(labs))]
    assert query(db, "SELECT status, count(*) FROM scrape_runs GROUP BY status") == [("ok", 2 * len(labs))]
    new = dict(query(db, "SELECT lab, sum(new) FROM scrape_runs GROUP BY lab"))
    assert new == dict.fromkeys(labs, 300)  # each posting was new to exactly one of the two runs
