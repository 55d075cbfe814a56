"""The polite HTTP fetcher: one httpx.AsyncClient shared by all sources, built from small layers.

A request goes down the layers, each one concern in its own module, composed here and nowhere else::

    get            conditional headers (ETag / Last-Modified) and error counting
    _follow        redirects by hand (capped, loops stop); per hop the SSRF guard (crawler.netguard)
                   and robots.txt (crawler.robots)
    _attempts      retries of 429 / 5xx / timeouts / connection errors with backoff or Retry-After
                   (crawler.retry)
    _send_politely the host's turn: concurrency and the gap between starts (crawler.politeness, over the
                   HostStateStore of crawler.hoststate), the per-attempt timeout, then AutoThrottle
                   (crawler.throttle) and rate-limit pauses
    _send          one HTTP exchange: the body streamed under the size cap, inflated and its media type
                   checked (crawler.body)

The connection pools check every address again when they connect (crawler.netguard.GuardedBackend,
under crawler.transport.ShardedTransport).
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urljoin, urlsplit

import httpx

from .body import check_head, check_sniffed, media_type, read_body
from .errors import (
    BlockedAddress,
    CrawlError,
    FetchError,
    RobotsDisallowed,
    TimeoutExceeded,
    TooManyRedirects,
    UnsupportedSource,
    source_time_up,
)
from .hoststate import HostStateStore, MemoryHostState, Reservation
from .models import CrawlSettings, FetchStats, Politeness, ValidatorStore
from .netguard import AddressPolicy, GuardedBackend, Resolver, check_host, system_resolve
from .politeness import HostSlots, host_limits
from .result import FetchResult
from .retry import RetryPolicy, rate_limit_pause
from .robots import RobotsCache, origin_of
from .throttle import AutoThrottle
from .transport import ShardedTransport

__all__ = ["FetchResult", "Fetcher"]

_REDIRECTS = {301, 302, 303, 307, 308}


class Fetcher:
    """Shared polite HTTP client; use as ``async with Fetcher(settings) as f: await f.get(url)``.

    ``host_state`` keeps robots.txt and the hosts' politeness state; pass a shared one (e.g.
    ``store.crawl_state.DatabaseHostState``) so it outlives this Fetcher, default: a fresh
    :class:`~crawler.hoststate.MemoryHostState`. ``resolve`` replaces the system resolver for the SSRF
    pre-check and for the connections (tests); a caller-supplied ``transport`` gets the pre-check only,
    not the connect-time guard.
    """

    def __init__(
        self,
        settings: CrawlSettings,
        *,
        validators: ValidatorStore | None = None,
        host_state: HostStateStore | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        resolve: Resolver = system_resolve,
    ) -> None:
        self.settings = settings
        self.validators = validators
        self.host_state: HostStateStore = host_state if host_state is not None else MemoryHostState()
        self.stats = FetchStats()
        self._policy = AddressPolicy(settings.allow_networks)
        self._slots = HostSlots(self.host_state, lease_s=settings.timeout + settings.max_wait_s + 30.0)
        self._robots = RobotsCache(self.host_state, settings, self._fetch_robots)
        self._retry = RetryPolicy(settings)
        self._throttle = AutoThrottle(settings) if settings.autothrottle else None
        self._transport = transport
        self._resolve = resolve
        self._client: httpx.AsyncClient | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    async def __aenter__(self) -> Fetcher:
        self._open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _open(self) -> httpx.AsyncClient:
        if self._client is None:
            s = self.settings
            per_shard = 4
            transport = self._transport or ShardedTransport(
                shards=-(-s.max_connections // per_shard),
                connections_per_shard=per_shard,
                network_backend=GuardedBackend(policy=self._policy, resolve=self._resolve),
            )
            self._client = httpx.AsyncClient(
                follow_redirects=False,
                timeout=httpx.Timeout(s.timeout),
                headers={"User-Agent": s.user_agent, "Accept-Encoding": "gzip, deflate"},
                transport=transport,
                trust_env=False,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- public API --------------------------------------------------------------------------------
    async def get(
        self,
        url: str,
        *,
        expect: str | None = None,
        conditional: bool = True,
        validators: ValidatorStore | None = None,
        politeness: Politeness | None = None,
        headers: dict[str, str] | None = None,
        deadline: float | None = None,
    ) -> FetchResult:
        """GET ``url`` politely. ``expect`` in {"html","json","xml","sitemap","feed","text",None} checks
        the media type ("sitemap" also accepts gzip files). ``deadline`` (event-loop time) is the
        source's ``max_total_s``.

        With ``validators`` given, conditional headers are sent and the caller saves the new
        validators itself (``result.save_validators``) once the posts are stored; with only the
        Fetcher's own store, they are saved right away. Returns ``not_modified=True`` on 304.
        """
        store = validators or self.validators
        req_headers = dict(headers or {})
        ua = (politeness.user_agent if politeness else None) or self.settings.user_agent
        req_headers["User-Agent"] = ua
        if conditional and store is not None:
            prev = store.get(url)
            if prev:
                etag, modified = prev
                if etag:
                    req_headers["If-None-Match"] = etag
                if modified:
                    req_headers["If-Modified-Since"] = modified
        try:
            result = await self._follow(url, req_headers, expect, politeness, deadline, robots=True)
        except CrawlError as exc:
            if not isinstance(exc, RobotsDisallowed):
                self.stats.errors += 1
            raise
        if validators is None and store is not None:
            result.save_validators(store)
        return result

    # -- layers ------------------------------------------------------------------------------------
    async def _follow(
        self,
        url: str,
        headers: dict[str, str],
        expect: str | None,
        politeness: Politeness | None,
        deadline: float | None,
        *,
        robots: bool,
        max_bytes: int | None = None,
    ) -> FetchResult:
        """Redirects by hand; before each hop, the SSRF guard and (``robots``) robots.txt."""
        current = url
        seen = {url}
        hops = 0
        while True:
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise UnsupportedSource(f"only http(s) URLs can be fetched, got {current!r}", url=url)
            try:
                port = parts.port or (443 if parts.scheme == "https" else 80)
            except ValueError:
                raise UnsupportedSource(f"not a valid port in {current!r}", url=url) from None
            await check_host(parts.hostname, port, url=current, policy=self._policy, resolve=self._resolve)
            crawl_delay = 0.0
            if robots and self.settings.obey_robots:
                try:
                    crawl_delay = await self._robots.check(current, headers["User-Agent"], deadline)
                except RobotsDisallowed:
                    self.stats.robots_disallowed += 1
                    raise
            result = await self._attempts(
                current, url, headers, expect, politeness, deadline, max_bytes, crawl_delay
            )
            if result.status in _REDIRECTS and "location" in result.headers:
                hops += 1
                nxt = urljoin(current, result.headers["location"])
                if nxt in seen:
                    raise TooManyRedirects(f"redirect loop: {current} -> {nxt}", url=url)
                if hops > self.settings.max_redirects:
                    raise TooManyRedirects(f"more than {self.settings.max_redirects} redirects", url=url)
                seen.add(nxt)
                current = nxt
                headers = {
                    k: v for k, v in headers.items() if k not in ("If-None-Match", "If-Modified-Since")
                }
                continue
            return result

    async def _fetch_robots(self, robots_url: str, ua: str, deadline: float | None) -> str:
        """robots.txt for RobotsCache: fetched like a page (guard, politeness, retries), smaller size cap."""
        res = await self._follow(
            robots_url, {"User-Agent": ua}, None, None, deadline, robots=False,
            max_bytes=self.settings.robots_max_bytes,
        )
        return res.text

    async def _attempts(
        self,
        url: str,
        requested: str,
        headers: dict[str, str],
        expect: str | None,
        politeness: Politeness | None,
        deadline: float | None,
        max_bytes: int | None,
        crawl_delay: float,
    ) -> FetchResult:
        """One hop with its retries; a wait the server names (Retry-After, reset) pauses the whole host."""
        origin = origin_of(url)
        limit, min_delay = host_limits(self.settings, politeness)
        loop = asyncio.get_running_loop()
        retries = 0
        while True:
            if deadline is not None and loop.time() >= deadline:
                raise source_time_up(url)
            result, failure = await self._send_politely(
                origin, url, requested, headers, expect, limit=limit, min_delay=min_delay,
                min_gap=max(min_delay, crawl_delay), deadline=deadline, max_bytes=max_bytes,
            )
            wait: float | None = None
            if result is not None:
                failure, wait = self._retry.judge(result.status, result.headers, url=url, now=time.time())
                if failure is None:
                    return result
            assert failure is not None
            if self._retry.give_up(failure, retries):
                raise failure
            retries += 1
            self.stats.retries += 1
            if wait is None:
                await asyncio.sleep(self._retry.backoff(retries))
            else:
                await self.host_state.pause(origin, wait)
            if deadline is not None and loop.time() > deadline:
                raise source_time_up(url)

    async def _send_politely(
        self,
        origin: str,
        url: str,
        requested: str,
        headers: dict[str, str],
        expect: str | None,
        *,
        limit: int,
        min_delay: float,
        min_gap: float,
        deadline: float | None,
        max_bytes: int | None,
    ) -> tuple[FetchResult | None, CrawlError | None]:
        """One attempt in the host's turn, under the per-attempt timeout: (result, None) or (None, failure
        worth retrying); raises what must not be retried."""
        s = self.settings
        loop = asyncio.get_running_loop()
        result: FetchResult | None = None
        failure: CrawlError | None = None
        async with self._slots.turn(origin, limit=limit, min_gap=min_gap) as turn:
            t0 = loop.time()
            per_try = s.timeout if deadline is None else min(s.timeout, max(0.0, deadline - t0))
            try:
                async with asyncio.timeout(per_try):
                    result = await self._send(url, requested, headers, expect, max_bytes or s.max_bytes)
            except TimeoutError:
                if deadline is not None and loop.time() >= deadline - 0.001:
                    raise source_time_up(url) from None
                failure = TimeoutExceeded(f"no complete response within {s.timeout:g}s", url=url)
            except BlockedAddress as exc:  # refused when connecting (DNS answer changed since check_host)
                exc.url = exc.url or url
                raise
            except httpx.TimeoutException:
                failure = TimeoutExceeded(f"timed out after {s.timeout:g}s", url=url)
            except httpx.TransportError as exc:
                failure = FetchError(f"connection failed: {type(exc).__name__}: {exc}", url=url)
        if result is not None:
            await self._after_response(origin, turn, result, latency=loop.time() - t0, min_delay=min_delay)
        return result, failure

    async def _after_response(
        self, origin: str, turn: Reservation, result: FetchResult, *, latency: float, min_delay: float
    ) -> None:
        """Count the status, move the AutoThrottle delay, pause the host on spent rate limits."""
        self.stats.count_status(result.status)
        if self._throttle is not None:
            delay = self._throttle.next_delay(
                turn.throttle_delay, latency=latency, status=result.status, min_delay=min_delay
            )
            if delay is not None:
                await self.host_state.set_throttle_delay(origin, delay)
        pause = rate_limit_pause(result.headers, time.time())
        if pause:
            await self.host_state.pause(origin, min(pause, self.settings.max_wait_s))

    async def _send(
        self, url: str, requested: str, headers: dict[str, str], expect: str | None, max_bytes: int
    ) -> FetchResult:
        """One HTTP exchange; redirects, 304 and errors come back without a body."""
        client = self._open()
        async with client.stream("GET", url, headers=headers) as resp:
            self.stats.requests += 1
            status = resp.status_code
            if status in _REDIRECTS or status == 304 or status >= 400:
                return FetchResult(url, requested, status, resp.headers, b"", not_modified=status == 304)
            media = media_type(resp.headers)
            check_head(resp.headers, media, expect=expect, max_bytes=max_bytes, url=url)
            body = await read_body(resp, max_bytes=max_bytes, url=url, stats=self.stats)
        check_sniffed(media, body, expect=expect, url=url)
        return FetchResult(str(resp.url), requested, status, resp.headers, body)
