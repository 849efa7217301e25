"""The fetcher against each fault, through a mock transport: retries, backoff, caps and clear messages."""

import asyncio
import email.utils
import time

import httpx
import pytest

from asr_jobs.models import Lab, ParseError, Politeness, ScrapeError
from asr_jobs.scrapers.fetch import Fetcher, LabContext, LabStats, RetryPolicy, retry_after_seconds, same_site

URL = "https://jobs.acme.example/api/list"


class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def fetcher_for(handler, **kwargs) -> tuple[Fetcher, Sleeps]:
    sleeps = Sleeps()
    kwargs.setdefault("retry", RetryPolicy(attempts=4, base_delay=1.0))
    return Fetcher(httpx.MockTransport(handler), sleep=sleeps, **kwargs), sleeps


def sequence(*steps):
    """A handler playing the steps in order (an exception class is raised, a response returned); the last repeats."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = steps[min(len(seen), len(steps)) - 1]
        if isinstance(step, type) and issubclass(step, Exception):
            raise step("simulated", request=request)
        return step

    handler.seen = seen
    return handler


async def get(fetcher: Fetcher, url: str = URL, stats: LabStats | None = None) -> httpx.Response:
    return await fetcher.request("acme", "GET", url, politeness=Politeness(), stats=stats or LabStats())


OK = httpx.Response(200, json={"jobs": []})


@pytest.mark.parametrize("fault, words", [
    (httpx.ConnectTimeout, "timed out (connect timeout)"),
    (httpx.ReadTimeout, "timed out (read timeout)"),
    (httpx.ReadError, "connection failed (ReadError: simulated)"),
    (httpx.RemoteProtocolError, "connection failed (RemoteProtocolError: simulated)"),
])
async def test_transport_faults_are_retried_then_fail_clearly(fault, words):
    handler = sequence(fault)
    fetcher, sleeps = fetcher_for(handler)
    with pytest.raises(ScrapeError) as err:
        await get(fetcher)
    assert str(err.value) == f"acme: {words}, gave up after 4 attempt(s) ({URL})"
    assert len(handler.seen) == 4 and len(sleeps) == 3


@pytest.mark.parametrize("fault", [httpx.ConnectTimeout, httpx.ReadTimeout, httpx.ReadError,
                                   httpx.Response(503), httpx.Response(500, text="oops")])
async def test_one_transient_fault_then_success(fault):
    handler = sequence(fault, OK)
    fetcher, sleeps = fetcher_for(handler)
    stats = LabStats()
    assert (await get(fetcher, stats=stats)).json() == {"jobs": []}
    assert stats.retries == 1 and stats.requests == 2 and not stats.rate_limited


async def test_backoff_is_exponential_with_jitter_and_capped():
    fetcher, sleeps = fetcher_for(sequence(httpx.Response(502)),
                                  retry=RetryPolicy(attempts=6, base_delay=1.0, max_delay=5.0, max_total=100))
    with pytest.raises(ScrapeError):
        await get(fetcher)
    assert len(sleeps) == 5
    for n, slept in enumerate(sleeps, 1):
        assert min(5.0, 0.5 * 2 ** (n - 1)) <= slept <= min(5.0, 1.5 * 2 ** (n - 1))
    assert sleeps[-1] == 5.0  # 1.5 * 16 and 0.5 * 16 are both over the cap


async def test_total_wait_is_bounded():
    fetcher, sleeps = fetcher_for(sequence(httpx.Response(503)),
                                  retry=RetryPolicy(attempts=50, base_delay=1.0, max_delay=4.0, max_total=10.0))
    with pytest.raises(ScrapeError, match="HTTP 503, gave up after"):
        await get(fetcher)
    assert sum(sleeps) <= 10.0 and len(sleeps) < 49


async def test_429_without_retry_after_backs_off_and_marks_rate_limited():
    fetcher, sleeps = fetcher_for(sequence(httpx.Response(429), OK))
    stats = LabStats()
    await get(fetcher, stats=stats)
    assert stats.rate_limited and 0.5 <= sleeps[0] <= 1.5


@pytest.mark.parametrize("header, expected", [("7", 7.0), ("0", 0.0)])
async def test_429_retry_after_seconds_is_honoured(header, expected):
    fetcher, sleeps = fetcher_for(sequence(httpx.Response(429, headers={"Retry-After": header}), OK))
    await get(fetcher)
    assert sleeps == [expected]


async def test_429_retry_after_http_date_is_honoured():
    when = email.utils.formatdate(time.time() + 12, usegmt=True)
    fetcher, sleeps = fetcher_for(sequence(httpx.Response(429, headers={"Retry-After": when}), OK))
    await get(fetcher)
    assert 9 <= sleeps[0] <= 12


async def test_retry_after_over_the_cap_fails_at_once_without_hammering():
    handler = sequence(httpx.Response(429, headers={"Retry-After": "3600"}, text="slow down"))
    fetcher, sleeps = fetcher_for(handler)
    with pytest.raises(ScrapeError) as err:
        await get(fetcher)
    assert str(err.value) == (f"acme: HTTP 429: slow down; the server asks to wait 3600 s, more than the 30 s cap, "
                              f"gave up after 1 attempt(s) ({URL})")
    assert sleeps == [] and len(handler.seen) == 1 and err.value.status == 429


async def test_rate_limit_that_never_ends_gives_up():
    fetcher, sleeps = fetcher_for(sequence(httpx.Response(429, headers={"Retry-After": "2"}, text="error code: 1015")))
    with pytest.raises(ScrapeError, match=r"HTTP 429: error code: 1015, gave up after 4 attempt\(s\)"):
        await get(fetcher)
    assert sleeps == [2.0, 2.0, 2.0]


async def test_scale_shrinks_real_waits_only():
    fetcher, sleeps = fetcher_for(sequence(httpx.Response(429, headers={"Retry-After": "20"}), OK),
                                  retry=RetryPolicy(scale=0.001))
    await get(fetcher)
    assert sleeps == [pytest.approx(0.02)]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 451])
async def test_client_errors_are_not_retried(status):
    handler = sequence(httpx.Response(status, json={"error": "nope"}))
    fetcher, sleeps = fetcher_for(handler)
    with pytest.raises(ScrapeError) as err:
        await get(fetcher)
    assert str(err.value) == f"acme: HTTP {status}: error='nope' ({URL})" and len(handler.seen) == 1


def test_retry_after_parsing():
    assert retry_after_seconds("120") == 120 and retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: go now


async def test_same_site_redirect_is_followed():
    def handler(request):
        if request.url.host == "jobs.acme.example":
            return httpx.Response(301, headers={"Location": "https://careers.acme.example/api/list"})
        return OK

    fetcher, _ = fetcher_for(handler)
    response = await get(fetcher)
    assert str(response.url) == "https://careers.acme.example/api/list" and response.json() == {"jobs": []}


async def test_redirect_to_another_host_is_refused_before_it_is_requested():
    hosts = []

    def handler(request):
        hosts.append(request.url.host)
        return httpx.Response(302, headers={"Location": "https://login.evil.example/sso?next=/api/list"})

    fetcher, _ = fetcher_for(handler)
    with pytest.raises(ScrapeError) as err:
        await get(fetcher)
    assert str(err.value) == ("acme: redirected to another host: https://login.evil.example/sso?next=/api/list "
                              f"(HTTP 302 from jobs.acme.example) ({URL})")
    assert hosts == ["jobs.acme.example"]


async def test_redirect_loop_is_cut():
    fetcher, _ = fetcher_for(lambda r: httpx.Response(302, headers={"Location": URL}))
    with pytest.raises(ScrapeError, match="more than 10 redirects"):
        await get(fetcher)


def test_same_site_rules():
    assert same_site("apply.careers.microsoft.com", "gcsservices.careers.microsoft.com")
    assert same_site("jobs.acme.co.uk", "www.acme.co.uk") and not same_site("jobs.acme.co.uk", "evil.co.uk")
    assert not same_site("127.0.0.1", "10.0.0.1") and same_site("127.0.0.1", "127.0.0.1")
    assert not same_site("localhost", "127.0.0.1") and not same_site("hiring.jhu.edu", "jhu.eightfold.ai")


async def test_body_over_the_cap_is_refused_by_its_declared_length():
    handler = sequence(httpx.Response(200, headers={"Content-Length": "5000"}, content=b"x" * 5000))
    fetcher, sleeps = fetcher_for(handler, max_bytes=1000)
    with pytest.raises(ScrapeError) as err:
        await get(fetcher)
    assert str(err.value) == f"acme: response body of 5,000 bytes is over the size cap of 1,000 bytes ({URL})"
    assert len(handler.seen) == 1 and sleeps == []


async def test_streamed_body_over_the_cap_is_refused():
    async def chunks():
        for _ in range(100):
            yield b"y" * 100

    fetcher, _ = fetcher_for(lambda r: httpx.Response(200, content=chunks()), max_bytes=1000)
    with pytest.raises(ScrapeError, match="response body over the size cap of 1,000 bytes"):
        await get(fetcher)


@pytest.mark.parametrize("kind", ["image/png", "application/octet-stream", "application/pdf", "video/mp4"])
async def test_binary_content_type_is_refused(kind):
    fetcher, _ = fetcher_for(lambda r: httpx.Response(200, headers={"Content-Type": kind}, content=b"\x89PNG\x00"))
    with pytest.raises(ScrapeError) as err:
        await get(fetcher)
    assert str(err.value) == f"acme: unexpected content type {kind!r} (5 bytes) where a web page or JSON was expected ({URL})"


async def test_deadline_stops_a_server_that_never_finishes_and_is_not_retried():
    calls = []

    async def slow(request):
        calls.append(request)
        await asyncio.sleep(5)
        return OK

    sleeps = Sleeps()
    fetcher = Fetcher(httpx.MockTransport(slow), deadline=0.05, sleep=sleeps, retry=RetryPolicy(attempts=2))
    started = time.monotonic()
    with pytest.raises(ScrapeError, match=r"timed out \(no complete response within 0.05 s\); not retried"):
        await get(fetcher)
    assert time.monotonic() - started < 2
    assert len(calls) == 1 and sleeps == []  # the whole deadline used: another try would take as long


async def test_unsupported_scheme_fails_without_retry():
    sleeps = Sleeps()
    fetcher = Fetcher(sleep=sleeps)  # the real transport refuses the scheme before any connection
    with pytest.raises(ScrapeError, match="unsupported URL"):
        await get(fetcher, "ftp://jobs.acme.example/list")
    assert sleeps == []


def test_from_env_reads_and_checks_settings():
    fetcher = Fetcher.from_env(env={"ASR_JOBS_TIMEOUT": "0.5", "ASR_JOBS_RETRY_SCALE": "0",
                                    "ASR_JOBS_RETRY_ATTEMPTS": "2", "ASR_JOBS_MAX_BYTES": "1000"})
    assert fetcher.retry.scale == 0 and fetcher.retry.attempts == 2 and fetcher.max_bytes == 1000
    assert fetcher.client.timeout.read == 0.5 and fetcher.client.timeout.connect == 0.5 and fetcher.deadline == 5
    default = Fetcher.from_env(env={})
    assert default.retry == RetryPolicy() and default.client.timeout.connect == 10.0
    with pytest.raises(ValueError, match="ASR_JOBS_RETRY_SCALE='fast' is not a number"):
        Fetcher.from_env(env={"ASR_JOBS_RETRY_SCALE": "fast"})
    with pytest.raises(ValueError, match="at least 1"):
        Fetcher.from_env(env={"ASR_JOBS_RETRY_ATTEMPTS": "0"})


def lab_context(handler) -> LabContext:
    lab = Lab(name="acme", title="Acme", category="industry", adapter="greenhouse")
    return LabContext(lab, Fetcher(httpx.MockTransport(handler), sleep=Sleeps()))


@pytest.mark.parametrize("status", [404, 410])
async def test_detail_that_is_gone_is_reported(status):
    ctx = lab_context(lambda r: httpx.Response(status, text="Not Found"))
    assert await ctx.detail("42", "https://jobs.acme.example/jobs/42") is None
    assert ctx.gone_ids == {"42": "https://jobs.acme.example/jobs/42"}


async def test_detail_that_fails_otherwise_raises():
    ctx = lab_context(lambda r: httpx.Response(500, text="boom"))
    with pytest.raises(ScrapeError, match="HTTP 500: boom, gave up"):
        await ctx.detail("42", "https://jobs.acme.example/jobs/42")
    assert ctx.gone_ids == {}


@pytest.mark.parametrize("body, kind, words", [
    (b"<html><body>Please sign in</body></html>", "text/html", "got HTML where JSON was expected"),
    (b'{"jobs": [{"id": 1,', "application/json", "invalid JSON at line 1"),
    (b"", "application/json", "empty body where JSON was expected"),
    (b"\xff\xfe\x00garbage", "text/plain", "invalid JSON at line 1 column 1"),  # bad bytes read as U+FFFD
])
async def test_json_that_is_not_json_names_lab_url_cause_and_content_type(body, kind, words):
    ctx = lab_context(lambda r: httpx.Response(200, headers={"Content-Type": kind}, content=body))
    with pytest.raises(ParseError) as err:
        await ctx.get_json(URL)
    message = str(err.value)
    assert message.startswith("acme: ") and words in message and message.endswith(f"({URL})")
    assert ("[content-type " in message) == ("json" not in kind)
