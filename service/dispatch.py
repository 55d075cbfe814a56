"""The leader's side of the task queue: queue a crawl for the workers, find runs the broker lost.

A queued crawl is a ``crawl_runs`` row with status ``queued`` (so run history shows it waiting), a marker key
``<prefix>run:<id>`` in Redis, and a ``kiemtin.crawl_source`` message on the ``crawl`` queue. A scheduled run
is not queued again while an earlier one of the source still waits or runs (the in-process scheduler's
``max_instances=1``); a run-now request always is. When Redis loses its data (restarted without persistence)
the queue and the markers go together: :meth:`Dispatcher.redispatch_lost` queues again every waiting or running
run whose marker stayed missing for ``grace_s`` (a running worker puts its marker back meanwhile).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import select

from service.runtime import Runtime
from service.tasks import CRAWL_QUEUE, crawl_source, housekeeping, redis_client, run_marker
from store.models import CrawlRun
from store.types import utcnow

__all__ = ["PENDING", "Dispatcher"]

log = logging.getLogger("kiemtin.dispatch")

PENDING = ("queued", "running")


class Dispatcher:
    """``crawl(runtime, source_id, trigger)`` for :class:`~service.scheduler.CrawlScheduler`, queueing instead of
    crawling; ``redispatch_lost`` and ``housekeeping`` are leader steps."""

    def __init__(self, runtime: Runtime, *, grace_s: float = 15.0) -> None:
        self.runtime = runtime
        self.grace_s = grace_s
        self._missing_since: dict[int, float] = {}

    def crawl(self, runtime: Runtime, source_id: int, trigger: str) -> int | None:
        """Queue one crawl of the source; returns the run id, or None when a scheduled run still waits."""
        with runtime.db.write() as session:
            if trigger == "schedule" and session.scalar(
                    select(CrawlRun.id).where(CrawlRun.source_id == source_id, CrawlRun.status.in_(PENDING))
                    .limit(1)) is not None:
                log.info("source %s: the previous run still waits or runs; scheduled run skipped", source_id)
                return None
            run = CrawlRun(source_id=source_id, trigger=trigger, status="queued", started_at=utcnow())
            session.add(run)
            session.flush()
            run_id = run.id
        self.send(run_id, source_id)
        return run_id

    def send(self, run_id: int, source_id: int) -> None:
        redis_client().set(run_marker(run_id), str(time.time()))
        crawl_source.apply_async((run_id, source_id), queue=CRAWL_QUEUE,
                                 headers={"kiemtin_enqueued_at": time.time()})

    def redispatch_lost(self) -> list[int]:
        """Queue again the runs whose marker has been missing for ``grace_s``; returns their ids."""
        with self.runtime.db.session() as session:
            pending = list(session.execute(select(CrawlRun.id, CrawlRun.source_id)
                                           .where(CrawlRun.status.in_(PENDING))))
        client, now, sent = redis_client(), time.monotonic(), []
        markers: list[Any] = list(client.mget([run_marker(r) for r, _ in pending])) if pending else []  # type: ignore[arg-type]
        alive = {run_id for (run_id, _), there in zip(pending, markers, strict=True) if there}
        for run_id, source_id in pending:
            if run_id in alive:
                self._missing_since.pop(run_id, None)
                continue
            first = self._missing_since.setdefault(run_id, now)
            if now - first >= self.grace_s:
                log.warning("run %s of source %s was lost by the broker; queued again", run_id, source_id)
                self._missing_since.pop(run_id, None)
                self.send(run_id, source_id)
                sent.append(run_id)
        for gone in set(self._missing_since) - {r for r, _ in pending}:
            self._missing_since.pop(gone, None)
        return sent

    def housekeeping(self) -> None:
        """Queue the retention purge (the leader does it once a day)."""
        housekeeping.apply_async()
