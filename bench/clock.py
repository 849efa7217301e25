"""Both clocks for every measurement: wall time, and CPU time of the process with all its children."""

from __future__ import annotations

import os
import resource
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

R = TypeVar("R")
ROOT = Path(__file__).resolve().parent.parent


def cpu_seconds(who: int) -> float:
    """User + system CPU seconds of RUSAGE_SELF or RUSAGE_CHILDREN (children count once they are waited for)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def process_cpu() -> float:
    """CPU seconds of this process and of every child it has waited for (worker pools shut down)."""
    return cpu_seconds(resource.RUSAGE_SELF) + cpu_seconds(resource.RUSAGE_CHILDREN)


@dataclass
class Timed:
    """Wall and CPU seconds of one measured piece of work."""

    wall: float
    cpu: float

    def json(self) -> dict[str, float]:
        return {"wall_s": round(self.wall, 3), "cpu_s": round(self.cpu, 3)}


def timed(work: Callable[[], R]) -> tuple[Timed, R]:
    """Run `work` in this process: its wall time, the CPU of this process and its children, its result."""
    wall, cpu = time.perf_counter(), process_cpu()
    result = work()
    return Timed(time.perf_counter() - wall, process_cpu() - cpu), result


def timed_command(command: Sequence[str], env: dict[str, str] | None = None) -> tuple[Timed, str]:
    """Run a command to its end: wall time, CPU of it and everything it started (RUSAGE_CHILDREN), its stdout."""
    wall, cpu = time.perf_counter(), cpu_seconds(resource.RUSAGE_CHILDREN)
    done = subprocess.run(list(command), cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})})
    spent = Timed(time.perf_counter() - wall, cpu_seconds(resource.RUSAGE_CHILDREN) - cpu)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} ... failed:\n{done.stderr[-2000:]}")
    return spent, done.stdout


def best(runs: Sequence[Timed]) -> Timed:
    """The least wall and the least CPU time over repeated runs (other work on the machine only adds)."""
    return Timed(min(r.wall for r in runs), min(r.cpu for r in runs))


def span(values: Sequence[float], digits: int = 2) -> list[float]:
    """The least and the most of some figures, rounded."""
    return [round(min(values), digits), round(max(values), digits)]


def wall_range(runs: Sequence[Timed], digits: int = 2) -> list[float]:
    """The least and the most wall time over repeated runs, rounded."""
    return span([r.wall for r in runs], digits)


def ratios(measured: Timed, baseline: Timed) -> dict[str, Any]:
    """measured / baseline on each clock."""
    return {"wall": round(measured.wall / baseline.wall, 2), "cpu": round(measured.cpu / baseline.cpu, 2)}
