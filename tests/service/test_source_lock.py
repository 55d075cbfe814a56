"""SourceLock: one holder at a time, renewed while held, freed by expiry when its holder dies, taken back by its
holder when Redis lost the key (restart without data). Real Redis, a key of this test's own."""

from __future__ import annotations

import time

import redis

from redis_kit import shared_redis_or_skip, unique_prefix
from service.source_lock import SourceLock


def test_one_holder_renewal_expiry_and_retake() -> None:
    url = shared_redis_or_skip()
    with unique_prefix(url) as prefix:
        client = redis.Redis.from_url(url, decode_responses=True)
        key, marker = f"{prefix}lock:source:1", f"{prefix}run:1"
        first = SourceLock(client, key, ttl_s=1.0, keep=(marker,))
        assert first.acquire()
        second = SourceLock(client, key, ttl_s=1.0)
        assert not second.acquire()
        time.sleep(1.5)  # longer than the ttl: renewed meanwhile, so still held
        assert not second.acquire() and client.get(key) == first.token
        client.delete(key, marker)  # Redis restarted empty
        time.sleep(0.6)
        assert client.get(key) == first.token and client.get(marker) == "1"  # taken back, marker put back
        first._stop.set()  # the holder dies: no more renewals, no release
        first._thread.join()
        time.sleep(1.1)
        assert second.acquire()  # expired by itself
        first.release()  # a late release of a lock now held by another changes nothing
        assert client.get(key) == second.token
        second.release()
        assert client.get(key) is None
        client.close()
