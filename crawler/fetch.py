"""The polite HTTP fetcher: one httpx.AsyncClient shared by all sources.

Per request it checks the SSRF guard and robots.txt on every hop (the connection pools check the
address again when they connect, see crawler.netguard), follows redirects by hand (capped), waits
for the host's slot (concurrency cap + minimum gap between request starts, the largest of settings /
source override / Crawl-delay / AutoThrottle delay), streams the body under a size cap (gzip/deflate
Content-Encoding is inflated here, in steps bounded by the room left under the cap, so a compression
bomb is cut without being inflated), retries only 429/5xx/timeouts/connection errors with
exponential backoff + jitter (or Retry-After, or for a 429 the rate-limit reset time), pauses a host
on rate-limit headers, and sends conditional headers.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from .encoding import decode_body
from .errors import (
    BlockedAddress,
    CrawlError,
    FetchError,
    HTTPStatusError,
    ParseError,
    ResponseTooLarge,
    RobotsDisallowed,
    TimeoutExceeded,
    TooManyRedirects,
    UnsupportedSource,
)
from .errors import ContentTypeError as _ContentTypeError
from .models import CrawlSettings, FetchStats, Politeness, ValidatorStore
from .netguard import GuardedBackend, Resolver, check_host, system_resolve
from .transport import ShardedTransport

__all__ = ["FetchResult", "Fetcher"]

_REDIRECTS = {301, 302, 303, 307, 308}
_EXPECT: dict[str, tuple[str, ...]] = {
    "html": ("text/html", "application/xhtml+xml"),
    "json": ("application/json", "text/json", "+json"),
    "xml": ("xml", "text/plain"),
    # sitemaps may be .xml.gz files, served as gzip or as bytes (parse_sitemap inflates them, bounded)
    "sitemap": ("xml", "text/plain", "gzip", "octet-stream"),
    "feed": ("xml", "text/plain", "application/rss", "application/atom"),
    "text": ("text/",),
}


@dataclass
class FetchResult:
    """A finished response (final hop). ``not_modified`` is True for a 304."""

    url: str
    requested_url: str
    status: int
    headers: httpx.Headers
    content: bytes
    not_modified: bool = False
    _text: str | None = field(default=None, repr=False)

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def text(self) -> str:
        """Body decoded with charset detection (legacy Vietnamese encodings) and NFC-normalised."""
        if self._text is None:
            self._text, _ = decode_body(self.content, self.headers.get("content-type"))
        return self._text

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError as exc:
            raise ParseError(f"malformed JSON: {exc}", url=self.url) from None

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    def save_validators(self, store: ValidatorStore | None) -> None:
        """Persist ETag/Last-Modified for the requested URL (call after the posts are stored)."""
        if store is not None and not self.not_modified and (self.etag or self.last_modified):
            store.put(self.requested_url, self.etag, self.last_modified)


class _Host:
    """Per-host politeness state: active request count, next start time, delays."""

    def __init__(self) -> None:
        self.active = 0
        self.cond = asyncio.Condition()
        self.last_start = float("-inf")
        self.paused_until = 0.0
        self.crawl_delay = 0.0
        self.at_delay: float | None = None  # AutoThrottle's current delay

    async def acquire(self, limit: int, min_delay: float) -> None:
        async with self.cond:
            await self.cond.wait_for(lambda: self.active < limit)
            self.active += 1
        loop = asyncio.get_running_loop()
        now = loop.time()
        gap = max(min_delay, self.crawl_delay, self.at_delay or 0.0)
        start = max(now, self.last_start + gap, self.paused_until)
        self.last_start = start
        if start > now:
            try:
                await asyncio.sleep(start - now)
            except BaseException:
                await self.release()
                raise

    async def release(self) -> None:
        async with self.cond:
            self.active -= 1
            self.cond.notify()


class _Inflater:
    """Content-Encoding gzip/deflate, inflated chunk by chunk with a bound on each step's output.

    httpx inflates every network chunk whole: 64 KB of a gzip bomb becomes about 64 MB before the
    size cap can look at it. ``feed`` returns at most ``limit`` bytes; the caller passes the room
    left under max_bytes plus one, so passing the cap is seen after at most one byte too many.
    """

    ENCODINGS = ("gzip", "x-gzip", "deflate")

    def __init__(self, encoding: str) -> None:
        self.deflate = encoding == "deflate"
        # deflate: zlib-wrapped as the RFC says, or raw deflate as some servers send (like httpx)
        self.first = self.deflate
        self.d = zlib.decompressobj(zlib.MAX_WBITS if self.deflate else zlib.MAX_WBITS | 16)

    def feed(self, data: bytes, limit: int) -> bytes:
        if self.d.eof:
            return b""  # bytes after the end of the stream are ignored, as httpx does
        try:
            out = self.d.decompress(data, max(1, limit))
        except zlib.error:
            if not self.first:
                raise
            self.first = False
            self.d = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self.d.decompress(data, max(1, limit))
        self.first = False
        return out


def _parse_wait(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a Retry-After / RateLimit-Reset value (delta, epoch, HTTP or ISO date).

    None for a value that is none of these (also negative, NaN or infinite numbers), so the caller
    falls back to its backoff; a date or epoch already past gives 0. Not clamped: callers compare
    the result with ``max_wait_s``.
    """
    if not value:
        return None
    value = value.strip()
    try:
        num = float(value)
        if not math.isfinite(num) or num < 0:
            return None
    except ValueError:
        try:
            dt = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            try:
                dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return max(0.0, dt.timestamp() - now)
    if num > 1_000_000_000:  # epoch seconds (GitHub/Bluesky style)
        return max(0.0, num - now)
    return max(0.0, num)


class Fetcher:
    """Shared polite HTTP client; use as ``async with Fetcher(settings) as f: await f.get(url)``.

    ``resolve`` replaces the system resolver for the SSRF pre-check and for the connections (tests);
    a caller-supplied ``transport`` gets the pre-check only, not the connect-time guard.
    """

    def __init__(
        self,
        settings: CrawlSettings,
        *,
        validators: ValidatorStore | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        resolve: Resolver = system_resolve,
    ) -> None:
        self.settings = settings
        self.validators = validators
        self.stats = FetchStats()
        self._transport = transport
        self._resolve = resolve
        self._client: httpx.AsyncClient | None = None
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, tuple[Protego | None, str | None, float]] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}

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
                network_backend=GuardedBackend(allow_private=s.allow_private_networks, resolve=self._resolve),
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
        the media type ("sitemap" also accepts gzip files).

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

    # -- internals ---------------------------------------------------------------------------------
    def _host(self, key: str) -> _Host:
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host()
        return host

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
        current = url
        seen = {url}
        hops = 0
        while True:
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise UnsupportedSource(f"only http(s) URLs can be fetched, got {current!r}", url=url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            if not self.settings.allow_private_networks:
                await check_host(parts.hostname, port, url=current, resolve=self._resolve)
            if robots and self.settings.obey_robots:
                await self._check_robots(current, headers["User-Agent"], deadline)
            result = await self._attempts(current, url, headers, expect, politeness, deadline, max_bytes)
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

    async def _attempts(
        self,
        url: str,
        requested: str,
        headers: dict[str, str],
        expect: str | None,
        politeness: Politeness | None,
        deadline: float | None,
        max_bytes: int | None,
    ) -> FetchResult:
        s = self.settings
        parts = urlsplit(url)
        host = self._host(f"{parts.scheme}://{parts.netloc.lower()}")
        limit = s.concurrency_per_host
        min_delay = s.min_delay_s
        if politeness is not None:
            if politeness.concurrency:
                limit = min(limit, politeness.concurrency)
            if politeness.min_delay_s is not None:
                min_delay = max(min_delay, politeness.min_delay_s)
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            if deadline is not None and loop.time() >= deadline:
                raise TimeoutExceeded("source's total time cap (max_total_s) reached", url=url)
            failure: CrawlError | None = None
            result: FetchResult | None = None
            wait: float | None = None
            await host.acquire(limit, min_delay)
            t0 = loop.time()
            try:
                per_try = s.timeout if deadline is None else min(s.timeout, max(0.0, deadline - t0))
                try:
                    async with asyncio.timeout(per_try):
                        result = await self._once(url, requested, headers, expect, max_bytes or s.max_bytes)
                except TimeoutError:
                    if deadline is not None and loop.time() >= deadline - 0.001:
                        raise TimeoutExceeded(
                            "source's total time cap (max_total_s) reached", url=url
                        ) from None
                    failure = TimeoutExceeded(f"no complete response within {s.timeout:g}s", url=url)
                except BlockedAddress as exc:  # refused when connecting (DNS answer changed since check_host)
                    exc.url = exc.url or url
                    raise
                except httpx.TimeoutException:
                    failure = TimeoutExceeded(f"timed out after {s.timeout:g}s", url=url)
                except httpx.TransportError as exc:
                    failure = FetchError(f"connection failed: {type(exc).__name__}: {exc}", url=url)
            finally:
                await host.release()
            latency = loop.time() - t0
            now_wall = time.time()
            if result is not None:
                self.stats.count_status(result.status)
                self._autothrottle(host, latency, result.status, min_delay)
                pause = self._rate_limit_pause(result.headers, now_wall)
                if pause:
                    host.paused_until = max(host.paused_until, loop.time() + min(pause, s.max_wait_s))
                status = result.status
                if status == 429 or status >= 500:
                    wait = _parse_wait(result.headers.get("retry-after"), now=now_wall)
                    if wait is None and status == 429:  # a 429 says the quota is spent: wait for the reset
                        wait = self._rate_limit_reset(result.headers, now_wall)
                    failure = HTTPStatusError(
                        f"HTTP {status}" + (" (rate limited)" if status == 429 else " (server error)"),
                        url=url,
                        status=status,
                    )
                    if wait is not None and wait > s.max_wait_s:
                        raise HTTPStatusError(
                            f"HTTP {status} asks to wait {wait:.0f}s (Retry-After or rate-limit reset), "
                            f"longer than max_wait_s={s.max_wait_s:g}",
                            url=url,
                            status=status,
                        )
                elif status >= 400:
                    raise HTTPStatusError(f"HTTP {status}", url=url, status=status)
                else:
                    return result
            assert failure is not None
            if attempt >= s.max_retries:
                if attempt:
                    failure.message += f" (gave up after {attempt} retries)"
                raise failure
            attempt += 1
            self.stats.retries += 1
            if wait is None:
                wait = min(s.backoff_max_s, s.backoff_base_s * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
                await asyncio.sleep(wait)
            else:  # Retry-After: the whole host waits, not only this request
                host.paused_until = max(host.paused_until, loop.time() + wait)
            if deadline is not None and loop.time() + 0.0 > deadline:
                raise TimeoutExceeded("source's total time cap (max_total_s) reached", url=url)

    async def _once(
        self, url: str, requested: str, headers: dict[str, str], expect: str | None, max_bytes: int
    ) -> FetchResult:
        client = self._open()
        async with client.stream("GET", url, headers=headers) as resp:
            self.stats.requests += 1
            status = resp.status_code
            if status in _REDIRECTS or status == 304 or status >= 400:
                return FetchResult(url, requested, status, resp.headers, b"", not_modified=status == 304)
            media = resp.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if expect and media and not _media_ok(media, expect) and not media.startswith("text/"):
                raise _ContentTypeError(f"expected {expect}, got content-type {media!r}", url=url)
            length = resp.headers.get("content-length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise ResponseTooLarge(f"Content-Length {length} exceeds max_bytes={max_bytes}", url=url)
            encoding = resp.headers.get("content-encoding", "").strip().lower()
            inflater = _Inflater(encoding) if encoding in _Inflater.ENCODINGS else None
            # gzip/deflate are inflated here, bounded; identity is passed through; anything else
            # (which we never ask for) is left to httpx
            chunks = resp.aiter_raw() if inflater or encoding in ("", "identity") else resp.aiter_bytes()
            buf = bytearray()
            try:
                async for raw in chunks:
                    # at most the room left + 1 byte: enough to know the cap is passed, never more
                    chunk = inflater.feed(raw, max_bytes - len(buf) + 1) if inflater else raw
                    buf += chunk
                    if len(buf) > max_bytes:
                        self.stats.bytes += len(buf)
                        raise ResponseTooLarge(
                            f"body exceeds max_bytes={max_bytes}; cut while streaming", url=url
                        )
            except (zlib.error, httpx.DecodingError) as exc:
                self.stats.bytes += len(buf)
                raise FetchError(f"corrupt {encoding or 'encoded'} body: {exc}", url=url) from None
            self.stats.bytes += len(buf)
            body = bytes(buf)
        if expect and media and not _media_ok(media, expect) and not _sniff_ok(body, expect):
            raise _ContentTypeError(f"expected {expect}, got content-type {media!r}", url=url)
        return FetchResult(str(resp.url), requested, status, resp.headers, body)

    def _autothrottle(self, host: _Host, latency: float, status: int, min_delay: float) -> None:
        s = self.settings
        if not s.autothrottle:
            return
        target = latency / max(s.autothrottle_target_concurrency, 0.01)
        old = host.at_delay if host.at_delay is not None else min_delay
        new = max(target, (old + target) / 2.0)
        new = min(max(min_delay, new), s.autothrottle_max_delay_s)
        if status != 200 and new <= old:
            return  # errors must never make us faster
        host.at_delay = new

    @staticmethod
    def _rate_limit_pause(headers: httpx.Headers, now: float) -> float | None:
        for prefix in ("x-ratelimit-", "ratelimit-"):
            remaining = headers.get(prefix + "remaining")
            if remaining is not None and remaining.strip().split(",")[0].strip() in ("0", "0.0"):
                return _parse_wait(headers.get(prefix + "reset"), now=now) or 1.0
        return None

    @staticmethod
    def _rate_limit_reset(headers: httpx.Headers, now: float) -> float | None:
        """Seconds until ``RateLimit-Reset`` / ``X-RateLimit-Reset``, whatever ``Remaining`` says."""
        for name in ("ratelimit-reset", "x-ratelimit-reset"):
            wait = _parse_wait(headers.get(name), now=now)
            if wait is not None:
                return wait
        return None

    async def _check_robots(self, url: str, ua: str, deadline: float | None) -> None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        loop = asyncio.get_running_loop()
        entry = self._robots.get(origin)
        if entry is None or entry[2] < loop.time():
            lock = self._robots_locks.setdefault(origin, asyncio.Lock())
            async with lock:
                entry = self._robots.get(origin)
                if entry is None or entry[2] < loop.time():
                    try:
                        entry = await self._load_robots(origin, ua, deadline)
                    except BlockedAddress as exc:  # the host, not robots.txt, is the problem: say so
                        raise BlockedAddress(exc.message, url=url) from None
                    self._robots[origin] = entry
        parser, deny_reason, _ = entry
        if deny_reason:
            self.stats.robots_disallowed += 1
            raise RobotsDisallowed(deny_reason, url=url)
        if parser is not None:
            if not parser.can_fetch(url, ua):
                self.stats.robots_disallowed += 1
                raise RobotsDisallowed("robots.txt disallows this URL for our User-Agent", url=url)
            delay = parser.crawl_delay(ua)
            if delay:
                self._host(origin).crawl_delay = float(delay)

    async def _load_robots(
        self, origin: str, ua: str, deadline: float | None
    ) -> tuple[Protego | None, str | None, float]:
        s = self.settings
        loop = asyncio.get_running_loop()
        try:
            res = await self._follow(
                origin + "/robots.txt",
                {"User-Agent": ua},
                None,
                None,
                deadline,
                robots=False,
                max_bytes=s.robots_max_bytes,
            )
        except HTTPStatusError as exc:
            if 400 <= exc.status < 500 and exc.status != 429:
                return None, None, loop.time() + s.robots_ttl_s  # 4xx: no robots.txt = allow all
            return (
                None,
                (
                    f"robots.txt answered HTTP {exc.status}; host treated as disallowed for now "
                    f"(retried after {s.robots_error_ttl_s:g}s)"
                ),
                loop.time() + s.robots_error_ttl_s,
            )
        except (FetchError, ResponseTooLarge) as exc:
            if isinstance(exc, BlockedAddress) and urlsplit(exc.url or "").hostname == urlsplit(origin).hostname:
                raise  # the host itself is refused (its DNS answer changed): blocked, not "robots.txt unavailable"
            return (
                None,
                f"robots.txt could not be fetched ({exc.message}); host treated as disallowed for now",
                (loop.time() + s.robots_error_ttl_s),
            )
        text = res.text
        return Protego.parse(text), None, loop.time() + s.robots_ttl_s


def _media_ok(media: str, expect: str) -> bool:
    return any(tok in media for tok in _EXPECT.get(expect, ()))


def _sniff_ok(body: bytes, expect: str) -> bool:
    if expect == "sitemap" and body[:2] == b"\x1f\x8b":  # a gzip file: parse_sitemap inflates it
        return True
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if expect in ("feed", "xml", "sitemap"):
        return head.startswith((b"<?xml", b"<rss", b"<feed", b"<urlset", b"<sitemapindex", b"<rdf"))
    if expect == "json":
        return head.startswith((b"{", b"["))
    if expect == "html":
        return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head
    return True
