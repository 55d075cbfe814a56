"""The sharded transport spreads concurrent requests over small pools and frees a slot when a response closes."""

from __future__ import annotations

import asyncio

import httpx

from crawler.transport import ShardedTransport
from crawlkit import LocalServer, Resp


def test_concurrent_requests_spread_over_pools_and_slots_are_freed(server: LocalServer) -> None:
    server.routes["/slow"] = Resp(200, "chậm", delay=0.3)
    transport = ShardedTransport(shards=4, connections_per_shard=1)

    async def run() -> tuple[list[int], list[int]]:
        async with httpx.AsyncClient(transport=transport) as client:
            seen: list[int] = []

            async def one() -> None:
                async with client.stream("GET", server.url("/slow")) as response:
                    seen.append(sum(1 for n in transport._in_flight if n))
                    await response.aread()

            await asyncio.gather(*(one() for _ in range(4)))
            return seen, list(transport._in_flight)

    seen, after = asyncio.run(run())
    assert max(seen) == 4  # four requests in flight at once, one per pool
    assert after == [0, 0, 0, 0]
