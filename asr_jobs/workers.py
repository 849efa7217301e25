"""Work taken off the event loop: a thread for small inputs, a spawned worker process for big ones."""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

R = TypeVar("R")

# Work on inputs at least this big goes to a worker process: on another core, and without holding the
# interpreter lock the event loop needs to keep every host's requests going.
PROCESS_BYTES = 256 * 1024
_pool: ProcessPoolExecutor | None = None


def worker_pool() -> ProcessPoolExecutor | None:
    """The scrape's worker process pool (one process, or none on a single core or with ASR_JOBS_WORKERS=1)."""
    global _pool
    if _pool is None:
        if (os.cpu_count() or 1) < 2 or os.environ.get("ASR_JOBS_WORKERS", "").strip() == "1":
            return None
        # spawn: a fresh interpreter, never a fork of this one with its threads and open database.
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=watch_parent, initargs=(os.getpid(),))
    return _pool


def start_worker(module: str) -> None:
    """Start the worker process now, importing `module` in it, for work known to come (a big import).

    The worker's interpreter and imports (a few tenths of a second) then overlap this process's own
    start-up instead of delaying the first work sent to it.
    """
    pool = worker_pool()
    if pool is not None:
        pool.submit(_preload, module)


def _preload(module: str) -> None:
    importlib.import_module(module)


_END = object()


def read_ahead(items: Iterable[R], depth: int = 2) -> Generator[R, None, None]:
    """The items, produced by a thread of their own up to `depth` ahead of the consumer; its error re-raised here.

    For input parsed in Python while this thread waits on SQLite or on the worker process (both release
    the interpreter lock): the reading then overlaps them. Closing the iterator stops the thread.
    """
    ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = iter(items)
        try:
            for item in iterator:
                if not put((item, None)):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            put((_END, exc))
            return
        finally:  # stopped early: a generator reading a file closes it now, not when garbage-collected
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
        put((_END, None))

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if item is _END:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        if thread is not threading.current_thread():  # a collected generator may be finalized in any thread
            thread.join()


def watch_parent(parent: int) -> None:
    """In a worker process: exit as soon as the process that started it is gone.

    A pool's worker waits on a queue it also holds the writing end of, so it would outlive a parent that
    was killed (Ctrl-C twice, SIGKILL) and idle forever.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


async def in_worker(work: Callable[..., R], *args: Any, size: int) -> R:
    """`work(*args)` away from the event loop: in the worker process when `size` is big, else in a thread.

    `work` must be a module-level function whose arguments and result pickle.
    """
    pool = worker_pool() if size >= PROCESS_BYTES else None
    if pool is None:
        return await asyncio.to_thread(work, *args)
    return await asyncio.get_running_loop().run_in_executor(pool, work, *args)


async def off_loop(parse: Callable[..., R], body: bytes | str, *args: Any) -> R:
    """`parse(body, *args)` away from the event loop, so that reading a big answer holds up no other request.

    While a board of hundreds of postings is parsed, the event loop keeps starting the requests that
    other labs' hosts are due; parsers are pure functions, safe to run in any thread or process.
    """
    return await in_worker(parse, body, *args, size=len(body))
