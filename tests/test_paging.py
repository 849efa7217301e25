"""Independent requests issued together (paging.prefetched/each) and big answers parsed off the event loop."""

import asyncio
import contextlib
import os
import pickle
import signal
import subprocess
import sys
import time

import pytest

from asr_jobs import workers
from asr_jobs.models import ParseError, ScrapeError
from asr_jobs.scrapers import paging
from asr_jobs.scrapers.adapters import greenhouse


async def test_pages_after_the_first_are_requested_together_and_read_in_order():
    started: list[int] = []
    release = asyncio.Event()

    async def fetch(index: int) -> int:
        started.append(index)
        if index:
            await release.wait()
        return index

    read = []
    async with contextlib.aclosing(paging.prefetched(fetch, lambda first: 4, max_pages=10)) as pages:
        async for page in pages:
            if page == 0:
                await asyncio.sleep(0)
                assert sorted(started) == [0, 1, 2, 3]  # all announced pages asked for at once
                release.set()
            read.append(page)
            if page == 5:
                break
    assert read == [0, 1, 2, 3, 4, 5]  # in order; beyond what page 0 announced, one by one


async def test_stopping_early_cancels_the_pages_not_read():
    cancelled: list[int] = []

    async def fetch(index: int) -> int:
        try:
            await asyncio.sleep(0 if index < 2 else 10)
        except asyncio.CancelledError:
            cancelled.append(index)
            raise
        return index

    async with contextlib.aclosing(paging.prefetched(fetch, lambda first: 5, max_pages=5)) as pages:
        async for page in pages:
            if page == 1:
                break
    assert sorted(cancelled) == [2, 3, 4]


async def test_each_keeps_the_order_and_a_failure_cancels_the_rest():
    assert await paging.each([3, 1, 2], _later) == [3, 1, 2]
    with pytest.raises(ValueError):
        await paging.each([0.01, -1, 5], _later)


async def _later(value: float) -> float:
    if value < 0:
        raise ValueError("bad")
    await asyncio.sleep(value / 1000)
    return value


def test_scrape_errors_survive_pickling_whole():
    error = pickle.loads(pickle.dumps(ParseError("acme", "https://x/jobs", "missing key 'jobs'", status=200)))
    assert isinstance(error, ParseError) and isinstance(error, ScrapeError)
    assert (error.lab, error.url, error.reason, error.status) == ("acme", "https://x/jobs", "missing key 'jobs'", 200)
    assert str(error) == "acme: missing key 'jobs' (https://x/jobs)"


async def test_big_answers_are_parsed_in_the_worker_process(monkeypatch, labs):
    monkeypatch.setattr(workers, "PROCESS_BYTES", 10)
    if workers.worker_pool() is None:
        pytest.skip("a single core: no worker process")
    lab = labs["anthropic"]
    body = b'{"jobs": [{"id": 7, "title": "Speech Scientist", "content": "&lt;p&gt;ASR&lt;/p&gt;"}]}'
    (posting,) = await workers.off_loop(greenhouse.parse, body, lab, "https://x/board")
    assert (posting.source_id, posting.title, posting.description) == ("7", "Speech Scientist", "ASR")
    with pytest.raises(ParseError) as failed:
        await workers.off_loop(greenhouse.parse, b'{"nojobs": 1}', lab, "https://x/board")
    assert failed.value.lab == "anthropic" and "https://x/board" in str(failed.value)


def test_the_worker_process_ends_when_its_scrape_is_killed(tmp_path):
    if workers.worker_pool() is None:
        pytest.skip("a single core: no worker process")
    script = tmp_path / "scrape.py"
    script.write_text("import os, time\nfrom asr_jobs import workers\nif __name__ == '__main__':\n"
                      "    print(workers.worker_pool().submit(os.getpid).result(), flush=True)\n    time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(parent.stdout.readline())
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"worker {worker} outlived its killed parent")
