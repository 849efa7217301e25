"""Peak memory of a process and of the processes it starts, sampled from outside while it runs.

A worker process forked by the matcher shares its parent's pages until one of them writes to a page, so
adding the workers' resident sets to the parent's counts the shared pages two or three times. The
proportional set size (PSS) charges each shared page to its sharers in equal parts, so the PSS of the
process tree is the memory the tree holds. It is read from /proc/PID/smaps_rollup (through psutil) by the
benchmark's own process. A read walks the process's page tables, about 10 ms for a forked process of a few
hundred megabytes: CPU that a run timed on both cores cannot spare, so sampled runs are not timed.
A sampled peak can miss a spike shorter than the interval; each process's own resident peak (ru_maxrss),
exact, is reported beside it. PSS is Linux's: elsewhere nothing is sampled and the figure is None.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field

INTERVAL = 0.05  # seconds between two samples


@dataclass
class TreeMemory:
    """The largest PSS the process tree held at one sample, in MB (None where PSS cannot be read), how many
    samples were taken, and the CPU seconds the sampling took (in the benchmark's process, not the measured one)."""

    peak_mb: float | None = None
    processes_at_peak: int = 0
    samples: int = 0
    cpu_s: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)


def tree_pss_mb(pid: int) -> tuple[float, int]:
    """PSS of a process and of all its descendants now, in MB, and how many processes were read."""
    import psutil  # here, not at the top: the benchmark's child processes import this module and never sample

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:  # the process has just ended
        return 0.0, 0
    total, read = 0, 0
    for process in processes:
        try:
            total += process.memory_full_info().pss
            read += 1
        except psutil.Error:  # a worker that ended between the listing and the read holds nothing
            continue
    return total / 2**20, read


def _sample(pid: int, memory: TreeMemory) -> None:
    if not sys.platform.startswith("linux"):
        return
    memory.peak_mb = 0.0
    while True:
        started = time.thread_time()
        mb, processes = tree_pss_mb(pid)
        memory.cpu_s += time.thread_time() - started
        memory.samples += 1
        if mb > memory.peak_mb:
            memory.peak_mb, memory.processes_at_peak = round(mb, 1), processes
        if memory._stop.wait(INTERVAL):
            return


class sampled:
    """Context manager: the tree of `pid` is sampled in a thread until the block ends."""

    def __init__(self, pid: int):
        self.memory = TreeMemory()
        self._thread = threading.Thread(target=_sample, args=(pid, self.memory), daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self.memory

    def __exit__(self, *exc: object) -> None:
        self.memory._stop.set()
        self._thread.join()
