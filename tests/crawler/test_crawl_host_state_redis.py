"""RedisHostState: the HostStateStore contract, and atomic gaps and in-flight limits across many clients at once
(real Redis; each test under a key prefix of its own)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from crawler.hoststate_redis import RedisHostState
from crawlkit import exercise_host_state, run
from redis_kit import shared_redis_or_skip, unique_prefix


@pytest.fixture
def redis_prefix() -> Iterator[tuple[str, str]]:
    url = shared_redis_or_skip()
    with unique_prefix(url) as prefix:
        yield url, prefix


def test_redis_host_state_keeps_the_contract(redis_prefix):
    url, prefix = redis_prefix

    async def go() -> None:
        store = RedisHostState(url, prefix=prefix)
        try:
            await exercise_host_state(store)
        finally:
            await store.aclose()

    run(go())


def test_many_clients_reserving_at_once_get_starts_a_gap_apart(redis_prefix):
    """Twelve separate connections ask for one host at the same moment: the granted starts (answer time + wait;
    nobody sleeps) are all >= the gap apart (the reservation is one Lua script): 11 gaps from first to last."""
    url, prefix = redis_prefix
    gap = 1.0

    async def one(store: RedisHostState) -> float:
        granted = await store.reserve("http://h.example", gap)
        return time.time() + granted.wait_s

    async def go() -> list[float]:
        stores = [RedisHostState(url, prefix=prefix) for _ in range(12)]
        try:
            return sorted(await asyncio.gather(*(one(s) for s in stores)))
        finally:
            for s in stores:
                await s.aclose()

    starts = run(go())
    assert all(b - a >= gap - 0.1 for a, b in zip(starts, starts[1:], strict=False))
    assert starts[-1] - starts[0] == pytest.approx(11 * gap, abs=0.3)


def test_in_flight_limit_holds_across_clients_and_a_dead_holder_frees_its_place(redis_prefix):
    url, prefix = redis_prefix

    async def go() -> None:
        a, b, c = (RedisHostState(url, prefix=prefix, poll_s=0.01) for _ in range(3))
        try:
            origin = "http://h.example"
            t1 = await a.acquire_slot(origin, 2, 30.0)
            await b.acquire_slot(origin, 2, 0.3)  # b "dies" holding it: its lease ends after 0.3 s
            third = asyncio.create_task(c.acquire_slot(origin, 2, 30.0))
            await asyncio.sleep(0.1)
            assert not third.done()  # two in flight already
            await asyncio.wait_for(third, 2.0)  # b's lease ran out
            fourth = asyncio.create_task(c.acquire_slot(origin, 2, 30.0))
            await asyncio.sleep(0.1)
            assert not fourth.done()
            await a.release_slot(origin, t1)
            await asyncio.wait_for(fourth, 1.0)
        finally:
            for s in (a, b, c):
                await s.aclose()

    run(go())
