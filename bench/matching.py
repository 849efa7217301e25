"""Matching benchmark: end to end (read from SQLite, vectorize, score, write ranked matches) beside bare
scikit-learn TfidfVectorizer.fit_transform on the same texts streamed from the same database, each in a fresh
process for a clean peak memory, on both clocks (wall; CPU of the process and its worker processes); and the
match that follows a user's edit of one profile (no posting changed), beside the same bare fit_transform.

Run as a module with --child, it is the measured process itself and prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from . import memory
from .clock import span

ROOT = Path(__file__).resolve().parent.parent
# The user's edit: a weighted term added to one built-in profile, in a NAME.extra.toml of their profiles directory.
EDITED = "streaming"
EDIT = '[weights]\n"on-device" = 2\n'


def _peak_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest child (a worker process), in MB."""
    divisor = 2**20 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / divisor
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / divisor
    return round(own, 1), round(child, 1)


def _bare(db_path: Path) -> dict[str, Any]:
    """scikit-learn's own TfidfVectorizer().fit_transform on each open posting's title, team and description,
    streamed from SQLite as the matcher reads them (the read is timed: the matcher's is too)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from .clock import timed
    from .corpus import texts

    spent, matrix = timed(lambda: TfidfVectorizer().fit_transform(texts(db_path)))
    own, child = _peak_mb()
    return {"seconds": round(spent.wall, 3), "cpu_s": round(spent.cpu, 3), "documents": matrix.shape[0],
            "features": matrix.shape[1], "peak_mb": own, "workers_peak_mb": child}


def _end_to_end(db_path: Path) -> dict[str, Any]:
    """asr-jobs matching from the database to the ranked matches table, fitted afresh, all profiles, with no token
    counts kept from an earlier run (a cold fit, the same work as the bare baseline)."""
    from asr_jobs.db import store
    from asr_jobs.db.matching import forget_token_counts
    from asr_jobs.matcher import match_db, parallel
    from asr_jobs.profiles import load_profiles, save_profiles

    from .clock import timed

    db = store.open_db(db_path)
    profiles = load_profiles()
    save_profiles(db, profiles)
    forget_token_counts(db)
    # CPU counts the worker processes: the matcher's pool is shut down when match_db returns.
    spent, summary = timed(lambda: match_db(db, profiles, refit=True))
    own, child = _peak_mb()
    return {"seconds": round(spent.wall, 3), "cpu_s": round(spent.cpu, 3), "documents": summary.postings,
            "reused": summary.reused, "profiles": len(summary), "matches": sum(summary.values()),
            "workers": parallel.workers(), "peak_mb": own, "workers_peak_mb": child}


def _incremental(db_path: Path, corpus: Path, added: int) -> dict[str, Any]:
    """After a full match: `added` new postings arrive (a scrape's worth), and matching runs again."""
    from asr_jobs.db import store
    from asr_jobs.ingest import save_batches
    from asr_jobs.matcher import match_db
    from asr_jobs.profiles import load_profiles
    from asr_jobs.scrapers.registry import ad_hoc_lab

    from .corpus import postings

    fresh = [p for batch in postings(corpus, added) for p in batch]
    for posting in fresh:
        posting.source_id += "~new"
    db = store.open_db(db_path)
    save_batches(db, ad_hoc_lab("remote"), [fresh])
    started = time.perf_counter()
    summary = match_db(db, load_profiles())
    return {"seconds": round(time.perf_counter() - started, 3), "added": added, "mode": summary.mode,
            "note": summary.note}


def _profile_change(db_path: Path) -> dict[str, Any]:
    """After a match over the built-in profiles, a user edits one of them (EDIT, read as `asr-jobs match
    --profiles-dir DIR` reads it) and matching runs again: the timed run. No posting changed since the fit."""
    from asr_jobs.db import store
    from asr_jobs.matcher import match_db, user_vocabulary
    from asr_jobs.profiles import load_profiles, save_profiles

    from .clock import timed

    db = store.open_db(db_path)
    profiles = load_profiles()
    save_profiles(db, profiles)
    match_db(db, profiles)  # untimed: the match the edit follows (nothing to do after an end-to-end run)
    with tempfile.TemporaryDirectory(prefix="asr-jobs-profiles-") as folder:
        Path(folder, f"{EDITED}.extra.toml").write_text(EDIT, encoding="utf-8")
        edited, vocabulary = load_profiles(folder), user_vocabulary(folder)
        save_profiles(db, edited)
        spent, summary = timed(lambda: match_db(db, edited, vocabulary=vocabulary))
    own, child = _peak_mb()
    save_profiles(db, profiles)
    match_db(db, profiles)  # untimed: the database left matched with the built-in profiles, as it came
    return {"seconds": round(spent.wall, 3), "cpu_s": round(spent.cpu, 3), "documents": summary.postings,
            "profile": EDITED, "mode": summary.mode, "note": summary.note, "peak_mb": own, "workers_peak_mb": child}


def child(kind: str, db_path: str, corpus: str | None = None, added: int = 0,
          env: dict[str, str] | None = None, sample: bool = False) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its JSON result. With sample=True, the peak PSS of its
    process tree is sampled while it runs (bench/memory.py), the untimed set-up included."""
    command = [sys.executable, "-m", "bench.matching", "--child", kind, "--db", db_path]
    if corpus:
        command += ["--corpus", corpus, "--added", str(added)]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, **(env or {})}) as process, \
            memory.sampled(process.pid) if sample else nullcontext() as tree:
        out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"benchmark child {kind} failed:\n{err[-2000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    if tree is not None:
        result.update(tree_pss_peak_mb=tree.peak_mb, tree_processes_at_peak=tree.processes_at_peak,
                      samples=tree.samples, sampling_cpu_s=round(tree.cpu_s, 3))
    return result


def _ratios(full: dict[str, Any], bare: dict[str, Any]) -> dict[str, float]:
    return {"wall": round(full["seconds"] / bare["seconds"], 2), "cpu": round(full["cpu_s"] / bare["cpu_s"], 2)}


def run(db_path: Path, corpus: Path | None = None, added: int = 0, repeats: int = 1) -> dict[str, Any]:
    """Bare fit_transform and end-to-end matching, with one process and with the default worker processes,
    and the match after one profile's edit, on one database (and an incremental update if asked).

    With repeats > 1 the runs alternate and the fastest of each counts (separately on each clock): short
    runs are the ones most disturbed by other work on the machine.
    """
    runs: dict[str, list[dict[str, Any]]] = {"bare": [], "one": [], "workers": [], "profile": []}
    for _ in range(repeats):
        runs["bare"].append(child("bare", str(db_path)))
        runs["one"].append(child("end-to-end", str(db_path), env={"ASR_JOBS_WORKERS": "1"}))
        runs["workers"].append(child("end-to-end", str(db_path)))
        runs["profile"].append(child("profile-change", str(db_path)))
    fastest = {name: {**min(found, key=lambda r: r["seconds"]), "cpu_s": min(r["cpu_s"] for r in found)}
               for name, found in runs.items()}
    bare, one, full, edited = fastest["bare"], fastest["one"], fastest["workers"], fastest["profile"]
    rounds = list(zip(runs["bare"], runs["one"], runs["workers"], strict=True))
    result = {"documents": full["documents"], "repeats": repeats, "bare": bare, "end_to_end_one_process": one,
              "wall_range_s": {name: span([r["seconds"] for r in found]) for name, found in runs.items()},
              # Each round's own ratios (its runs taken back to back): how far the machine's load moved them.
              "round_ratios_wall": {"one_process": span([o["seconds"] / b["seconds"] for b, o, _ in rounds]),
                                    "workers": span([w["seconds"] / b["seconds"] for b, _, w in rounds])},
              "end_to_end": full, "ratio_one_process": _ratios(one, bare), "ratio_workers": _ratios(full, bare),
              "profile_change": edited, "ratio_profile_change": _ratios(edited, bare),
              # Every run's mode: the figure is a rescore's only if each was one.
              "profile_change_modes": sorted({r["mode"] for r in runs["profile"]})}
    # The peak of the process tree with workers, in a run of its own, untimed: a sample reads each process's
    # /proc/PID/smaps_rollup, about 10 ms for a large one, CPU that the timed runs' two cores cannot spare.
    sampled = child("end-to-end", str(db_path), sample=True)
    runs["workers"].append(sampled)
    result["memory"] = {
        "tree_pss_peak_mb": sampled["tree_pss_peak_mb"], "tree_processes_at_peak": sampled["tree_processes_at_peak"],
        "samples": sampled["samples"], "sampling_cpu_s": sampled["sampling_cpu_s"],
        # Exact peaks of single processes (ru_maxrss), the most any run held: memory is not a time, the worst
        # run counts, not the best.
        "one_process_mb": max(r["peak_mb"] for r in runs["one"]), "bare_mb": max(r["peak_mb"] for r in runs["bare"]),
        "main_mb": max(r["peak_mb"] for r in runs["workers"]),
        # Each process's own resident peak, added: pages the workers share with the parent count two or three
        # times, so this bounds the tree's peak from above.
        "upper_bound_mb": max(round(r["peak_mb"] + r["workers"] * r["workers_peak_mb"], 1) for r in runs["workers"])}
    if added and corpus:
        result["incremental"] = child("incremental", str(db_path), str(corpus), added)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", choices=["bare", "end-to-end", "profile-change", "incremental"], required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--corpus")
    parser.add_argument("--added", type=int, default=0)
    args = parser.parse_args()
    if args.child == "bare":
        result = _bare(Path(args.db))
    elif args.child == "end-to-end":
        result = _end_to_end(Path(args.db))
    elif args.child == "profile-change":
        result = _profile_change(Path(args.db))
    else:
        result = _incremental(Path(args.db), Path(args.corpus), args.added)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
