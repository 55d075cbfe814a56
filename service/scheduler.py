"""The crawl scheduler: apscheduler 3 with its job store in the project database, one leader at a time.

Jobs use ``coalesce``, ``max_instances=1`` and no misfire limit, so a restart after downtime runs one
catch-up crawl per source, not a burst. Several kiemtin processes may start; only the holder of the
``scheduler`` lease in the database runs jobs, and another takes over when the holder stops renewing it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from config import SCHEDULE_ZONE, QuietHours, parse_schedule
from service.runtime import Runtime
from store.leases import acquire_lease, release_lease
from store.models import Source
from store.types import utcnow

__all__ = ["CrawlScheduler", "job_id", "run_source_job"]

log = logging.getLogger("kiemtin.scheduler")

_RUNTIME: Runtime | None = None  # the runtime of the process that leads; jobs run in its threads
LEASE_NAME = "scheduler"


def job_id(source_id: int) -> str:
    return f"source:{source_id}"


def run_source_job(source_id: int) -> None:
    """What apscheduler calls (by reference, so jobs survive restarts): crawl unless in quiet hours."""
    from service.crawl_job import run_source

    runtime = _RUNTIME
    if runtime is None:
        log.warning("job for source %s fired with no runtime; skipped", source_id)
        return
    with runtime.db.session() as session:
        source = session.get(Source, source_id)
        if source is None or not source.enabled:
            return
        quiet = source.quiet_hours
    if quiet and QuietHours.parse(quiet).contains(datetime.now(SCHEDULE_ZONE).time()):
        log.info("source %s is in quiet hours %s; run skipped", source_id, quiet)
        return
    run_source(runtime, source_id)


def _job_name(source: Source) -> str:
    return f"{source.name} | {source.schedule} | jitter {source.jitter_s}s"


class CrawlScheduler:
    """Runs each enabled source on its schedule while this process holds the leader lease."""

    def __init__(self, runtime: Runtime, *, holder: str | None = None, workers: int = 4,
                 sync_every_s: float = 5.0) -> None:
        self.runtime = runtime
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.ttl = timedelta(seconds=runtime.config.settings.lease_seconds)
        self.sync_every_s = sync_every_s
        self._scheduler: BackgroundScheduler | None = None
        self._workers = workers
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.is_leader = False

    def _make_scheduler(self) -> BackgroundScheduler:
        store = SQLAlchemyJobStore(engine=self.runtime.db.engine, tablename="apscheduler_jobs")
        return BackgroundScheduler(
            jobstores={"default": store},
            executors={"default": ThreadPoolExecutor(self._workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=SCHEDULE_ZONE,
        )

    def start(self) -> None:
        """Start the leadership loop in a background thread; returns at once."""
        self._thread = threading.Thread(target=self._loop, name="kiemtin-leader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)
        self._step_down()

    def _loop(self) -> None:
        global _RUNTIME
        while not self._stop.is_set():
            try:
                with self.runtime.db.write() as session:
                    leader = acquire_lease(session=session, name=LEASE_NAME, holder=self.holder, ttl=self.ttl)
            except Exception:
                log.exception("could not renew the scheduler lease")
                leader = False
            if leader and not self.is_leader:
                log.info("this process (%s) now leads the scheduler", self.holder)
                _RUNTIME = self.runtime
                self._scheduler = self._make_scheduler()
                self._scheduler.start()
                self.is_leader = True
            elif not leader and self.is_leader:
                log.warning("lost the scheduler lease; stopping jobs here")
                self._step_down(release=False)
            if self.is_leader:
                try:
                    self.sync_jobs()
                except Exception:
                    log.exception("could not sync jobs with sources")
            self._stop.wait(min(self.sync_every_s, self.ttl.total_seconds() / 3))

    def _step_down(self, *, release: bool = True) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        if self.is_leader and release:
            with self.runtime.db.write() as session:
                release_lease(session=session, name=LEASE_NAME, holder=self.holder)
        self.is_leader = False

    def sync_jobs(self) -> dict[str, list[int]]:
        """Make the jobs match the sources: add new ones (first run now), reschedule changed ones, drop others."""
        scheduler = self._scheduler
        if scheduler is None:
            return {}
        with self.runtime.db.session() as session:
            sources = list(session.scalars(select(Source)))
        changes: dict[str, list[int]] = {"added": [], "rescheduled": [], "removed": []}
        wanted = {job_id(s.id): s for s in sources if s.enabled}
        for job in scheduler.get_jobs():
            if job.id.startswith("source:") and job.id not in wanted:
                scheduler.remove_job(job.id)
                changes["removed"].append(int(job.id.split(":")[1]))
        for jid, source in wanted.items():
            trigger = parse_schedule(source.schedule).trigger(source.jitter_s)
            job = scheduler.get_job(jid)
            if job is None:
                scheduler.add_job(run_source_job, trigger, args=[source.id], id=jid, name=_job_name(source),
                                  next_run_time=utcnow(), replace_existing=True)
                changes["added"].append(source.id)
            elif job.name != _job_name(source):
                scheduler.modify_job(jid, name=_job_name(source))
                scheduler.reschedule_job(jid, trigger=trigger)
                changes["rescheduled"].append(source.id)
        return {k: v for k, v in changes.items() if v}

    def run_now(self, source_id: int) -> None:
        """Ask for one run of the source as soon as possible (by the leader)."""
        if self._scheduler is None:
            raise RuntimeError("this process does not lead the scheduler")
        try:
            self._scheduler.modify_job(job_id(source_id), next_run_time=utcnow())
        except JobLookupError:
            self._scheduler.add_job(run_source_job, "date", args=[source_id], id=f"once:{source_id}",
                                    replace_existing=True)

    def next_run_times(self) -> dict[int, Any]:
        if self._scheduler is None:
            return {}
        return {int(job.id.split(":")[1]): job.next_run_time for job in self._scheduler.get_jobs()
                if job.id.startswith("source:")}
