"""Per-host politeness (Scrapy's downloader ``Slot``): how many requests may be in flight, and when the next
one may start.

Concurrency is counted in this process (:class:`HostSlot`) and, when the store also counts requests in flight
across processes (``acquire_slot`` / ``release_slot``, e.g. :class:`~crawler.hoststate_redis.RedisHostState`),
there too; the start times come from the :class:`~crawler.hoststate.HostStateStore`, so the gap between
request starts to one host holds across runs and, with a shared store, across processes. The gap is the
largest of ``CrawlSettings.min_delay_s``, the source's ``Politeness.min_delay_s``, robots.txt's Crawl-delay
and the AutoThrottle delay; Retry-After and rate-limit pauses move the next start later.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .hoststate import HostStateStore, Reservation
from .models import CrawlSettings, Politeness

__all__ = ["HostSlot", "HostSlots", "HostTurn", "host_limits"]


def host_limits(settings: CrawlSettings, politeness: Politeness | None) -> tuple[int, float]:
    """(concurrent requests allowed, minimum delay between starts): the settings, tightened by the source."""
    limit, min_delay = settings.concurrency_per_host, settings.min_delay_s
    if politeness is not None:
        if politeness.concurrency:
            limit = min(limit, politeness.concurrency)
        if politeness.min_delay_s is not None:
            min_delay = max(min_delay, politeness.min_delay_s)
    return limit, min_delay


class HostSlot:
    """Requests in flight to one host, in this process."""

    def __init__(self) -> None:
        self.active = 0
        self._cond = asyncio.Condition()

    async def acquire(self, limit: int) -> None:
        async with self._cond:
            await self._cond.wait_for(lambda: self.active < limit)
            self.active += 1

    async def release(self) -> None:
        async with self._cond:
            self.active -= 1
            self._cond.notify()


class HostSlots:
    """One :class:`HostSlot` per origin, and the start times from ``store``."""

    def __init__(self, store: HostStateStore, *, lease_s: float = 120.0) -> None:
        self.store = store
        self.shared: Any = store if hasattr(store, "acquire_slot") else None  # counts in-flight across processes
        self.lease_s = lease_s  # a shared place frees itself after this long if its holder died
        self._slots: dict[str, HostSlot] = {}

    def slot(self, origin: str) -> HostSlot:
        slot = self._slots.get(origin)
        if slot is None:
            slot = self._slots[origin] = HostSlot()
        return slot

    def turn(self, origin: str, *, limit: int, min_gap: float) -> HostTurn:
        """``async with slots.turn(...) as granted:`` holds one of ``limit`` places for ``origin`` and
        enters at the start time the store grants."""
        return HostTurn(self.slot(origin), self, origin, limit, min_gap)


class HostTurn:
    """One request's turn at a host (a plain class, not a generator: it runs for every request)."""

    __slots__ = ("_limit", "_min_gap", "_origin", "_slot", "_slots", "_token")

    def __init__(self, slot: HostSlot, slots: HostSlots, origin: str, limit: int, min_gap: float) -> None:
        self._slot, self._slots, self._origin, self._limit, self._min_gap = slot, slots, origin, limit, min_gap
        self._token: str | None = None

    async def __aenter__(self) -> Reservation:
        await self._slot.acquire(self._limit)
        shared = self._slots.shared
        try:
            if shared is not None:
                self._token = await shared.acquire_slot(self._origin, self._limit, self._slots.lease_s)
            granted = Reservation(*await self._slots.store.reserve(self._origin, self._min_gap))
            if granted.wait_s > 0:
                await asyncio.sleep(granted.wait_s)
        except BaseException:
            await self._release()
            raise
        return granted

    async def __aexit__(self, *exc: object) -> None:
        await self._release()

    async def _release(self) -> None:
        token, self._token = self._token, None
        try:
            if token is not None:
                await self._slots.shared.release_slot(self._origin, token)
        finally:
            await self._slot.release()
