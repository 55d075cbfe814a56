"""A HostStateStore in Redis: one politeness for every worker process on every machine.

Each host (origin) has a hash ``<prefix>host:<origin>`` (``last_start``, ``paused_until``, ``throttle_delay``),
its robots.txt answer in ``<prefix>robots:<origin>`` (expiring with the answer), and the requests in flight in a
sorted set ``<prefix>slots:<origin>`` (token -> lease end). The read-modify-write steps are Lua scripts, which
Redis runs one at a time, so ``reserve`` hands out starts at least the gap apart whatever the number of
workers, ``pause`` only moves later, and ``acquire_slot`` never lets more than ``limit`` requests be in flight
to one host across processes. "Now" is Redis's clock (``TIME``), so workers whose clocks disagree share one
timeline. A slot whose holder died frees itself when its lease ends. Releasing a slot moves the host's last
start to "now" (the answer came), so with ``concurrency_per_host = 1`` consecutive requests *arrive* at least the
gap apart, not only start so.

The client is ``redis.asyncio``: make one store per event loop (one per crawl run) and ``await aclose()``.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from redis.asyncio import Redis

from .hoststate import Reservation, RobotsRecord

__all__ = ["RedisHostState"]

KEEP_S = 7 * 24 * 3600  # a host's state is forgotten a week after its last use

_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1000000 "

_RESERVE = _NOW + """
local gap = tonumber(ARGV[1])
local delay = redis.call('HGET', KEYS[1], 'throttle_delay')
if delay then gap = math.max(gap, tonumber(delay)) end
local start = now
local paused = redis.call('HGET', KEYS[1], 'paused_until')
if paused then start = math.max(start, tonumber(paused)) end
local last = redis.call('HGET', KEYS[1], 'last_start')
if last then start = math.max(start, tonumber(last) + gap) end
redis.call('HSET', KEYS[1], 'last_start', string.format('%.6f', start))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return {string.format('%.6f', start - now), delay or ''}
"""

_PAUSE = _NOW + """
local untl = now + tonumber(ARGV[1])
local paused = redis.call('HGET', KEYS[1], 'paused_until')
if paused and tonumber(paused) > untl then untl = tonumber(paused) end
redis.call('HSET', KEYS[1], 'paused_until', string.format('%.6f', untl))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""

_DONE = _NOW + """
local last = redis.call('HGET', KEYS[1], 'last_start')
if not last or tonumber(last) < now then
  redis.call('HSET', KEYS[1], 'last_start', string.format('%.6f', now))
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
end
return 1
"""

_ACQUIRE = _NOW + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
return 1
"""


class RedisHostState:
    """The crawler's HostStateStore (see :mod:`crawler.hoststate`) shared through Redis, plus cross-process
    in-flight limits (``acquire_slot`` / ``release_slot``, used by :mod:`crawler.politeness`)."""

    def __init__(self, url: str, *, prefix: str = "kiemtin:", client: Redis | None = None,
                 poll_s: float = 0.02) -> None:
        self._redis: Redis = client if client is not None else Redis.from_url(url, decode_responses=True)
        self._prefix = prefix
        self._poll_s = poll_s
        self._reserve = self._redis.register_script(_RESERVE)
        self._pause = self._redis.register_script(_PAUSE)
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._done = self._redis.register_script(_DONE)

    def _key(self, kind: str, origin: str) -> str:
        return f"{self._prefix}{kind}:{origin[:300]}"

    async def aclose(self) -> None:
        await self._redis.aclose()

    async def robots(self, origin: str) -> RobotsRecord | None:
        key = self._key("robots", origin)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(key)
            pipe.pttl(key)
            fields, ttl_ms = await pipe.execute()
        if not fields or ttl_ms is None or int(ttl_ms) <= 0:
            return None
        body = fields.get("body") if fields.get("has_body") == "1" else None
        return RobotsRecord(body, fields.get("deny") or None, int(ttl_ms) / 1000.0)

    async def save_robots(self, origin: str, record: tuple[str | None, str | None, float]) -> None:
        body, deny_reason, ttl_s = record
        key = self._key("robots", origin)
        mapping: dict[str, Any] = {"has_body": "1" if body is not None else "0", "body": body or "",
                                   "deny": deny_reason or ""}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping=mapping)
            pipe.pexpire(key, max(1, int(ttl_s * 1000)))
            await pipe.execute()

    async def reserve(self, origin: str, min_gap: float) -> Reservation:
        wait, delay = await self._reserve(keys=[self._key("host", origin)], args=[float(min_gap), KEEP_S])
        return Reservation(max(0.0, float(wait)), float(delay) if delay not in (None, "") else None)

    async def pause(self, origin: str, seconds: float) -> None:
        await self._pause(keys=[self._key("host", origin)], args=[float(seconds), KEEP_S])

    async def set_throttle_delay(self, origin: str, delay: float) -> None:
        key = self._key("host", origin)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, "throttle_delay", f"{delay:.6f}")
            pipe.expire(key, KEEP_S)
            await pipe.execute()

    async def acquire_slot(self, origin: str, limit: int, lease_s: float) -> str:
        """Wait for one of ``limit`` places for requests in flight to ``origin`` (across all processes); the
        place frees itself after ``lease_s`` if its holder never releases it. Returns the token to release."""
        token = uuid.uuid4().hex
        key = self._key("slots", origin)
        while not int(await self._acquire(keys=[key], args=[int(limit), float(lease_s), token])):
            await asyncio.sleep(self._poll_s)
        return token

    async def release_slot(self, origin: str, token: str) -> None:
        """Free the place, first moving the host's last start to now: the next request starts a gap after this
        one's answer, so with one place per host the gaps hold where they count, at the server, even when a
        request left this machine late (a busy CPU, a new connection)."""
        await self._done(keys=[self._key("host", origin)], args=[KEEP_S])
        await self._redis.zrem(self._key("slots", origin), token)
