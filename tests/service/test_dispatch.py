"""The leader's side of the task queue, against real Redis with no worker: a queued run is a ``queued`` row, a
marker and a message; a scheduled run is not queued twice; a run whose marker vanished (Redis lost its data) is
queued again after the grace time; status reads queue depths and the oldest waiting task."""

from __future__ import annotations

import time

from sqlalchemy import select

from builders import source
from service.dispatch import Dispatcher
from service.runtime import Runtime
from service.tasks import redis_client, run_marker
from service.worker_status import workers_status
from store.models import CrawlRun


def test_queue_skip_and_redispatch_lost_runs(queued_runtime: Runtime):
    rt = queued_runtime
    sid = source(rt.db, "nguon")
    dispatcher = Dispatcher(rt, grace_s=0.3)
    run_id = dispatcher.crawl(rt, sid, "schedule")
    assert run_id is not None
    assert dispatcher.crawl(rt, sid, "schedule") is None  # the first still waits: no second scheduled run
    assert dispatcher.crawl(rt, sid, "run-now") is not None  # a run-now request is always queued
    with rt.db.session() as session:
        assert [r.status for r in session.scalars(select(CrawlRun))] == ["queued", "queued"]
    status = workers_status(rt.config, timeout_s=0.2)
    assert status is not None and status.error is None and status.workers == []
    crawl = next(q for q in status.queues if q.name == "crawl")
    assert crawl.depth == 2 and crawl.oldest_wait_s is not None and 0 <= crawl.oldest_wait_s < 30

    assert dispatcher.redispatch_lost() == []  # markers there: nothing lost
    redis_client().delete(run_marker(run_id))  # as if Redis restarted empty
    assert dispatcher.redispatch_lost() == []  # missing once is not yet lost (a worker may be putting it back)
    time.sleep(0.35)
    assert dispatcher.redispatch_lost() == [run_id]
    assert redis_client().exists(run_marker(run_id))
    assert next(q for q in workers_status(rt.config, timeout_s=0.2).queues if q.name == "crawl").depth == 3

