"""Retry-After / RateLimit-Reset values: delta seconds, epoch seconds, HTTP date, ISO date, and garbage;
plus 429s that only say when the rate limit resets, waited out against the real local server."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email.utils import formatdate

import pytest

from crawler import Fetcher, HTTPStatusError
from crawler.retry import parse_wait
from crawlkit import Resp, run


@pytest.fixture
def server(reused_server):
    """One real local server for the whole module (tests/crawler/conftest.py), fresh routes per test."""
    return reused_server


NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def _iso(delta: float, tz: timezone = UTC) -> str:
    return datetime.fromtimestamp(NOW + delta, tz).isoformat()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("  7 ", 7.0),
        (str(int(NOW) + 30), 30.0),  # epoch seconds (GitHub / Bluesky)
        (f"{NOW + 2.5:.1f}", 2.5),  # fractional epoch
        (str(int(NOW) - 600), 0.0),  # reset already passed: go now
        (formatdate(NOW + 60, usegmt=True), 60.0),  # HTTP date (IMF-fixdate)
        (formatdate(NOW + 60, localtime=False), 60.0),  # "-0000" zone
        (formatdate(NOW - 3600, usegmt=True), 0.0),  # HTTP date in the past
        (_iso(90), 90.0),
        (_iso(90).replace("+00:00", "Z"), 90.0),
        (_iso(90, timezone(timedelta(hours=7))), 90.0),  # Asia/Ho_Chi_Minh offset
        (_iso(90).replace("+00:00", ""), 90.0),  # naive ISO is taken as UTC
        (_iso(-90), 0.0),
    ],
)
def test_parse_wait_forms(value, expected):
    assert parse_wait(value, now=NOW) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "value",
    [None, "", "   ", "soon", "12abc", "1,5", "-5", "-0.5", "nan", "inf", "-inf", "1e400",
     "Wed, 99 Foo 2024 25:61:00 GMT", "2024-13-45T00:00:00Z"],
)
def test_parse_wait_rejects_garbage(value):
    assert parse_wait(value, now=NOW) is None


def test_parse_wait_far_future_is_reported_not_clamped():
    # the helper reports the real wait; callers compare it with max_wait_s (give up, or pause at most that)
    ten_years = 10 * 365 * 86400
    assert parse_wait(str(int(NOW) + ten_years), now=NOW) == pytest.approx(ten_years)
    assert parse_wait(formatdate(NOW + ten_years, usegmt=True), now=NOW) == pytest.approx(ten_years)


async def _get(settings, url):
    async with Fetcher(settings) as f:
        return await f.get(url), f.stats


def test_429_with_epoch_reset_is_waited_out(server, settings):
    variants = {  # path: headers of the 429; the reset is an epoch about a second ahead
        "/ietf": {"RateLimit-Reset": "{frac}"},
        "/x": {"X-RateLimit-Reset": "{frac}"},
        "/github": {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "{int}", "X-RateLimit-Limit": "60"},
    }

    def handler(hit):
        path = hit.path
        if len(server.hits_for(path)) == 1:
            now = time.time()
            frac, whole = f"{now + 1.0:.3f}", str(int(now) + 2)  # whole seconds: a wait of 1 to 2 s
            headers = {k: v.format(frac=frac, int=whole) for k, v in variants[path].items()}
            return Resp(429, "slow down", content_type="text/plain", headers=headers)
        return Resp(body="{}", content_type="application/json")

    for path in variants:
        server.routes[path] = handler
        res, stats = run(_get(settings, server.url(path)))
        assert res.status == 200
        hits = server.hits_for(path)
        assert len(hits) == 2, path  # one wait until the reset, not a burst of quick retries
        assert hits[1].t - hits[0].t >= 0.8, path
        assert stats.retries == 1 and stats.status_counts[429] == 1


def test_retry_after_wins_over_reset(server, settings):
    def handler(hit):
        if len(server.hits_for("/api")) == 1:
            return Resp(429, "slow down", content_type="text/plain",
                        headers={"Retry-After": "1", "RateLimit-Reset": str(int(time.time()) + 3600)})
        return Resp(body="ok")

    server.routes["/api"] = handler
    res, _ = run(_get(settings, server.url("/api")))
    hits = server.hits_for("/api")
    assert res.status == 200 and len(hits) == 2 and hits[1].t - hits[0].t >= 0.9


def test_429_with_reset_beyond_max_wait_gives_up_at_once(server, settings):
    server.routes["/api"] = Resp(429, "come back tomorrow", content_type="text/plain",
                                 headers={"X-RateLimit-Reset": str(int(time.time()) + 86400)})
    with pytest.raises(HTTPStatusError, match="longer than max_wait_s") as exc:
        run(_get(replace(settings, max_wait_s=5.0), server.url("/api")))
    assert exc.value.status == 429
    assert len(server.hits_for("/api")) == 1


def test_429_with_garbage_reset_falls_back_to_backoff(server, settings):
    server.routes["/api"] = [
        Resp(429, "slow down", content_type="text/plain", headers={"RateLimit-Reset": "whenever"}),
        Resp(body="ok"),
    ]
    res, stats = run(_get(settings, server.url("/api")))
    assert res.status == 200 and stats.retries == 1


def test_far_future_reset_on_success_pauses_the_host_at_most_max_wait(server, settings):
    def handler(hit):
        if len(server.hits_for("/api")) == 1:
            return Resp(body="{}", content_type="application/json",
                        headers={"X-RateLimit-Remaining": "0",
                                 "X-RateLimit-Reset": str(int(time.time()) + 30 * 86400)})
        return Resp(body="{}", content_type="application/json")

    server.routes["/api"] = handler

    async def go():
        async with Fetcher(replace(settings, max_wait_s=0.6)) as f:
            await f.get(server.url("/api"))
            await f.get(server.url("/api"))

    run(go())  # finishes: the month-long reset is clamped to max_wait_s
    hits = server.hits_for("/api")
    assert len(hits) == 2 and hits[1].t - hits[0].t >= 0.5
