"""A source is crawled by one worker at a time: a Redis lock with expiry, renewed while the crawl runs.

``SET key token NX PX ttl`` takes it; a thread renews it every ``ttl / 3`` with a Lua script that only renews
the holder's own token, or takes the key again when it vanished (Redis restarted without its data), so a crawl
still running keeps its source (and puts back the ``keep`` keys, e.g. its run's marker); a worker killed
mid-crawl stops renewing and the lock frees itself after ``ttl``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from types import TracebackType

from redis import Redis, RedisError

__all__ = ["SourceLock"]

log = logging.getLogger("kiemtin.lock")

_RENEW = """
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] or not held then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  for i = 2, #KEYS do redis.call('SET', KEYS[i], '1', 'NX') end
  return 1
end
return 0
"""
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


class SourceLock:
    """``with SourceLock(...) as held:`` (``held`` False: another worker crawls the source now)."""

    def __init__(self, client: Redis, key: str, *, ttl_s: float = 30.0, keep: tuple[str, ...] = ()) -> None:
        self.client, self.key, self.ttl_ms = client, key, max(1000, int(ttl_s * 1000))
        self.keep = keep  # keys put back (if missing) at each renewal: a running run's marker
        self.token = uuid.uuid4().hex
        self.held = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> bool:
        self.held = bool(self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))
        if self.held:
            self._stop.clear()
            self._thread = threading.Thread(target=self._renew, name=f"renew {self.key}", daemon=True)
            self._thread.start()
        return self.held

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl_ms / 3000):
            try:
                if not self.client.eval(_RENEW, 1 + len(self.keep), self.key, *self.keep, self.token,
                                        self.ttl_ms):
                    log.warning("lock %s was taken by another worker", self.key)
                    return
            except RedisError as exc:  # Redis away for a moment: try again next round
                log.warning("could not renew lock %s: %s", self.key, exc)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.held:
            try:
                self.client.eval(_RELEASE, 1, self.key, self.token)
            except RedisError as exc:  # it expires by itself
                log.warning("could not release lock %s: %s", self.key, exc)
        self.held = False

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()
