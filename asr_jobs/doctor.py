"""`asr-jobs doctor`: whether each lab's site answers, in the format its adapter reads, on this machine.

Each lab gets its adapter's `probe`: the cheapest requests that prove the endpoint works (one listing page
and any token it needs, no details), under the usual politeness and within a per-lab deadline. A lab is
ok, with the number of postings the site reports, or failed with the class of failure (models.ERROR_KINDS)
and what to do about it. Nothing is stored.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass
from typing import Any

import httpx

from .ingest import offline_message
from .models import ConfigError, Lab, ScrapeError
from .scrapers.fetch import Fetcher, LabContext
from .scrapers.registry import adapter

DEFAULT_TIMEOUT = 20.0  # seconds per lab: every lab is probed at once, so the whole check takes about as long
PROBE_ATTEMPTS = 2  # a transient fault is tried once more; a site that fails twice is reported, not waited for
REPORT = "report it with the evidence: asr-jobs doctor LAB --record doctor.har"

# What a user does about each class of failure.
ADVICE = {
    "offline": "no network or DNS: check your connection/proxy",
    "tls": "TLS failed: check the system clock, the CA certificates (SSL_CERT_FILE) or a proxy that intercepts HTTPS",
    "timeout": "the site did not answer in time: try later, or raise ASR_JOBS_TIMEOUT / --timeout",
    "http": "the site answered an error: try later; if it stays, the endpoint moved (check the lab's params)",
    "firewall": "blocked by the site's firewall: try later, nothing closed",
    "throttled": "the site asks us to slow down: try later, nothing closed",
    "format": f"the site changed its format (the key is named above): {REPORT}",
    "config": "change the setting named above in your --labs file",
    "error": f"unexpected failure: {REPORT}",
}
# An offline failure while other labs answered: the network works, this one site does not.
SITE_UNREACHABLE = "other labs answered: this site is down or its host changed (check the lab's params)"


@dataclass
class Check:
    """One lab's answer: status `ok` or a class of failure (models.ERROR_KINDS), with what to do."""

    lab: str
    adapter: str
    status: str
    postings: int | None = None  # as the site reports them (or as its first page holds them)
    message: str = ""
    advice: str = ""
    requests: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def line(self, width: int = 0) -> str:
        """The lab's one line: `lab  ok  N postings` or `lab  kind  message: what to do`."""
        if self.ok:
            count = "an unknown number of" if self.postings is None else f"{self.postings:,}"
            detail = f"{count} postings ({self.seconds:.1f} s)"
        else:
            detail = f"{self.message} -> {self.advice}"
        return f"{self.lab:<{width}}  {self.status:<9}  {detail}"

    def row(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"seconds": round(self.seconds, 2)}


def probe_fetcher(transport: httpx.AsyncBaseTransport | None) -> Fetcher:
    """The run's fetcher (tuned by the environment as a scrape's is), with at most PROBE_ATTEMPTS tries."""
    fetcher = Fetcher.from_env(transport)
    fetcher.retry = dataclasses.replace(fetcher.retry, attempts=min(fetcher.retry.attempts, PROBE_ATTEMPTS))
    return fetcher


async def check_lab(lab: Lab, fetcher: Fetcher, timeout: float = DEFAULT_TIMEOUT) -> Check:
    """Probe one lab within `timeout` seconds; every failure is a Check, never an exception."""
    ctx = LabContext(lab, fetcher)
    started = time.monotonic()
    check = Check(lab.name, lab.adapter, "ok")
    try:
        async with asyncio.timeout(timeout):
            check.postings = await adapter(lab.adapter).probe(ctx)
    except TimeoutError:
        check.status, check.message = "timeout", f"{lab.name}: no answer within {timeout:g} s"
    except ScrapeError as exc:
        check.status, check.message = exc.kind, str(exc)
    except ConfigError as exc:
        check.status, check.message = "config", f"{lab.name}: {exc}"
    except Exception as exc:  # an adapter bug is reported like any failure, and the other labs go on
        check.status, check.message = "error", f"{lab.name}: internal error {type(exc).__name__}: {exc}"
    check.advice = ADVICE.get(check.status, "")
    check.requests = ctx.stats.requests
    check.seconds = time.monotonic() - started
    return check


async def check_labs(labs: list[Lab], *, transport: httpx.AsyncBaseTransport | None = None,
                     timeout: float = DEFAULT_TIMEOUT) -> list[Check]:
    """Probe every lab at once (each host keeps its own limits), in the labs' order."""
    async with probe_fetcher(transport) as fetcher:
        checks = list(await asyncio.gather(*(check_lab(lab, fetcher, timeout) for lab in labs)))
    if any(c.ok for c in checks):
        for check in checks:
            if check.status == "offline":
                check.advice = SITE_UNREACHABLE
    return checks


def run_doctor(labs: list[Lab], *, transport: httpx.AsyncBaseTransport | None = None,
               timeout: float = DEFAULT_TIMEOUT) -> list[Check]:
    return asyncio.run(check_labs(labs, transport=transport, timeout=timeout))


def summary(checks: list[Check]) -> str:
    """The closing line: how many labs answered, or that the machine seems offline."""
    offline = offline_message(c.status for c in checks)
    if offline:
        return offline
    answered = sum(c.ok for c in checks)
    if answered == len(checks):
        return f"all {answered} labs answered"
    return f"{answered} of {len(checks)} labs answered; the others are listed with what to do"

