"""Import beside a bare sqlite-utils insert_all with the same full-text index; `asr-jobs jobs` latency;
`asr-jobs --help` beside importing click and rich.

Run as a module with --bare-insert, it is the measured bare baseline process itself.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from .clock import Timed, best, ratios, timed_command, wall_range
from .corpus import LAB, rows

ROOT = Path(__file__).resolve().parent.parent
JOBS_RUNS = 5
STARTUP_RUNS = 5
BARE_BATCH = 500  # rows per insert_all batch, as the import commits (ingest.COMMIT_BATCH)
# The tokenizer of the product's full-text index (db/schema.py FTS_SQL): the baseline builds the same index.
FTS_TOKENIZER = "porter"


def import_workers() -> int:
    """Processes an import prepares postings in beside the main one (workers.worker_pool: one on 2+ cores)."""
    return 0 if (os.cpu_count() or 1) < 2 or os.environ.get("ASR_JOBS_WORKERS", "").strip() == "1" else 1


def corpus_file(corpus: Path, count: int | None, folder: Path) -> Path:
    """The corpus itself, or `count` of its rows (repeated as corpus.rows repeats them) written as JSON lines."""
    if count is None:
        return corpus
    path = folder / f"corpus-{count}.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for row in rows(corpus, count):
            out.write(json.dumps(row) + "\n")
    return path


def asr_jobs(*args: str) -> list[str]:
    return [sys.executable, "-c", "from asr_jobs.cli import cli; cli()", *args]


def imported(db_path: Path, corpus: Path, count: int | None, folder: Path, repeats: int = 1) -> dict[str, Any]:
    """`asr-jobs import` of the file into a new database, then again (nothing changed), beside bare inserts.

    The bare baselines stream the imported rows out of that database (every column, as stored) into a new
    one with sqlite-utils insert_all and the same full-text index (title, description), in a fresh
    interpreter like the command: with the index kept by triggers row by row, and built once after the
    insert (what a large import into an empty table does). With `repeats`, the four are run that many times
    in turn, each import into a new database, and each figure is the best of its runs (other work on a
    shared machine only adds), its wall-time range given beside it.
    """
    source, db_path = corpus_file(corpus, count, folder).resolve(), db_path.resolve()
    command = asr_jobs("import", str(source), "--lab", LAB, "--db", str(db_path), "-q")
    runs: dict[str, list[Timed]] = {"import": [], "unchanged": [], "after": [], "triggers": []}
    out = ""
    for _ in range(repeats):
        for path in (db_path, *(db_path.with_name(db_path.name + end) for end in ("-wal", "-shm"))):
            path.unlink(missing_ok=True)
        first, out = timed_command(command)
        runs["import"].append(first)
        runs["unchanged"].append(timed_command(command)[0])
        for fts in ("after", "triggers"):
            target = folder / f"bare-{fts}.db"
            runs[fts].append(timed_command([sys.executable, "-m", "bench.store", "--bare-insert", str(db_path),
                                            str(target), "--fts", fts])[0])
            target.unlink()
    postings = sqlite3.connect(db_path).execute("SELECT count(*) FROM postings").fetchone()[0]
    first, again, after, triggers = (best(runs[name]) for name in ("import", "unchanged", "after", "triggers"))
    return {"postings": postings, "workers": import_workers(), "repeats": repeats, "import": first.json(),
            "reimport_unchanged": again.json(), "import_per_s": round(postings / first.wall),
            "bare_fts_after": after.json(), "bare_fts_triggers": triggers.json(),
            "ratio_to_bare_fts_after": ratios(first, after), "ratio_to_bare_fts_triggers": ratios(first, triggers),
            "wall_range_s": {name: wall_range(timed) for name, timed in runs.items()},
            "output": out.strip()[-200:]}


def bare_insert(source: Path, target: Path, fts: str) -> int:
    """The postings of `source`, streamed, into a new database at `target` with sqlite-utils insert_all."""
    import sqlite_utils

    src = sqlite3.connect(source)
    columns = [(name, kind) for _, name, kind, *_ in src.execute("PRAGMA table_info(postings)")]
    db = sqlite_utils.Database(target, recreate=True)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # as store.open_db
    types = {"INTEGER": int, "REAL": float, "FLOAT": float}
    table = db.table("postings")
    table.create({name: types.get(kind.upper(), str) for name, kind in columns}, pk="id")
    if fts == "triggers":
        table.enable_fts(["title", "description"], create_triggers=True, tokenize=FTS_TOKENIZER)
    names = [name for name, _ in columns]
    cursor = src.execute(f"SELECT {', '.join(names)} FROM postings ORDER BY rowid")
    table.insert_all((dict(zip(names, row, strict=True)) for row in cursor), batch_size=BARE_BATCH)
    if fts == "after":
        table.enable_fts(["title", "description"], create_triggers=True, tokenize=FTS_TOKENIZER)  # indexes the rows already there
    return table.count


def startup() -> dict[str, Any]:
    """`asr-jobs --help` beside `python -c "import click, rich.console, rich.table"`, alternately, best of runs."""
    bare_runs: list[Timed] = []
    help_runs: list[Timed] = []
    for _ in range(STARTUP_RUNS):
        bare_runs.append(timed_command([sys.executable, "-c", "import click, rich.console, rich.table"])[0])
        help_runs.append(timed_command(asr_jobs("--help"))[0])
    bare, help_ = best(bare_runs), best(help_runs)
    return {"runs": STARTUP_RUNS, "help": help_.json(), "import_click_rich": bare.json(), "ratio": ratios(help_, bare),
            "help_wall_range_s": wall_range(help_runs, 3)}


def jobs_latency(db_path: Path, profile: str = "asr-research") -> dict[str, Any]:
    """The ranked query in this process (median of runs), and the whole `asr-jobs jobs` command (startup included)."""
    from asr_jobs.db import queries, store

    db = store.open_db(db_path)
    variants: dict[str, dict[str, Any]] = {"default": {}, "--new": {"only_new": True}, "--lab": {"labs": ["remote"]},
                "--status closed": {"status": "closed"}, "--limit 0": {"limit": 0}}
    query_ms = {}
    for name, options in variants.items():
        times = []
        for _ in range(JOBS_RUNS):
            started = time.perf_counter()
            queries.ranked(db, profile, **options)
            times.append(time.perf_counter() - started)
        query_ms[name] = round(statistics.median(times) * 1000, 1)
    db.conn.close()
    # What the asr-jobs script runs: the interpreter starts, imports the CLI, queries, prints the table.
    runs = [timed_command(asr_jobs("jobs", "--db", str(db_path), "--profile", profile),
                          env={"NO_COLOR": "1", "COLUMNS": "160"})[0] for _ in range(JOBS_RUNS)]
    return {"query_ms": query_ms, "command_s": round(statistics.median(r.wall for r in runs), 3),
            "command_cpu_s": round(statistics.median(r.cpu for r in runs), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bare-insert", nargs=2, metavar=("SOURCE", "TARGET"), required=True)
    parser.add_argument("--fts", choices=["after", "triggers"], required=True)
    args = parser.parse_args()
    print(bare_insert(Path(args.bare_insert[0]), Path(args.bare_insert[1]), args.fts))


if __name__ == "__main__":
    main()
