"""robots.txt per origin: fetched once, kept ``robots_ttl_s`` in the HostStateStore, parsed once per process.

4xx = no robots.txt, allow all; 5xx or unreachable = disallow the whole host for ``robots_error_ttl_s``
(conservative). A robots.txt fetch refused by the SSRF guard for the host itself is reported as the host
being blocked, not as "robots.txt unavailable".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from protego import Protego

from .errors import BlockedAddress, FetchError, HTTPStatusError, RobotsDisallowed
from .hoststate import HostStateStore, RobotsRecord
from .models import CrawlSettings

__all__ = ["FetchRobots", "RobotsCache", "origin_of"]

FetchRobots = Callable[[str, str, float | None], Awaitable[str]]
"""``fetch(robots_url, user_agent, deadline)`` -> the body as text; raises the fetcher's errors."""


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` (lower case, no user info): the key of robots.txt and of the host's politeness."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme.lower()}://{host}{port}"


class _Entry:
    __slots__ = ("expires", "parser", "record")

    def __init__(self, record: RobotsRecord) -> None:
        self.record = record
        self.expires = time.monotonic() + record.ttl_s
        self.parser = Protego.parse(record.body) if record.body is not None else None


class RobotsCache:
    """``check(url, ua)`` raises RobotsDisallowed or returns the Crawl-delay for ``ua`` (0.0 if none)."""

    def __init__(self, store: HostStateStore, settings: CrawlSettings, fetch: FetchRobots) -> None:
        self._store = store
        self._settings = settings
        self._fetch = fetch
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def check(self, url: str, ua: str, deadline: float | None) -> float:
        origin = origin_of(url)
        entry = self._entries.get(origin)
        if entry is None or entry.expires <= time.monotonic():
            entry = await self._refresh(origin, url, ua, deadline)
        if entry.record.deny_reason:
            raise RobotsDisallowed(entry.record.deny_reason, url=url)
        if entry.parser is None:
            return 0.0
        if not entry.parser.can_fetch(url, ua):
            raise RobotsDisallowed("robots.txt disallows this URL for our User-Agent", url=url)
        return float(entry.parser.crawl_delay(ua) or 0.0)

    async def _refresh(self, origin: str, url: str, ua: str, deadline: float | None) -> _Entry:
        async with self._locks.setdefault(origin, asyncio.Lock()):
            entry = self._entries.get(origin)
            if entry is not None and entry.expires > time.monotonic():
                return entry  # another task refreshed it while we waited
            stored = await self._store.robots(origin)
            record = RobotsRecord(*stored) if stored is not None else None
            if record is None:
                try:
                    record = await self._load(origin, ua, deadline)
                except BlockedAddress as exc:  # the host, not robots.txt, is the problem: say so
                    raise BlockedAddress(exc.message, url=url) from None
                await self._store.save_robots(origin, record)
            entry = self._entries[origin] = _Entry(record)
            return entry

    async def _load(self, origin: str, ua: str, deadline: float | None) -> RobotsRecord:
        s = self._settings
        try:
            body = await self._fetch(origin + "/robots.txt", ua, deadline)
        except HTTPStatusError as exc:
            if 400 <= exc.status < 500 and exc.status != 429:
                return RobotsRecord(None, None, s.robots_ttl_s)  # no robots.txt: allow all
            return RobotsRecord(
                None,
                f"robots.txt answered HTTP {exc.status}; host treated as disallowed for now "
                f"(retried after {s.robots_error_ttl_s:g}s)",
                s.robots_error_ttl_s,
            )
        except FetchError as exc:
            if isinstance(exc, BlockedAddress) and urlsplit(exc.url or "").hostname == urlsplit(origin).hostname:
                raise  # the host itself is refused (its DNS answer changed): blocked, not "robots.txt unavailable"
            return RobotsRecord(
                None,
                f"robots.txt could not be fetched ({exc.message}); host treated as disallowed for now",
                s.robots_error_ttl_s,
            )
        return RobotsRecord(body, None, s.robots_ttl_s)
