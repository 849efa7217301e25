"""Per-host pacing: sends at least `interval` apart, counted from when the previous one was written."""

import asyncio
import time

import pytest

from asr_jobs.models import Politeness
from asr_jobs.scrapers.fetch import HostGate


async def send_through(gate: HostGate, held_up: float, sends: list[float]) -> None:
    """One traced request: held up between the gate and the socket, then written, then answered."""
    async with gate.slot() as slot:
        await asyncio.sleep(held_up)
        await slot.trace("http11.send_request_headers.started", {})
        sends.append(time.monotonic())
        await slot.trace("http11.send_request_headers.complete", {})
        await asyncio.sleep(0.01)  # the answer


async def test_sends_are_spaced_even_when_one_is_held_up_on_the_way():
    gate = HostGate(Politeness(concurrency=2, interval=0.05))
    sends: list[float] = []
    # The first two pass the gate before it has seen a trace; the first is held up 30 ms on its way.
    requests = [send_through(gate, 0.03 if i == 0 else 0.0, sends) for i in range(6)]
    await asyncio.wait_for(asyncio.gather(*requests), 5)  # no deadlock between gate-time and send-time pacing
    gaps = [b - a for a, b in zip(sorted(sends), sorted(sends)[1:], strict=False)]
    assert len(sends) == 6 and min(gaps) >= 0.05  # no tolerance: the interval is a promise to the site
    # What the gate says it gave the host: the same gaps, read microseconds apart from the test's own clock reads.
    assert gate.min_gap is not None and gate.min_gap >= 0.05 and gate.min_gap == pytest.approx(min(gaps), abs=0.002)


async def test_untraced_requests_are_paced_at_the_gate_from_the_end_of_the_one_before():
    gate = HostGate(Politeness(concurrency=3, interval=0.04))
    starts: list[float] = []

    async def plain() -> None:
        async with gate.slot():
            starts.append(time.monotonic())
            await asyncio.sleep(0.005)

    await asyncio.wait_for(asyncio.gather(*(plain() for _ in range(4))), 5)
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= 0.04 and not gate.traced
    assert gate.min_gap is not None and gate.min_gap >= 0.04


async def test_a_timer_that_fires_early_does_not_shorten_the_interval(monkeypatch):
    now = [100.0]
    real_sleep = asyncio.sleep

    async def early_sleep(seconds: float) -> None:
        now[0] += seconds * 0.9 if seconds > 1e-6 else seconds  # wakes a tenth too early, as a coarse timer may
        await real_sleep(0)

    monkeypatch.setattr("asr_jobs.scrapers.fetch.asyncio.sleep", early_sleep)
    gate = HostGate(Politeness(concurrency=1, interval=1.0), clock=lambda: now[0])
    sends: list[float] = []
    for _ in range(3):
        async with gate.slot() as slot:
            await slot.trace("http11.send_request_headers.started", {})
            sends.append(now[0])
            await slot.trace("http11.send_request_headers.complete", {})
    assert [round(b - a, 9) >= 1.0 for a, b in zip(sends, sends[1:], strict=False)] == [True, True]
    assert gate.min_gap is not None and gate.min_gap >= 1.0
