"""AutoThrottle (Scrapy semantics) against the real local server.

delay = max(latency / target_concurrency, (previous + that) / 2), clamped to [min delay, max delay];
a non-200 response may raise the delay but never lowers it. The delay is read from the Fetcher's
per-host state and checked on the server's clock: request starts are at least that far apart.
Lower bounds only (a slow machine can make gaps longer, never shorter).
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace

import pytest

from crawler import Fetcher, HTTPStatusError, MemoryValidatorStore, Politeness
from crawlkit import Resp, run


@pytest.fixture
def server(reused_server):
    """One real local server for the whole module (tests/crawler/conftest.py), fresh routes per test."""
    return reused_server


SLOW = 0.3  # server latency of the slow routes, seconds


@pytest.fixture
def at_settings(settings):
    return replace(settings, autothrottle=True, autothrottle_target_concurrency=1.0,
                   autothrottle_max_delay_s=5.0, max_retries=0)


def _delay(f: Fetcher, server) -> float | None:
    return f.host_state.snapshot(f"http://127.0.0.1:{server.port}").throttle_delay


def _starts(server, prefix: str) -> list[float]:
    return sorted(h.t for h in server.hits if h.path.startswith(prefix))


def _gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def _routes(server) -> None:
    server.routes["/fast*"] = Resp(body="ok")
    server.routes["/slow*"] = Resp(body="ok", delay=SLOW)


def test_delay_follows_a_slow_server_and_spaces_requests(server, at_settings):
    _routes(server)

    async def go():
        async with Fetcher(at_settings) as f:
            await f.get(server.url("/fast0"))
            d_fast = _delay(f, server)
            await f.get(server.url("/slow0"))
            d_slow = _delay(f, server)
            await asyncio.gather(f.get(server.url("/fast1")), f.get(server.url("/fast2")))
            return d_fast, d_slow

    d_fast, d_slow = run(go())
    assert d_fast is not None and d_fast >= 0.0
    assert d_slow >= SLOW  # latency / target_concurrency(1.0), and latency includes the server's delay
    assert d_slow > d_fast and d_slow <= at_settings.autothrottle_max_delay_s
    # the two concurrent requests were started at least the slow-phase delay apart (server clock)
    gap = _gaps(_starts(server, "/fast1") + _starts(server, "/fast2"))[0]
    assert abs(gap) >= SLOW / 2, gap  # server-clock gaps: half the delay, as the server's own timing jitters


def test_delay_scales_with_target_concurrency_and_is_capped_at_max_delay(server, at_settings):
    _routes(server)

    async def go():
        async with Fetcher(replace(at_settings, autothrottle_target_concurrency=0.5)) as f:
            await f.get(server.url("/slow0"))
            half = _delay(f, server)  # latency / 0.5
        capped = replace(at_settings, autothrottle_target_concurrency=0.1, autothrottle_max_delay_s=0.4)
        async with Fetcher(capped) as f:
            await f.get(server.url("/slow1"))  # latency / 0.1 >= 3 s, capped
            at_cap = _delay(f, server)
            await asyncio.gather(*(f.get(server.url(f"/fast{i}")) for i in range(2)))
        return half, at_cap

    half, at_cap = run(go())
    assert half >= 2 * SLOW
    assert at_cap == 0.4
    assert _gaps(_starts(server, "/fast"))[0] >= 0.2  # the capped delay (0.4 s) still spaces requests


def test_delay_never_below_min_delay(server, at_settings):
    _routes(server)

    async def go(settings, pol, prefix):
        async with Fetcher(settings) as f:
            await asyncio.gather(*(f.get(server.url(f"{prefix}{i}"), politeness=pol) for i in range(3)))
            return _delay(f, server)

    # a fast server pulls the delay down towards the floor, never below it: settings, then a source override
    assert run(go(replace(at_settings, min_delay_s=0.25), None, "/fast-a")) >= 0.25
    assert run(go(at_settings, Politeness(min_delay_s=0.25), "/fast-b")) >= 0.25
    for prefix in ("/fast-a", "/fast-b"):
        gaps = _gaps(_starts(server, prefix))
        assert len(gaps) == 2 and min(gaps) >= 0.125, (prefix, gaps)  # half the floor: server-clock jitter


def test_crawl_delay_still_applies_with_autothrottle(server, at_settings):
    server.routes["/robots.txt"] = Resp(body="User-agent: *\nCrawl-delay: 0.3\n", content_type="text/plain")
    _routes(server)

    async def go():
        async with Fetcher(replace(at_settings, autothrottle_max_delay_s=0.1)) as f:
            await asyncio.gather(*(f.get(server.url(f"/fast{i}")) for i in range(3)))
            return _delay(f, server)

    assert run(go()) <= 0.1  # AutoThrottle alone would go faster ...
    gaps = _gaps(_starts(server, "/fast"))
    assert len(gaps) == 2 and min(gaps) >= 0.15, gaps  # ... but Crawl-delay (0.3 s) is the floor


def test_error_responses_never_lower_the_delay(server, at_settings):
    _routes(server)
    server.routes["/missing"] = Resp(404, "not found", content_type="text/plain")
    server.routes["/down"] = Resp(503, "unavailable", content_type="text/plain")
    server.routes["/same"] = Resp(body="ok", headers={"ETag": '"v1"'})
    server.routes["/slow-error"] = Resp(503, "overloaded", content_type="text/plain", delay=SLOW + 0.2)

    async def go():
        store = MemoryValidatorStore()
        async with Fetcher(at_settings, validators=store) as f:
            await f.get(server.url("/same"))
            await f.get(server.url("/slow0"))
            high = _delay(f, server)
            server.routes["/same"] = Resp(304, headers={"ETag": '"v1"'})
            after = []
            for path in ("/missing", "/down", "/same"):  # fast 404, 503, 304
                try:
                    res = await f.get(server.url(path))
                    assert res.not_modified
                except HTTPStatusError:
                    pass
                after.append(_delay(f, server))
            with pytest.raises(HTTPStatusError):
                await f.get(server.url("/slow-error"))  # a slow error may make us slower
            slower = _delay(f, server)
            await f.get(server.url("/fast0"))  # a fast 200 lowers it, by averaging
            lowered = _delay(f, server)
            return high, after, slower, lowered

    high, after, slower, lowered = run(go())
    assert high >= SLOW
    assert after == [high, high, high]
    assert slower >= max(high, SLOW + 0.2)
    assert slower / 2 <= lowered < slower


def test_autothrottle_off_keeps_no_delay(server, settings):
    _routes(server)

    async def go():
        async with Fetcher(replace(settings, autothrottle=False)) as f:
            await f.get(server.url("/slow0"))
            return _delay(f, server)

    assert run(go()) is None
