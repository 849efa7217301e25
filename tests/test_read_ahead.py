"""workers.read_ahead, which a large import reads its file through: items in order, the reader's error
raised to the consumer, and a stopped import closing the file it was reading."""

from __future__ import annotations

import threading

import pytest

from asr_jobs.workers import read_ahead


def test_items_arrive_in_order_and_are_read_in_another_thread():
    readers: set[str] = set()

    def items():
        for number in range(50):
            readers.add(threading.current_thread().name)
            yield number

    assert list(read_ahead(items(), depth=2)) == list(range(50))
    assert readers == {"read-ahead"}


def test_the_readers_error_is_raised_to_the_consumer_after_the_items_before_it():
    def items():
        yield from (1, 2)
        raise ValueError("line 3: invalid JSON")

    got = []
    with pytest.raises(ValueError, match="line 3"):
        for item in read_ahead(items()):
            got.append(item)
    assert got == [1, 2]


def test_a_consumer_that_stops_early_closes_the_source_and_the_thread_ends():
    closed = threading.Event()

    def items():
        try:
            yield from range(10_000)
        finally:
            closed.set()  # a file opened in a `with` block is closed here

    source = items()  # still referenced (as an import's SavedFile holds its batches): only closing it ends it
    reading = read_ahead(source, depth=2)
    assert next(reading) == 0
    reading.close()
    assert closed.is_set()
    assert not [t for t in threading.enumerate() if t.name == "read-ahead"]
