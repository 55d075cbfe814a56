"""Host state that outlives a Fetcher: MemoryHostState's contract, and a shared store keeping robots.txt,
Crawl-delay, the minimum gap and pauses from one Fetcher (one crawl run) to the next, on the real local server."""

from __future__ import annotations

import asyncio
import itertools
import threading
from dataclasses import replace

from crawler import Fetcher, MemoryHostState
from crawlkit import Resp, exercise_host_state, run


def test_memory_host_state_keeps_the_contract():
    run(exercise_host_state(MemoryHostState()))


async def _two_runs(settings, store, first: str, second: str) -> None:
    """Two crawl runs one after the other, each with its own Fetcher, sharing ``store``."""
    async with Fetcher(settings, host_state=store) as f:
        await f.get(first)
    async with Fetcher(settings, host_state=store) as f:
        await f.get(second)


def _gap(server, first: str, second: str) -> float:
    return server.hits_for(second)[0].t - server.hits_for(first)[0].t


def test_next_run_reuses_robots_txt_and_keeps_its_crawl_delay(server, settings):
    server.routes["/robots.txt"] = Resp(body="User-agent: *\nCrawl-delay: 0.5\n", content_type="text/plain")
    server.routes["/a"] = server.routes["/b"] = Resp(body="ok")
    run(_two_runs(settings, MemoryHostState(), server.url("/a"), server.url("/b")))
    assert len(server.hits_for("/robots.txt")) == 1
    assert _gap(server, "/a", "/b") >= 0.45


def test_a_new_store_forgets_robots_txt(server, settings):
    """The control for the test above: without a shared store, every run starts afresh."""
    server.routes["/robots.txt"] = Resp(body="User-agent: *\nCrawl-delay: 0.5\n", content_type="text/plain")
    server.routes["/a"] = server.routes["/b"] = Resp(body="ok")

    async def go():
        for path in ("/a", "/b"):
            async with Fetcher(settings) as f:
                await f.get(server.url(path))

    run(go())
    robots = server.hits_for("/robots.txt")
    assert len(robots) == 2
    assert robots[1].t - server.hits_for("/a")[0].t < 0.45  # the second run did not wait out the Crawl-delay


def test_next_run_waits_out_the_minimum_gap_and_a_rate_limit_pause(server, settings):
    server.routes["/a"] = server.routes["/b"] = Resp(body="ok")
    server.routes["/limited"] = Resp(body="{}", content_type="application/json",
                                     headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"})
    server.routes["/c"] = Resp(body="ok")
    store = MemoryHostState()
    run(_two_runs(replace(settings, min_delay_s=0.5), store, server.url("/a"), server.url("/b")))
    assert _gap(server, "/a", "/b") >= 0.45
    run(_two_runs(settings, store, server.url("/limited"), server.url("/c")))
    assert _gap(server, "/limited", "/c") >= 0.9


def test_robots_txt_is_fetched_again_after_its_ttl(server, settings):
    server.routes["/robots.txt"] = Resp(body="User-agent: *\nAllow: /\n", content_type="text/plain")
    server.routes["/a"] = server.routes["/b"] = Resp(body="ok")
    store = MemoryHostState()

    async def go():
        s = replace(settings, robots_ttl_s=0.2)
        async with Fetcher(s, host_state=store) as f:
            await f.get(server.url("/a"))
            await asyncio.sleep(0.3)
            await f.get(server.url("/b"))

    run(go())
    assert len(server.hits_for("/robots.txt")) == 2


def test_concurrent_fetchers_sharing_a_store_keep_the_gap(server, settings):
    """Two Fetchers on two threads, each with its own event loop, one MemoryHostState."""
    for i in range(6):
        server.routes[f"/p{i}"] = Resp(body="ok")
    s = replace(settings, min_delay_s=0.3, obey_robots=False)
    store = MemoryHostState()

    async def three(offset: int) -> None:
        async with Fetcher(s, host_state=store) as f:
            for i in range(offset, offset + 3):
                await f.get(server.url(f"/p{i}"))

    threads = [threading.Thread(target=run, args=(three(o),)) for o in (0, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts = sorted(h.t for h in server.hits if h.path.startswith("/p"))
    assert len(starts) == 6
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.25
