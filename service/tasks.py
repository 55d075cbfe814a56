"""Celery tasks: the work ``kiemtin worker`` processes take from the broker (``broker_url``).

* ``kiemtin.crawl_source(run_id, source_id)`` on queue ``crawl``: one crawl of one source for the run the
  leader queued; pages are stored as they come (each page and the cursor in one transaction), then the new
  snapshots go to scoring. A source is crawled by one worker at a time (:class:`~service.source_lock.SourceLock`);
  robots.txt, gaps, Crawl-delay, pauses, AutoThrottle and requests in flight per host are shared by all
  workers through Redis (:class:`~crawler.hoststate_redis.RedisHostState`).
* ``kiemtin.score_batch(source_id, run_id)`` on queue ``score``: scores every snapshot still without a verdict,
  then queues ``kiemtin.explain_pending(source_id)`` when it flagged any.
* ``kiemtin.explain_pending(source_id)`` on queue ``score``: the evidence of the flagged posts still without it
  (``service.explain``).
* ``kiemtin.housekeeping()`` on queue ``score``: the retention purge (``retention_days``).

Every task is acknowledged late and rejected (so given to another worker) when its worker dies
(``acks_late``, ``reject_on_worker_lost``), and is idempotent: a run already finished is not crawled again,
posts are upserted by external id, a snapshot with a verdict is not scored again. While a run waits or runs,
a marker key ``<prefix>run:<id>`` says it is in the broker's hands; a run whose marker vanished (Redis lost its
data) is queued again by the leader (:mod:`service.dispatch`).

The worker's configuration comes from :func:`configure`; its Runtime (database, model loaded once) is made
lazily, once per worker process.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Celery, Task
from redis import Redis

from config import AppConfig
from service.runtime import Runtime
from service.source_lock import SourceLock
from store.models import CrawlRun

__all__ = ["CRAWL_QUEUE", "QUEUES", "SCORE_QUEUE", "celery_app", "configure", "crawl_source", "explain_batch",
           "housekeeping", "redis_client", "run_marker", "score_batch", "worker_runtime"]

log = logging.getLogger("kiemtin.tasks")

CRAWL_QUEUE, SCORE_QUEUE = "crawl", "score"
QUEUES = (CRAWL_QUEUE, SCORE_QUEUE)
LOCK_TTL_S = 30.0  # a dead worker's source lock frees itself after this long (shorter with a short visibility)
LOCK_RETRY_S = 5  # a run whose source is being crawled by another worker tries again after this long
FINISHED = ("ok", "partial", "error", "interrupted")

celery_app = Celery("kiemtin")
celery_app.conf.update(
    task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
    task_serializer="json", result_serializer="json", accept_content=["json"], result_expires=24 * 3600,
    task_default_queue=CRAWL_QUEUE, broker_connection_retry_on_startup=True, worker_hijack_root_logger=False,
    task_routes={"kiemtin.crawl_source": {"queue": CRAWL_QUEUE}, "kiemtin.score_batch": {"queue": SCORE_QUEUE},
                 "kiemtin.explain_pending": {"queue": SCORE_QUEUE}, "kiemtin.housekeeping": {"queue": SCORE_QUEUE}},
)

_state: dict[str, Any] = {}
_state_lock = threading.Lock()


def configure(config: AppConfig) -> Celery:
    """Point the Celery app at the configured broker and Redis (in the leader, the workers and tests)."""
    s = config.settings
    if not s.broker_url:
        raise ValueError("broker_url is not set: without a broker kiemtin runs everything in-process")
    if _state.get("config") is config:
        return celery_app
    _forget_connections()
    transport = {"visibility_timeout": s.task_visibility_timeout_s, "global_keyprefix": s.redis_key_prefix,
                 # look for tasks of dead workers often enough for the visibility timeout
                 "unacked_restore_interval": max(1, min(10, s.task_visibility_timeout_s // 2)),
                 "unacked_restore_throttle": 1}
    celery_app.conf.update(
        broker_url=s.broker_url, result_backend=s.shared_redis_url,
        broker_transport_options=transport,
        result_backend_transport_options={"global_keyprefix": s.redis_key_prefix},
    )
    with _state_lock:
        old = _state.pop("runtime", None)
        if old is not None:
            old.close()
        _state.clear()
        _state["config"] = config
    return celery_app


def _forget_connections() -> None:
    """Drop the app's broker and result connections (made for an earlier configuration)."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app._backend_cache = None
    celery_app._local = threading.local()


def _config() -> AppConfig:
    config = _state.get("config")
    if config is None:
        raise RuntimeError("service.tasks.configure(config) was not called in this process")
    return config


def worker_runtime() -> Runtime:
    """This worker process's Runtime: one database engine and one model, shared by the pool's threads."""
    with _state_lock:
        runtime = _state.get("runtime")
        if runtime is None:
            runtime = _state["runtime"] = Runtime.open(_config(), migrate=False)
        return runtime  # type: ignore[no-any-return]


def redis_client() -> Redis:
    """The shared Redis (``redis_url``, else a redis:// ``broker_url``)."""
    with _state_lock:
        client = _state.get("redis")
        if client is None:
            url = _config().settings.shared_redis_url
            if url is None:
                raise RuntimeError("no Redis configured: set redis_url (needed with a non-Redis broker)")
            client = _state["redis"] = Redis.from_url(url, decode_responses=True, socket_timeout=10,
                                                      socket_connect_timeout=3, health_check_interval=10)
        return client  # type: ignore[no-any-return]


def key(name: str) -> str:
    return f"{_config().settings.redis_key_prefix}{name}"


def run_marker(run_id: int) -> str:
    return key(f"run:{run_id}")


def _run_state(runtime: Runtime, run_id: int) -> tuple[str, str] | None:
    with runtime.db.session() as session:
        run = session.get(CrawlRun, run_id)
        return None if run is None else (run.status, run.trigger)


@celery_app.task(name="kiemtin.crawl_source", bind=True, acks_late=True, reject_on_worker_lost=True,
                 max_retries=None)
def crawl_source(self: Task, run_id: int, source_id: int) -> dict[str, Any]:
    """Crawl one source for a queued run (see the module docstring)."""
    from crawler.hoststate_redis import RedisHostState
    from service.crawl_job import run_source

    runtime = worker_runtime()
    state = _run_state(runtime, run_id)
    if state is None or state[0] in FINISHED:
        redis_client().delete(run_marker(run_id))
        return {"run_id": run_id, "skipped": "finished" if state else "no such run"}
    settings = runtime.config.settings
    ttl = max(3.0, min(LOCK_TTL_S, float(settings.task_visibility_timeout_s)))
    lock = SourceLock(redis_client(), key(f"lock:source:{source_id}"), ttl_s=ttl,
                      keep=(run_marker(run_id),))
    if not lock.acquire():
        log.info("source %s is being crawled by another worker; run %s waits", source_id, run_id)
        raise self.retry(countdown=min(LOCK_RETRY_S, ttl / 2))
    try:
        state = _run_state(runtime, run_id)  # a copy of this task may have finished it meanwhile
        if state is None or state[0] in FINISHED:
            return {"run_id": run_id, "skipped": "finished"}
        assert settings.shared_redis_url is not None
        host_state = RedisHostState(settings.shared_redis_url, prefix=settings.redis_key_prefix)
        summary = run_source(runtime, source_id, trigger=state[1], run_id=run_id,
                             worker=str(self.request.hostname or "worker"), host_state=host_state, score=False)
    finally:
        lock.release()
    if summary.counts.new or summary.counts.updated:
        score_batch.apply_async((source_id, run_id), queue=SCORE_QUEUE)
    redis_client().delete(run_marker(run_id))
    return {"run_id": run_id, "status": summary.status, "fetched": summary.counts.fetched,
            "new": summary.counts.new}


@celery_app.task(name="kiemtin.score_batch", bind=True, acks_late=True, reject_on_worker_lost=True,
                 autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def score_batch(self: Task, source_id: int | None = None, run_id: int | None = None) -> int:
    """Score the snapshots without a verdict (of one source, or all); add the flags to the run's count."""
    from service.ingest import classify_unscored

    runtime = worker_runtime()
    flagged = classify_unscored(runtime, source_id=source_id)
    if run_id is not None and flagged:
        with runtime.db.write() as session:
            run = session.get(CrawlRun, run_id)
            if run is not None:
                run.flagged = (run.flagged or 0) + flagged
    if flagged:
        explain_batch.apply_async((source_id,), queue=SCORE_QUEUE)
    return flagged


@celery_app.task(name="kiemtin.explain_pending", acks_late=True, reject_on_worker_lost=True,
                 autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def explain_batch(source_id: int | None = None) -> int:
    """The evidence of the flagged posts still without it (of one source, or all); idempotent."""
    from service.explain import explain_pending

    return explain_pending(worker_runtime(), source_id=source_id)


@celery_app.task(name="kiemtin.housekeeping", acks_late=True, reject_on_worker_lost=True)
def housekeeping() -> dict[str, int]:
    """The retention purge, in small batches (idempotent: a second run finds nothing more to delete)."""
    from service.retention import purge_expired

    return purge_expired(worker_runtime()).as_dict()

