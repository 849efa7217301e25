"""asr-jobs benchmarks: scraping against a local server, re-scraping, matching, importing, the jobs query.

    .venv/bin/python -m bench [--corpus PATH] [--quick] [--json FILE] [--no-docs]

Prints a table of the figures against their targets (every ratio in wall and CPU time), then the same
figures as JSON, and writes the table into docs/performance.md (its generated section: the one place the
figures live). The corpus of real
postings is read from ../shared/corpus-remote-jobs.jsonl.gz beside the repository (or --corpus PATH);
without it the matching and import parts are skipped. --quick runs a smaller scrape and skips the
100,000-posting parts (a minute or so instead of ten).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from . import google_feed, matching, scrape
from . import memory as memory_bench
from . import store as store_bench
from .corpus import DEFAULT_CORPUS, find_corpus

ROOT = Path(__file__).resolve().parent.parent
LARGE = 100_000
# The corpus import and its bare baselines, in turn: about 20 s a round. Five: with three, the ratio came out
# at 1.88x, 2.11x, 1.92x and 1.95x in four runs on unchanged import code (the target is 2x).
IMPORT_REPEATS = 5
# Matching and its bare baseline, in turn (best of each): a shared machine's load moves single runs by a fifth or
# more. A round takes about 30 s on the corpus and 3 minutes at 100,000 postings: five rounds on the corpus (two
# runs of three rounds each, minutes apart, gave its one-process ratio as 1.14x and 1.33x), three at 100,000.
MATCH_REPEATS = 5
LARGE_MATCH_REPEATS = 3
ADDED = 100  # postings a scrape adds before the incremental match


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        memory_gb = None
    versions: dict[str, str | None] = {}
    for name in ("httpx", "scikit-learn", "scipy", "numpy", "sqlite-utils"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": memory_gb, "system": platform.platform(),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version, **versions}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(corpus: Path | None, quick: bool) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine(), "quick": quick}
    say("startup: asr-jobs --help beside importing click and rich ...")
    results["startup"] = store_bench.startup()
    say("google feed: the adapter's streamed parse beside a bare iterparse of the same bytes ...")
    results["google_feed"] = google_feed.run(5.0 if quick else 20.0, repeats=3)
    say("scrape: every lab against the local sample-site server (concurrent, re-scrape, sequential) ...")
    results["scrape"] = scrape.run(scale=0.3 if quick else 1.0)
    if corpus is None:
        say(f"corpus not found at {DEFAULT_CORPUS} (pass --corpus PATH): "
            "skipping the matching, import and jobs benchmarks")
        results["corpus"] = None
        return results
    results["corpus"] = str(corpus)
    with tempfile.TemporaryDirectory(prefix="asr-jobs-bench-") as tmp:
        folder = Path(tmp)
        small = folder / "corpus.db"
        say(f"import: {corpus.name} into a new database, then again unchanged, beside bare insert_all ...")
        results["import_corpus"] = store_bench.imported(small, corpus, None, folder, repeats=IMPORT_REPEATS)
        say("matching: the corpus, end to end (one process, and workers) and bare fit_transform ...")
        results["matching_corpus"] = matching.run(small, corpus, ADDED if quick else 0, repeats=MATCH_REPEATS)
        if quick:
            results["jobs"] = store_bench.jobs_latency(small)
            return results
        large = folder / "large.db"
        say(f"import: {LARGE:,} postings (the corpus repeated as other companies' postings, every text distinct), "
            "then again unchanged ...")
        results["import_large"] = store_bench.imported(large, corpus, LARGE, folder)
        say(f"matching: {LARGE:,} postings, end to end and bare fit_transform, then {ADDED} new postings ...")
        results["matching_large"] = matching.run(large, corpus, ADDED, repeats=LARGE_MATCH_REPEATS)
        say(f"jobs: query and command latency at {LARGE:,} postings ...")
        results["jobs"] = store_bench.jobs_latency(large)
    return results


def _check(ok: bool) -> str:
    return "yes" if ok else "NO"


def table(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, measured, target, met) rows."""
    rows = []
    st = results["startup"]
    rows += [
        ("asr-jobs --help / import click, rich", f"{st['help']['wall_s']:.2f} s / {st['import_click_rich']['wall_s']:.2f} s "
         f"wall = {_ratio(st['ratio'])} (best of {st['runs']})", "<= 3x", _check(st["ratio"]["wall"] <= 3)),
    ]
    g = results["google_feed"]
    rows += [
        ("google feed: adapter / bare iterparse", f"{g['adapter_s']:.2f} s / {g['bare_iterparse_s']:.2f} s wall "
         f"({g['feed_mb']} MB, {g['jobs']:,} jobs, at most {g['jobs_held_at_most']} held) = "
         f"{g['ratio_wall']:.2f}x wall, {g['ratio_cpu']:.2f}x CPU", "<= 1.5x", _check(g["ratio_wall"] <= 1.5)),
    ]
    s = results["scrape"]
    rows += [
        ("scrape: postings served / stored", f"{s['postings_served']:,} / {s['postings_stored']:,} "
         f"({s['labs']} labs, {s['hosts']} hosts, {s['requests']:,} requests)", "", ""),
        ("scrape: concurrent", f"{s['concurrent_s']:.2f} s wall, {s['concurrent_cpu_s']:.2f} s CPU of the scraping "
         f"process (+ {s['workers']} parse worker, not counted)", "", ""),
        ("scrape: lower bound (slowest host's queue)", f"{s['bound_s']:.2f} s ({s['bound_host']})", "", ""),
        ("scrape: concurrent / bound", f"{s['ratio_to_bound']:.2f}x", "<= 1.3x", _check(s["ratio_to_bound"] <= 1.3)),
        ("scrape: sequential", f"{s['sequential_s']:.2f} s wall, {s['sequential_cpu_s']:.2f} s CPU", "", ""),
        # No target of its own: it is capped by sequential / bound, which moves with the mix of hosts (one
        # Google feed request replaced hundreds of paged ones); concurrent / bound above is the target.
        ("scrape: speed-up over sequential", f"{s['speedup_vs_sequential']:.1f}x (at most "
         f"{s['sequential_s'] / s['bound_s']:.1f}x: sequential / bound)", "", ""),
        ("scrape: stores what the sequential run stores", _check(s["same_postings_as_sequential"]), "yes",
         _check(s["same_postings_as_sequential"])),
        ("scrape: per-host limits kept (server-measured)", _check(s["limits_respected"]), "yes",
         _check(s["limits_respected"])),
        ("re-scrape unchanged: requests", f"{s['rescrape_requests']:,} of {s['requests']:,} = "
         f"{s['rescrape_request_share']:.1%} ({s['rescrape_not_modified']} answered 304)", "< 20%",
         _check(s["rescrape_request_share"] < 0.2)),
        ("re-scrape unchanged: bytes", f"{s['rescrape_bytes']:,} of {s['bytes']:,} = {s['rescrape_byte_share']:.1%}",
         "", ""),
    ]
    for key, label in (("import_corpus", "corpus"), ("import_large", f"{LARGE:,}")):
        if key in results:
            i = results[key]
            after, triggers = i["ratio_to_bare_fts_after"], i["ratio_to_bare_fts_triggers"]
            rows += [
                (f"import {label}: asr-jobs import, new / unchanged",
                 f"{_clocks(i['import'])} ({i['import_per_s']:,}/s) / {_clocks(i['reimport_unchanged'])}; "
                 f"{i['postings']:,} postings, main process + {i['workers']} worker{_spread(i, 'import', 'unchanged')}",
                 "", ""),
                (f"import {label}: bare insert_all, FTS built after / by triggers",
                 f"{_clocks(i['bare_fts_after'])} / {_clocks(i['bare_fts_triggers'])}{_spread(i, 'after', 'triggers')}",
                 "", ""),
                (f"import {label} / bare insert_all, FTS built after", _ratio(after), "<= 2x (wall)",
                 _check(after["wall"] <= 2)),
                (f"import {label} / bare insert_all, FTS by triggers", _ratio(triggers), "", ""),
            ]
    for key in ("matching_corpus", "matching_large"):
        if key in results:
            m = results[key]
            n = f"{m['documents']:,}"
            best = f"; best of {m['repeats']}" if m["repeats"] > 1 else ""
            one, workers = m["ratio_one_process"], m["ratio_workers"]
            rows += [
                (f"match {n}: bare fit_transform (streamed from SQLite)",
                 f"{_clocks(m['bare'], 'seconds')} ({m['bare']['peak_mb']:.0f} MB peak{best}"
                 f"{_walls(m, 'bare')})", "", ""),
                (f"match {n}: end to end, one process", f"{_clocks(m['end_to_end_one_process'], 'seconds')} "
                 f"({_tokenized(m['end_to_end_one_process'])}{_walls(m, 'one')})", "", ""),
                (f"match {n}: end to end, {m['end_to_end']['workers']} worker processes",
                 f"{_clocks(m['end_to_end'], 'seconds')}{_walls(m, 'workers', alone=True)}", "", ""),
                # The issue sets this target at 100,000 postings; the corpus's ratio is shown beside it, unjudged.
                (f"match {n}: one process / fit_transform", _ratio(one) + _rounds(m, "one_process"),
                 *(("<= 1.2x wall", _check(one["wall"] <= 1.2)) if key == "matching_large" else
                   (f"(<= 1.2x wall at {LARGE:,})", ""))),
                (f"match {n}: {m['end_to_end']['workers']} workers / fit_transform", _ratio(workers) +
                 _rounds(m, "workers"), "<= 1.5x CPU", _check(workers["cpu"] <= 1.5)),
                _memory_row(n, m["end_to_end"]["workers"], m["memory"]),
                (f"match {n}: peak memory, each process's own peak added (upper bound)",
                 f"{m['memory']['upper_bound_mb']:.0f} MB (main {m['memory']['main_mb']:.0f} MB + "
                 f"{m['end_to_end']['workers']} workers; pages they share counted by each)", "", ""),
            ]
            edited, ratio, modes = m["profile_change"], m["ratio_profile_change"], m["profile_change_modes"]
            rows.append((f"match {n}: refit after one profile change / fit_transform",
                         f"{_ratio(ratio)} ({_clocks(edited, 'seconds')}; {edited['profile']} edited, "
                         f"mode {'/'.join(modes)}{best})", "<= 0.3x",
                         _check(ratio["wall"] <= 0.3 and ratio["cpu"] <= 0.3 and modes == ["rescore"])))
            if "incremental" in m:
                inc = m["incremental"]
                rows.append((f"match {n} + {inc['added']} new postings", f"{inc['seconds']:.2f} s ({inc['mode']})", "",
                             ""))
    if "jobs" in results:
        j = results["jobs"]
        rows += [
            ("jobs: query (median)", ", ".join(f"{k} {v:.1f} ms" for k, v in j["query_ms"].items()), "", ""),
            ("jobs: whole command (start-up included)", f"{j['command_s']:.2f} s wall, {j['command_cpu_s']:.2f} s CPU",
             "< 1 s", _check(j["command_s"] < 1)),
        ]
    return rows


def _memory_row(n: str, workers: int, memory: dict[str, Any]) -> tuple[str, str, str, str]:
    """Peak memory against its target: with workers, the process tree's sampled PSS (or, where PSS cannot be
    read, the upper bound); in one process and bare, the process's own exact peak."""
    label = f"match {n}: peak memory"
    singles = f"{memory['one_process_mb']:.0f} MB in one process, {memory['bare_mb']:.0f} MB bare fit_transform"
    tree = memory["tree_pss_peak_mb"]
    if tree is None:
        return (label, f"{singles}; with {workers} workers not sampled (no PSS on this platform): the upper bound "
                "below counts", "< 2048 MB", _check(max(memory["upper_bound_mb"], memory["one_process_mb"]) < 2048))
    return (label, f"{tree:.0f} MB with {workers} workers (the process tree's PSS, sampled every "
            f"{memory_bench.INTERVAL * 1000:.0f} ms in an untimed run), {singles} (worst runs)", "< 2048 MB",
            _check(max(tree, memory["main_mb"], memory["one_process_mb"]) < 2048))


def _spread(imported: dict[str, Any], *names: str) -> str:
    """' (best of 3, alternately; wall 5.4-5.9 s / 5.1-5.3 s)' for repeated import figures, else ''."""
    if imported.get("repeats", 1) < 2:
        return ""
    ranges = " / ".join(f"{low:.2f}-{high:.2f} s" for low, high in (imported["wall_range_s"][n] for n in names))
    return f" (best of {imported['repeats']}, alternately; wall {ranges})"


def _walls(matched: dict[str, Any], name: str, alone: bool = False) -> str:
    """'; wall 6.3-7.1 s' over a matching figure's repeated runs (a parenthesis of its own when alone)."""
    if matched.get("repeats", 1) < 2 or "wall_range_s" not in matched:
        return ""
    low, high = matched["wall_range_s"][name]
    return f" (wall {low:.2f}-{high:.2f} s)" if alone else f"; wall {low:.2f}-{high:.2f} s"


def _rounds(matched: dict[str, Any], name: str) -> str:
    """' (each round: 1.21-1.34x wall)': the wall ratio of each round of back-to-back runs."""
    if matched.get("repeats", 1) < 2 or "round_ratios_wall" not in matched:
        return ""
    low, high = matched["round_ratios_wall"][name]
    return f" (each round: {low:.2f}-{high:.2f}x wall)"


def _clocks(figures: dict[str, Any], wall: str = "wall_s") -> str:
    return f"{figures[wall]:.2f} s wall, {figures['cpu_s']:.2f} s CPU"


def _tokenized(run: dict) -> str:
    """How many texts a cold fit tokenized: kept counts of twin texts are reused, the bare baseline reuses none."""
    return f"{run['documents'] - run['reused']:,} texts tokenized, {run['reused']:,} twins' counts reused"


def _ratio(ratio: dict[str, float]) -> str:
    return f"{ratio['wall']:.2f}x wall, {ratio['cpu']:.2f}x CPU"


def render(rows: list[tuple[str, str, str, str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    header = ("figure", "measured", "target", "met")
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, [*widths, 3], strict=False)).rstrip()]
    lines.append("  ".join("-" * w for w in [*widths, 3]))
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, [*widths, 3], strict=False)).rstrip())
    return "\n".join(lines)


DOCS = ROOT / "docs" / "performance.md"
BEGIN = "<!-- figures: generated by `python -m bench` from its latest run; edit bench/, not this section -->"
END = "<!-- end of generated figures -->"


def markdown(results: dict[str, Any]) -> str:
    """The generated section of docs/performance.md: the machine, the run and its table."""
    m = results["machine"]
    kind = ("a quick run (`--quick`: 30% of the scrape, no 100,000-posting parts; the targets are for the full run)"
            if results["quick"] else "a full run")
    lines = [BEGIN, "",
             f"Latest run: {kind}, {results['date']}, {results['benchmark_s']:.0f} s in all, on {m['cpu']}, "
             f"{m['cores']} cores, {m['memory_gb']} GB, {m['system']}, Python {m['python']}, SQLite {m['sqlite']}, "
             f"httpx {m['httpx']}, scikit-learn {m['scikit-learn']}, sqlite-utils {m['sqlite-utils']}; load average "
             f"{results['load_before']} before the run. Every ratio is measured within this run, on both clocks: "
             "wall time, and CPU time of the measured process with all its children (worker processes included; "
             "the scrape's CPU is the scraping process's own). The machine is shared: a busy machine stretches "
             "wall times, and ratios between runs taken minutes apart.", "",
             "| figure | measured | target | met |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(cell.replace('|', '/') for cell in row)} |" for row in table(results)]
    return "\n".join([*lines, "", END])


def write_docs(results: dict[str, Any], path: Path = DOCS) -> None:
    """Replace the generated section of docs/performance.md (the one place the figures live) with this run's."""
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path}: the generated section's markers are missing ({BEGIN!r} ... {END!r})")
    head, rest = text.split(BEGIN, 1)
    path.write_text(head + markdown(results) + rest.split(END, 1)[1], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", help="JSON lines of postings (default: ../shared/corpus-remote-jobs.jsonl.gz)")
    parser.add_argument("--quick", action="store_true", help="smaller scrape, no 100,000-posting parts")
    parser.add_argument("--json", dest="json_path", help="also write the JSON figures to this file")
    parser.add_argument("--no-docs", action="store_true", help="do not write the figures into docs/performance.md")
    args = parser.parse_args()
    corpus = find_corpus(args.corpus)
    started = time.perf_counter()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    results = run(corpus, args.quick)
    results["benchmark_s"] = round(time.perf_counter() - started, 1)
    results["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    results["load_before"] = load
    m = results["machine"]
    print(f"asr-jobs benchmarks on {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}, "
          f"{m['system']}")
    s = results["scrape"]
    print(f"scrape: local server at 127.0.0.1 with {s['latency_s'] * 1000:.0f} ms per answer; every lab's politeness "
          f"interval multiplied by {s['interval_scale']} (concurrency as configured), the bound computed with the same "
          "scaled limits")
    if results["quick"]:
        print("quick run: a smaller scrape (30% of the postings) and no 100,000-posting parts; the targets are "
              "for the full run")
    text = json.dumps(results, indent=2)
    if args.json_path:  # first: the figures of a long run are kept even if rendering them fails
        Path(args.json_path).write_text(text + "\n", encoding="utf-8")
    print(render(table(results)))
    print(text)
    if not args.no_docs:
        write_docs(results)
        say(f"figures written to {DOCS}")


if __name__ == "__main__":
    main()
