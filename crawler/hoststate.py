"""Politeness state per host that outlives one crawl run: robots.txt and when the next request may start.

A :class:`HostStateStore` keeps, per origin (``scheme://host:port``):

* the robots.txt answer (its text, or why the host is disallowed for now) until it expires;
* ``last_start``: when the latest request to the host was allowed to start;
* ``paused_until``: Retry-After / rate-limit pauses;
* the AutoThrottle delay.

The Fetcher reads and writes it through the five methods below; the next run, the next process and (with a
shared store) other processes then keep the host's pauses, Crawl-delay and minimum gap. Times are wall-clock
seconds of the store's own clock: the store reads "now" itself (its process clock, the database server's
clock, Redis ``TIME``) and answers with durations (``Reservation.wait_s``, ``RobotsRecord.ttl_s``), so
processes whose clocks disagree still agree on the gaps. Answers are plain tuples (the NamedTuples below
fit), so an implementation needs nothing from the crawler.

**What must be atomic.** ``reserve`` is a read-modify-write: ``start = max(now, last_start + gap,
paused_until)``, then ``last_start = start``. Two fetchers asking for one host at the same moment must get
starts at least ``gap`` apart, so an implementation does it in one atomic step: :class:`MemoryHostState`
under a lock, ``store.crawl_state.DatabaseHostState`` in one conditional ``UPDATE ... RETURNING``, a Redis
implementation in one Lua script (``EVAL``) over a hash per host. ``pause`` must only ever move
``paused_until`` later (``max``). The robots record and the AutoThrottle delay are last-writer-wins: two
processes that fetch robots.txt at once store the same answer, and AutoThrottle is an average.

In-flight concurrency per host (``concurrency_per_host``) is not in this protocol: it is per process
(:mod:`crawler.politeness`), unless the store also offers ``acquire_slot`` / ``release_slot``, as the Redis store
does for all workers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol, runtime_checkable

__all__ = ["HostRecord", "HostStateStore", "MemoryHostState", "Reservation", "RobotsRecord"]


class RobotsRecord(NamedTuple):
    """A host's robots.txt answer: ``body`` (None: no robots.txt, allow all) or ``deny_reason`` (disallow all
    for now: robots.txt answered 5xx or could not be fetched). ``ttl_s``: seconds it stays valid."""

    body: str | None
    deny_reason: str | None
    ttl_s: float


class Reservation(NamedTuple):
    """A granted request start: wait ``wait_s`` seconds, then go. ``throttle_delay`` is the host's AutoThrottle
    delay as stored (None: none yet)."""

    wait_s: float
    throttle_delay: float | None


@runtime_checkable
class HostStateStore(Protocol):
    """Per-host politeness state shared by Fetchers (see the module docstring for what is atomic)."""

    async def robots(self, origin: str) -> tuple[str | None, str | None, float] | None:
        """The stored robots.txt answer (a :class:`RobotsRecord`) unless it has expired (``ttl_s``: time left)."""
        ...

    async def save_robots(self, origin: str, record: tuple[str | None, str | None, float]) -> None:
        """Keep ``record`` (a :class:`RobotsRecord`) for its ``ttl_s`` seconds from now."""
        ...

    async def reserve(self, origin: str, min_gap: float) -> tuple[float, float | None]:
        """Atomically: start = max(now, last_start + max(min_gap, throttle delay), paused_until);
        last_start = start; returns start - now and the throttle delay (a :class:`Reservation`)."""
        ...

    async def pause(self, origin: str, seconds: float) -> None:
        """No request starts before now + ``seconds`` (an earlier pause is never shortened)."""
        ...

    async def set_throttle_delay(self, origin: str, delay: float) -> None:
        """Store the host's AutoThrottle delay."""
        ...


@dataclass
class HostRecord:
    """One host's state in :class:`MemoryHostState` (times: ``time.time()`` seconds)."""

    last_start: float | None = None
    paused_until: float = 0.0
    throttle_delay: float | None = None
    robots: RobotsRecord | None = None
    robots_expires: float = 0.0


@dataclass
class MemoryHostState:
    """A HostStateStore in this process's memory: the default (one per Fetcher), tests and the bench.

    Share one instance between Fetchers (also on different threads and event loops) to keep the state
    across runs of one process; it is lost when the process ends.
    """

    clock: Callable[[], float] = field(default=time.time, repr=False)  # a test may pass its own
    _hosts: dict[str, HostRecord] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _now(self) -> float:
        return self.clock()

    def _host(self, origin: str) -> HostRecord:
        host = self._hosts.get(origin)
        if host is None:
            host = self._hosts[origin] = HostRecord()
        return host

    def snapshot(self, origin: str) -> HostRecord | None:
        """A copy of ``origin``'s state (for tests and debugging)."""
        with self._lock:
            host = self._hosts.get(origin)
            return None if host is None else HostRecord(**vars(host))

    async def robots(self, origin: str) -> RobotsRecord | None:
        with self._lock:
            host = self._hosts.get(origin)
            if host is None or host.robots is None:
                return None
            left = host.robots_expires - self._now()
            if left <= 0:
                return None
            return RobotsRecord(host.robots.body, host.robots.deny_reason, left)

    async def save_robots(self, origin: str, record: tuple[str | None, str | None, float]) -> None:
        with self._lock:
            host = self._host(origin)
            host.robots = RobotsRecord(*record)
            host.robots_expires = self._now() + host.robots.ttl_s

    async def reserve(self, origin: str, min_gap: float) -> Reservation:
        with self._lock:
            host = self._host(origin)
            now = self._now()
            gap = max(min_gap, host.throttle_delay or 0.0)
            start = max(now, host.paused_until)
            if host.last_start is not None:
                start = max(start, host.last_start + gap)
            host.last_start = start
            return Reservation(start - now, host.throttle_delay)

    async def pause(self, origin: str, seconds: float) -> None:
        with self._lock:
            host = self._host(origin)
            host.paused_until = max(host.paused_until, self._now() + seconds)

    async def set_throttle_delay(self, origin: str, delay: float) -> None:
        with self._lock:
            self._host(origin).throttle_delay = delay
