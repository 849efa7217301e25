"""The benchmark's peak memory counts pages a forked worker shares with its parent once, and keeps the peak."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from bench import memory

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PSS is read from /proc")

# A parent that writes 300 MB, forks a child that shares them (FORK), says "ready", frees its copy on a line
# from stdin (the child's stays).
HOLDER = """
import os, sys, time
held = b"x" * (300 * 2**20)
if FORK and os.fork() == 0:
    time.sleep(60)
    os._exit(0)
print("ready", flush=True)
sys.stdin.readline()
del held
print("freed", flush=True)
sys.stdin.readline()
"""


def _holder(fork: bool):
    script = HOLDER.replace("FORK", str(fork))
    process = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "ready\n"
    yield process
    import psutil

    for child in psutil.Process(process.pid).children(recursive=True):
        child.kill()
    process.kill()
    process.wait()


@pytest.fixture
def holder():
    yield from _holder(fork=True)


@pytest.fixture
def alone():
    yield from _holder(fork=False)


def test_pages_shared_with_a_forked_child_count_once(holder):
    mb, processes = memory.tree_pss_mb(holder.pid)
    assert processes == 2
    # Both processes map the 300 MB; their resident sets add up to over 600 MB, their PSS to 300 and the
    # interpreters' own pages.
    assert 300 <= mb < 400


def test_the_peak_is_kept_after_the_memory_is_freed(alone):
    with memory.sampled(alone.pid) as tree:
        while tree.samples < 2:
            time.sleep(memory.INTERVAL)
        alone.stdin.write("free\n")
        alone.stdin.flush()
        assert alone.stdout.readline() == "freed\n"
        seen = tree.samples
        while tree.samples < seen + 2:
            time.sleep(memory.INTERVAL)
    assert tree.peak_mb >= 300 and tree.processes_at_peak == 1
    assert memory.tree_pss_mb(alone.pid)[0] < 100
    alone.stdin.write("end\n")
    alone.stdin.flush()


def test_a_process_that_has_ended_holds_nothing():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    assert memory.tree_pss_mb(process.pid) == (0.0, 0)


def test_the_memory_target_is_judged_on_the_sampled_tree_or_else_on_the_upper_bound():
    from bench.__main__ import _memory_row

    figures = {"tree_pss_peak_mb": 1500.0, "one_process_mb": 1450.0, "bare_mb": 980.0, "main_mb": 1400.0,
              "upper_bound_mb": 2050.0}
    sampled = _memory_row("100,000", 2, figures)
    assert sampled[1].startswith("1500 MB with 2 workers") and sampled[3] == "yes"
    # A spike between two samples: the main process's own exact peak still counts.
    assert _memory_row("100,000", 2, {**figures, "main_mb": 2100.0})[3] == "NO"
    assert _memory_row("100,000", 2, {**figures, "one_process_mb": 2100.0})[3] == "NO"
    unsampled = _memory_row("100,000", 2, {**figures, "tree_pss_peak_mb": None})
    assert "no PSS" in unsampled[1] and unsampled[3] == "NO"  # 2050 MB upper bound
