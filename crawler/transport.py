"""A transport that spreads one AsyncClient's connections over several small httpcore pools.

httpcore's pool re-examines every queued request against every connection on each event, so its cost grows
with the pool's size and concurrent fetching slows down as concurrency grows (encode/httpx#3215). Many small
pools behind one client keep connection reuse, HTTP/2 and one set of client settings while each pool stays
small. A request goes to the pool with the fewest requests in flight.

``network_backend`` (the Fetcher passes :class:`crawler.netguard.GuardedBackend`) is the httpcore
backend every pool opens its TCP connections with.
"""

from __future__ import annotations

import functools
import ssl

import httpcore
import httpx

__all__ = ["ShardedTransport"]


class _CountedStream(httpx.AsyncByteStream):
    """Passes a response body through and tells its pool when the response is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, done: list[int], index: int) -> None:
        self._stream, self._done, self._index, self._closed = stream, done, index, False

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._done[self._index] -= 1
        await self._stream.aclose()


@functools.lru_cache(maxsize=1)
def default_ssl_context() -> ssl.SSLContext:
    """The verifying client context, built once per process (an SSLContext may be shared by threads)."""
    return httpx.create_ssl_context(trust_env=False)


class ShardedTransport(httpx.AsyncBaseTransport):
    """``shards`` pools of at most ``connections_per_shard`` connections each."""

    def __init__(
        self,
        *,
        shards: int,
        connections_per_shard: int,
        http2: bool = True,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        limits = httpx.Limits(max_connections=connections_per_shard,
                              max_keepalive_connections=connections_per_shard)
        # one SSL context for all pools: building one loads the CA bundle (~20 ms), per pool it made
        # opening a Fetcher (25 pools by default) take about half a second; and one per process, as a worker
        # opens a Fetcher for every crawl
        if ssl_context is None:
            ssl_context = default_ssl_context()
        self._pools = [httpx.AsyncHTTPTransport(verify=ssl_context, http2=http2, limits=limits, trust_env=False)
                       for _ in range(max(1, shards))]
        if network_backend is not None:
            for pool in self._pools:
                _use_backend(pool, network_backend, ssl_context=ssl_context, limits=limits, http2=http2)
        self._in_flight = [0] * len(self._pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self._pools)), key=self._in_flight.__getitem__)
        self._in_flight[index] += 1
        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            self._in_flight[index] -= 1
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _CountedStream(response.stream, self._in_flight, index)
        return response

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


def _use_backend(
    transport: httpx.AsyncHTTPTransport,
    backend: httpcore.AsyncNetworkBackend,
    *,
    ssl_context: ssl.SSLContext,
    limits: httpx.Limits,
    http2: bool,
) -> None:
    """Give ``transport`` an httpcore pool (built like httpx builds it) that connects through ``backend``.

    httpx (0.28.1 here) takes no network backend, but keeps its httpcore pool at ``._pool``; the new
    pool is built with httpcore's public constructor. Anything unexpected fails loudly here rather
    than leaving the transport on the unguarded default backend.
    """
    if not isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):
        raise RuntimeError(
            "httpx.AsyncHTTPTransport keeps no httpcore.AsyncConnectionPool at ._pool in this httpx "
            f"version ({httpx.__version__}); the connect-time network backend cannot be installed"
        )
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        http1=True,
        http2=http2,
        network_backend=backend,
    )
