"""Fetcher politeness and fault handling against a real local server."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import replace
from email.utils import formatdate

import pytest

from crawler import (
    BlockedAddress,
    ContentTypeError,
    Fetcher,
    HTTPStatusError,
    ResponseTooLarge,
    RobotsDisallowed,
    TimeoutExceeded,
    TooManyRedirects,
)
from crawler.netguard import is_public_address
from crawlkit import Resp, run


async def _get(settings, url, **kw):
    async with Fetcher(settings) as f:
        res = await f.get(url, **kw)
        return res, f.stats


async def _get_many(settings, urls, **kw):
    async with Fetcher(settings) as f:
        return await asyncio.gather(*(f.get(u, **kw) for u in urls)), f.stats


def test_user_agent_is_sent(server, settings):
    server.routes["/"] = Resp(body="<html>ok</html>")
    run(_get(settings, server.url("/")))
    assert all(h.headers["user-agent"] == settings.user_agent for h in server.hits)
    assert server.hits[0].path == "/robots.txt"


def test_retry_after_is_waited_out(server, settings):
    server.routes["/busy"] = [Resp(429, "slow down", headers={"Retry-After": "1"}), Resp(body="ok")]
    res, stats = run(_get(settings, server.url("/busy")))
    assert res.status == 200
    hits = server.hits_for("/busy")
    assert len(hits) == 2
    assert hits[1].t - hits[0].t >= 0.9
    assert stats.retries == 1 and stats.status_counts == {404: 1, 429: 1, 200: 1}


def test_retry_after_http_date_is_waited_out(server, settings):
    def handler(hit):
        if len(server.hits_for("/busy")) == 1:
            return Resp(503, "maintenance", headers={"Retry-After": formatdate(time.time() + 2, usegmt=True)})
        return Resp(body="ok")

    server.routes["/busy"] = handler
    res, _ = run(_get(settings, server.url("/busy")))
    hits = server.hits_for("/busy")
    assert res.status == 200 and len(hits) == 2
    assert hits[1].t - hits[0].t >= 0.9  # HTTP dates have 1 s resolution


def test_server_error_is_retried_then_recorded(server, settings):
    s = replace(settings, max_retries=2)
    server.routes["/down"] = Resp(503, "unavailable")

    async def go():
        async with Fetcher(s) as f:
            with pytest.raises(HTTPStatusError) as exc:
                await f.get(server.url("/down"))
            return exc.value, f.stats

    err, stats = run(go())
    assert err.status == 503 and "gave up after 2 retries" in str(err)
    assert len(server.hits_for("/down")) == 3
    assert stats.errors == 1 and stats.retries == 2 and stats.status_counts[503] == 3


def test_client_error_is_not_retried(server, settings):
    server.routes["/gone"] = Resp(410, "gone")
    with pytest.raises(HTTPStatusError) as exc:
        run(_get(settings, server.url("/gone")))
    assert exc.value.status == 410
    assert len(server.hits_for("/gone")) == 1


def test_slow_server_times_out(server, settings):
    s = replace(settings, timeout=0.3, max_retries=1)
    server.routes["/slow"] = Resp(body="late", delay=1.5)
    with pytest.raises(TimeoutExceeded):
        run(_get(s, server.url("/slow")))
    assert len(server.hits_for("/slow")) == 2  # timeouts are retried


def test_trickling_body_hits_the_per_request_timeout(server, settings):
    s = replace(settings, timeout=0.5, max_retries=0)
    server.routes["/trickle"] = Resp(chunks=lambda: itertools.repeat(b"x", 100), chunk_delay=0.1)
    with pytest.raises(TimeoutExceeded):
        run(_get(s, server.url("/trickle")))


def test_endless_body_is_cut_at_the_cap(server, settings):
    s = replace(settings, max_bytes=200_000)
    server.routes["/endless"] = Resp(chunks=lambda: itertools.repeat(b"<p>" + b"a" * 8189))
    with pytest.raises(ResponseTooLarge) as exc:
        run(_get(s, server.url("/endless")))
    assert "max_bytes=200000" in str(exc.value)


def test_declared_length_over_cap_is_refused_before_reading(server, settings):
    s = replace(settings, max_bytes=1000)
    server.routes["/big"] = Resp(body=b"x" * 5000)
    with pytest.raises(ResponseTooLarge):
        run(_get(s, server.url("/big")))


def test_redirect_loop_stops(server, settings):
    server.routes["/a"] = Resp(302, headers={"Location": "/b"})
    server.routes["/b"] = Resp(302, headers={"Location": "/a"})
    with pytest.raises(TooManyRedirects) as exc:
        run(_get(settings, server.url("/a")))
    assert "loop" in str(exc.value)


def test_redirect_chain_longer_than_cap_stops(server, settings):
    for i in range(10):
        server.routes[f"/r{i}"] = Resp(301, headers={"Location": f"/r{i + 1}"})
    with pytest.raises(TooManyRedirects):
        run(_get(replace(settings, max_redirects=3), server.url("/r0")))
    assert len([h for h in server.hits if h.path.startswith("/r") and h.path != "/robots.txt"]) == 4


def test_redirect_is_followed(server, settings):
    server.routes["/old"] = Resp(301, headers={"Location": "/new"})
    server.routes["/new"] = Resp(body="<html>moved</html>")
    res, _ = run(_get(settings, server.url("/old")))
    assert res.url.endswith("/new") and res.requested_url.endswith("/old")


def test_robots_disallow_is_obeyed_and_robots_fetched_once(server, settings):
    server.routes["/robots.txt"] = Resp(body="User-agent: *\nDisallow: /private\n", content_type="text/plain")
    server.routes["/public"] = Resp(body="ok")
    server.routes["/private/x"] = Resp(body="secret")

    async def go():
        async with Fetcher(settings) as f:
            await f.get(server.url("/public"))
            await f.get(server.url("/public"))
            with pytest.raises(RobotsDisallowed):
                await f.get(server.url("/private/x"))
            return f.stats

    stats = run(go())
    assert not server.hits_for("/private/x")
    assert len(server.hits_for("/robots.txt")) == 1
    assert stats.robots_disallowed == 1


def test_robots_agent_specific_group(server, settings):
    server.routes["/robots.txt"] = Resp(
        body="User-agent: kiemtin-test\nDisallow: /\n\nUser-agent: *\nAllow: /\n", content_type="text/plain"
    )
    server.routes["/"] = Resp(body="ok")
    with pytest.raises(RobotsDisallowed):
        run(_get(settings, server.url("/")))


def test_robots_server_error_disallows_for_now(server, settings):
    server.routes["/robots.txt"] = Resp(500, "oops")
    server.routes["/page"] = Resp(body="ok")
    with pytest.raises(RobotsDisallowed) as exc:
        run(_get(replace(settings, max_retries=0), server.url("/page")))
    assert "HTTP 500" in str(exc.value)
    assert not server.hits_for("/page")


def test_crawl_delay_is_obeyed(server, settings):
    server.routes["/robots.txt"] = Resp(body="User-agent: *\nCrawl-delay: 0.4\n", content_type="text/plain")
    for i in range(4):
        server.routes[f"/p{i}"] = Resp(body="ok")
    run(_get_many(settings, [server.url(f"/p{i}") for i in range(4)]))
    times = sorted(h.t for h in server.hits if h.path.startswith("/p"))
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(gaps) == 3 and min(gaps) >= 0.35, gaps


def test_min_delay_from_source_override(server, settings):
    from crawler import Politeness

    for i in range(3):
        server.routes[f"/q{i}"] = Resp(body="ok")
    run(_get_many(settings, [server.url(f"/q{i}") for i in range(3)], politeness=Politeness(min_delay_s=0.3)))
    times = sorted(h.t for h in server.hits if h.path.startswith("/q"))
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.25


def test_rate_limit_headers_pause_the_host(server, settings):
    def handler(hit):
        if len(server.hits_for("/api")) == 1:
            return Resp(
                body="{}",
                content_type="application/json",
                headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"},
            )
        return Resp(body="{}", content_type="application/json")

    server.routes["/api"] = handler

    async def go():
        async with Fetcher(settings) as f:
            await f.get(server.url("/api"))
            await f.get(server.url("/api"))

    run(go())
    hits = server.hits_for("/api")
    assert hits[1].t - hits[0].t >= 0.9


def test_content_type_mismatch(server, settings):
    server.routes["/img"] = Resp(body=b"\x89PNG....", content_type="image/png")
    with pytest.raises(ContentTypeError):
        run(_get(settings, server.url("/img"), expect="json"))


def test_ssrf_guard_refuses_loopback_unless_allowed(server, settings):
    server.routes["/"] = Resp(body="ok")
    strict = replace(settings, allow_networks=())
    with pytest.raises(BlockedAddress) as exc:
        run(_get(strict, server.url("/")))
    assert "127.0.0.1" in str(exc.value)
    with pytest.raises(BlockedAddress):
        run(_get(strict, f"http://localhost:{server.port}/"))
    assert server.hits == []
    res, _ = run(_get(settings, server.url("/")))
    assert res.status == 200


@pytest.mark.parametrize(
    ("addr", "public"),
    [
        ("10.1.2.3", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("224.0.0.1", False),
        ("100.64.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("0.0.0.0", False),
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
    ],
)
def test_address_classification(addr, public):
    assert is_public_address(addr) is public


def test_total_time_cap(server, settings):
    server.routes["/slow"] = Resp(body="late", delay=1.0)

    async def go():
        loop = asyncio.get_running_loop()
        async with Fetcher(settings) as f:
            await f.get(server.url("/slow"), deadline=loop.time() + 0.3)

    with pytest.raises(TimeoutExceeded) as exc:
        run(go())
    assert "max_total_s" in str(exc.value)
