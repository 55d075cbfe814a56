"""The crawl scheduler: apscheduler 3 with its job store in the project database, one leader at a time.

* Jobs: one per enabled source (``source:<id>``), interval (with jitter) or cron, always in Asia/Ho_Chi_Minh.
  ``coalesce=True``, ``max_instances=1`` and ``misfire_grace_time=None``: after downtime apscheduler computes
  every missed fire time, coalesces them into one, and (with no grace limit) runs that one however late it is.
  So a restart runs exactly ONE catch-up crawl per source, never a burst. (A finite grace time would instead
  drop the catch-up entirely whenever the last missed fire time is older than the grace time.)
* Leader: several kiemtin processes may start; only the holder of the ``scheduler`` lease in the database
  runs an apscheduler at all. The lease is renewed every ``lease_seconds / 3`` and taken over by another
  process when its holder stops renewing (crash, kill, lost database). Each job checks the lease again
  before it crawls, so a process that lost the lease never starts a crawl. A clean stop lets running crawls
  finish while it keeps renewing the lease, leaves jobs that come due meanwhile to the next leader, then
  releases the lease.
* Sync: the leader polls the ``sources`` table every few seconds and adds, reschedules or removes jobs, so
  edits, pauses and resumes made from any process (CLI or web) take effect without a restart.
* Run now: a ``run_requests`` row written by any process; the leader turns each one into a one-off job and
  marks it dispatched with a conditional UPDATE, so a request runs once even across a change of leader.
* Run history older than ``run_history_days`` is pruned by the leader once a day, and posts past
  ``retention_days`` are purged (:mod:`service.retention`; with a broker, as the ``kiemtin.housekeeping`` task).
* Takedown re-checks: one job (``takedowns:recheck``) every few minutes re-checks the takedown requests that are
  due (``service.takedown_checks.recheck_due_requests``; the pace per request is set by the request's rules).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Column as SAColumn
from sqlalchemy import CursorResult, Float, MetaData, String, Table, inspect, select, update
from sqlalchemy.orm import Session

from config import SCHEDULE_ZONE, QuietHours, parse_schedule
from review.actors import Actor
from service.runtime import Runtime
from service.sources import dispatch_run_request, pending_run_requests, request_run
from store import Database
from store.crawl_state import prune_runs
from store.leases import acquire_lease, lease_holder, release_lease
from store.models import CrawlRun, Source
from store.types import utcnow

__all__ = [
    "JOBS_TABLE",
    "LEASE_NAME",
    "CrawlScheduler",
    "JobTimes",
    "current_leader",
    "job_id",
    "read_job_times",
    "run_requested_job",
    "run_source_job",
    "run_takedown_recheck_job",
]

log = logging.getLogger("kiemtin.scheduler")

LEASE_NAME = "scheduler"
JOBS_TABLE = "apscheduler_jobs"
PRUNE_EVERY = timedelta(days=1)
INTERRUPTED_AFTER = timedelta(hours=6)  # a run still "running" this long after it started was cut off

CrawlFunction = Callable[[Runtime, int, str], Any]
RecheckFunction = Callable[[Runtime], Any]
RECHECK_JOB = "takedowns:recheck"
RECHECK_EVERY = timedelta(minutes=5)
SCHEDULER_ACTOR = Actor("scheduler", "system")
LEFTOVER_EXPLAIN_LIMIT = 2048  # flagged posts explained per background round (service.explain)


def default_crawl(runtime: Runtime, source_id: int, trigger: str) -> Any:
    from service.crawl_job import run_source

    return run_source(runtime, source_id, trigger=trigger)


def default_recheck(runtime: Runtime) -> Any:
    """Archive new evidence of confirmed posts, then re-check the takedown requests that are due."""
    from service.evidence import archive_new_evidence
    from service.takedown_checks import recheck_due_requests

    try:
        archive_new_evidence(runtime)
    except Exception:
        log.exception("archiving evidence failed")
    return recheck_due_requests(runtime)


def job_id(source_id: int) -> str:
    return f"source:{source_id}"


# Jobs are stored by reference ("service.scheduler:run_source_job") so they survive restarts. Each leader's
# worker threads are bound to it when they start, so a job finds the scheduler (and runtime) it runs for.
_BOUND = threading.local()


def _bind_worker(scheduler: CrawlScheduler) -> None:
    _BOUND.scheduler = scheduler


def _bound_scheduler(what: str) -> CrawlScheduler | None:
    scheduler = getattr(_BOUND, "scheduler", None)
    if scheduler is None:
        log.warning("%s fired outside a kiemtin scheduler thread; skipped", what)
    return scheduler


def run_source_job(source_id: int) -> None:
    """A scheduled run: crawl unless paused, in quiet hours, already running, or this process lost the lease."""
    scheduler = _bound_scheduler(f"job for source {source_id}")
    if scheduler is not None:
        scheduler.run_scheduled(source_id)


def run_requested_job(source_id: int, request_id: int = 0) -> None:
    """A run-now request: one crawl, even when the source is paused or in quiet hours."""
    scheduler = _bound_scheduler(f"run-now request {request_id}")
    if scheduler is not None:
        scheduler.run_requested(source_id, request_id)


def run_takedown_recheck_job() -> None:
    """Re-check the takedown requests that are due (skipped when a re-check is still running)."""
    scheduler = _bound_scheduler("takedown re-check")
    if scheduler is not None:
        scheduler.run_recheck()


def _job_name(source: Source) -> str:
    """Also the job's signature: a change to any part reschedules it."""
    return f"{source.name} | {source.schedule} | jitter {source.jitter_s}s"


@dataclass(frozen=True)
class JobTimes:
    """Next run times as stored by the leader's apscheduler (readable from any process)."""

    next_run: dict[int, datetime | None]  # source id -> next scheduled run (None: job paused)
    requested: dict[int, int]  # source id -> run-now requests waiting in the job store


def read_job_times(session: Session) -> JobTimes:
    """Read the apscheduler job table directly (``next_run_time`` is a float epoch); empty if it does not exist."""
    if not inspect(session.get_bind()).has_table(JOBS_TABLE):
        return JobTimes({}, {})
    table = Table(JOBS_TABLE, MetaData(), SAColumn("id", String(191)), SAColumn("next_run_time", Float(25)))
    next_run: dict[int, datetime | None] = {}
    requested: dict[int, int] = {}
    for jid, epoch in session.execute(select(table.c.id, table.c.next_run_time)):
        kind, _, rest = str(jid).partition(":")
        if kind == "source" and rest.isdigit():
            next_run[int(rest)] = None if epoch is None else datetime.fromtimestamp(float(epoch), UTC)
        elif kind == "request":
            source_id = rest.split(":")[0]
            if source_id.isdigit():
                requested[int(source_id)] = requested.get(int(source_id), 0) + 1
    return JobTimes(next_run, requested)


def current_leader(session: Session) -> tuple[str, datetime] | None:
    """The process leading the scheduler and when its lease ends, or None when no scheduler runs."""
    return lease_holder(session=session, name=LEASE_NAME)


class CrawlScheduler:
    """Runs each enabled source on its schedule while this process holds the leader lease.

    ``crawl`` (default: ``service.crawl_job.run_source``) is called as ``crawl(runtime, source_id, trigger)``
    with trigger ``"schedule"`` or ``"run-now"``.
    """

    def __init__(self, runtime: Runtime, *, holder: str | None = None, workers: int = 4,
                 sync_every_s: float = 2.0, crawl: CrawlFunction | None = None,
                 misfire_grace_time: int | None = None, recheck: RecheckFunction | None = None,
                 leader_steps: tuple[Callable[[], Any], ...] = (),
                 housekeeping: Callable[[], Any] | None = None) -> None:
        self.runtime = runtime
        self.holder = (holder or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}")[:128]
        self.ttl = timedelta(seconds=runtime.config.settings.lease_seconds)
        self.sync_every_s = sync_every_s
        self.crawl: CrawlFunction = crawl or default_crawl
        self.recheck: RecheckFunction = recheck or default_recheck
        self._recheck_lock = threading.Lock()
        self.misfire_grace_time = misfire_grace_time
        self.leader_steps = leader_steps  # more work each tick while leading (with a broker: re-queue lost runs)
        self.housekeeping = housekeeping or self._purge_here  # daily; with a broker: queued as a task
        self.is_leader = False
        self.leader_since: datetime | None = None
        self._workers = workers
        self._scheduler: BackgroundScheduler | None = None
        self._jobs_db: Database | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tick_lock = threading.Lock()
        self._source_locks: dict[int, threading.Lock] = {}
        self._source_locks_guard = threading.Lock()
        self._last_prune: datetime | None = None

    # --- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the leadership loop in a background thread; returns at once."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="kiemtin-leader", daemon=True)
        self._thread.start()

    def stop(self, *, release: bool = True) -> None:
        """Stop leading and release the lease so another process takes over at once. Running crawls are waited
        for, with the lease still held and renewed, so no other process starts crawling beside them; jobs that
        come due meanwhile are left in the job table for the next leader. ``release=False`` leaves the lease to
        expire, as a crash would."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=60)
        with self._tick_lock:
            self._step_down(release=release, wait=True)

    @property
    def poll_seconds(self) -> float:
        return max(0.2, min(self.sync_every_s, self.ttl.total_seconds() / 3))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.poll_seconds)

    def tick(self) -> None:
        """One round: renew or take the lease, start or stop the local scheduler, then (as leader) sync jobs with
        sources, dispatch run-now requests, and prune old run history once a day."""
        with self._tick_lock:
            if self._stop.is_set():
                return
            leader = self._renew()
            if leader and not self.is_leader:
                try:
                    self._lead()
                except Exception:
                    log.exception("could not start the scheduler as leader")
                    self._step_down(release=True, wait=False)
                    return
            elif not leader and self.is_leader:
                log.warning("%s lost the scheduler lease; stopping jobs here", self.holder)
                self._step_down(release=False, wait=False)
            if not self.is_leader:
                return
            for step in (self.sync_jobs, self.dispatch_requests, self.ensure_recheck_job, self._maybe_prune,
                         self._start_background_work, *self.leader_steps):
                try:
                    step()
                except Exception:
                    log.exception("scheduler step %s failed", getattr(step, "__name__", step))

    def _renew(self) -> bool:
        try:
            with self.runtime.db.write() as session:
                return acquire_lease(session=session, name=LEASE_NAME, holder=self.holder, ttl=self.ttl)
        except Exception:
            log.exception("could not renew the scheduler lease")
            return False

    def _lead(self) -> None:
        log.info("%s now leads the scheduler", self.holder)
        self._jobs_db = Database(self.runtime.db.url)
        store = SQLAlchemyJobStore(engine=self._jobs_db.engine.execution_options(kiemtin_write=True),
                                   tablename=JOBS_TABLE)
        executor = ThreadPoolExecutor(self._workers, pool_kwargs={
            "initializer": _bind_worker, "initargs": (self,), "thread_name_prefix": "kiemtin-crawl"})
        self._scheduler = BackgroundScheduler(
            jobstores={"default": store},
            executors={"default": executor},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": self.misfire_grace_time},
            timezone=SCHEDULE_ZONE,
        )
        self.is_leader = True
        self.leader_since = utcnow()
        self._last_prune = None
        try:
            self._mark_interrupted()
        except Exception:
            log.exception("could not mark interrupted runs")
        self._scheduler.start()

    def _step_down(self, *, release: bool, wait: bool) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            # Detach the job store first. apscheduler goes on processing due jobs while it shuts down (and once
            # more after), so a job coming due then would be consumed here, where it can no longer run: a run-now
            # job deleted, a scheduled run skipped. Detached, the jobs stay due in the table for the next leader.
            try:
                scheduler.pause()
                scheduler.remove_jobstore("default")
            except Exception:
                log.exception("could not detach the scheduler's job store")
            # A clean stop waits for running crawls; the leader loop no longer renews the lease by then, so keep
            # it renewed meanwhile: were it to expire, another process would lead and could crawl the same source
            # beside the crawl still running here.
            keeper = self._keep_lease() if wait and release and self.is_leader else contextlib.nullcontext()
            try:
                with keeper:
                    scheduler.shutdown(wait=wait)
            except Exception:
                log.exception("scheduler shutdown failed")
        if self._jobs_db is not None:
            self._jobs_db.dispose()
            self._jobs_db = None
        if self.is_leader and release:
            try:
                with self.runtime.db.write() as session:
                    release_lease(session=session, name=LEASE_NAME, holder=self.holder)
            except Exception:
                log.exception("could not release the scheduler lease")
        self.is_leader = False
        self.leader_since = None

    @contextlib.contextmanager
    def _keep_lease(self) -> Iterator[None]:
        """Renew the lease every ``poll_seconds`` in a thread of its own while the block runs."""
        done = threading.Event()

        def renew() -> None:
            while not done.wait(self.poll_seconds):
                if not self._renew():
                    log.warning("%s lost the scheduler lease while finishing its crawls", self.holder)
                    return

        keeper = threading.Thread(target=renew, name="kiemtin-lease-keeper", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            done.set()
            keeper.join()

    def still_leader(self) -> bool:
        """Checked by each job before it crawls: does this process still hold an unexpired lease?"""
        if not self.is_leader:
            return False
        try:
            with self.runtime.db.session() as session:
                held = lease_holder(session=session, name=LEASE_NAME)
        except Exception:
            log.exception("could not read the scheduler lease")
            return False
        return held is not None and held[0] == self.holder

    # --- jobs -------------------------------------------------------------------------------------------

    def _lock_for(self, source_id: int) -> threading.Lock:
        with self._source_locks_guard:
            return self._source_locks.setdefault(source_id, threading.Lock())

    def run_scheduled(self, source_id: int) -> None:
        if not self.still_leader():
            log.warning("job for source %s skipped: %s does not hold the lease", source_id, self.holder)
            return
        with self.runtime.db.session() as session:
            source = session.get(Source, source_id)
            if source is None or not source.enabled:
                return
            quiet = source.quiet_hours
        if quiet and QuietHours.parse(quiet).contains(datetime.now(SCHEDULE_ZONE).time()):
            log.info("source %s is in quiet hours %s; run skipped", source_id, quiet)
            return
        lock = self._lock_for(source_id)
        if not lock.acquire(blocking=False):
            log.info("source %s is still being crawled; scheduled run skipped", source_id)
            return
        try:
            self.crawl(self.runtime, source_id, "schedule")
        finally:
            lock.release()

    def run_requested(self, source_id: int, request_id: int) -> None:
        if not self.still_leader():
            log.warning("run-now request %s skipped: %s does not hold the lease", request_id, self.holder)
            return
        with self.runtime.db.session() as session:
            if session.get(Source, source_id) is None:
                return
        lock = self._lock_for(source_id)
        if not lock.acquire(timeout=3600):
            log.warning("run-now request %s for source %s gave up waiting for the running crawl",
                        request_id, source_id)
            return
        try:
            log.info("run-now request %s: crawling source %s", request_id, source_id)
            self.crawl(self.runtime, source_id, "run-now")
        finally:
            lock.release()

    def ensure_recheck_job(self) -> bool:
        """Add the takedown re-check job if it is missing (True when added)."""
        scheduler = self._scheduler
        if scheduler is None or scheduler.get_job(RECHECK_JOB) is not None:
            return False
        scheduler.add_job(run_takedown_recheck_job, IntervalTrigger(
            seconds=int(RECHECK_EVERY.total_seconds()), timezone=SCHEDULE_ZONE), id=RECHECK_JOB,
            name="takedown re-checks", next_run_time=utcnow(), replace_existing=True)
        return True

    def run_recheck(self) -> None:
        if not self.still_leader():
            log.warning("takedown re-check skipped: %s does not hold the lease", self.holder)
            return
        if not self._recheck_lock.acquire(blocking=False):
            log.info("a takedown re-check is still running; this one skipped")
            return
        try:
            self.recheck(self.runtime)
        except Exception:
            log.exception("takedown re-check failed")
        finally:
            self._recheck_lock.release()

    def sync_jobs(self) -> dict[str, list[int]]:
        """Make the jobs match the sources: add new or resumed ones (first run now), reschedule those whose
        schedule or jitter changed, drop paused and removed ones."""
        scheduler = self._scheduler
        if scheduler is None:
            return {}
        with self.runtime.db.session() as session:
            sources = list(session.scalars(select(Source)))
        changes: dict[str, list[int]] = {"added": [], "rescheduled": [], "removed": []}
        wanted = {job_id(s.id): s for s in sources if s.enabled}
        jobs = {job.id: job for job in scheduler.get_jobs() if job.id.startswith("source:")}
        for jid in jobs:
            if jid not in wanted:
                scheduler.remove_job(jid)
                changes["removed"].append(int(jid.split(":")[1]))
        for jid, source in wanted.items():
            try:
                trigger = parse_schedule(source.schedule).trigger(source.jitter_s)
            except ValueError as exc:
                log.error("source %s has an unusable schedule, not scheduled: %s", source.name, exc)
                continue
            job = jobs.get(jid)
            if job is None:
                scheduler.add_job(run_source_job, trigger, args=[source.id], id=jid, name=_job_name(source),
                                  next_run_time=utcnow(), replace_existing=True)
                changes["added"].append(source.id)
                continue
            if (job.coalesce, job.max_instances, job.misfire_grace_time) != (True, 1, self.misfire_grace_time):
                scheduler.modify_job(jid, coalesce=True, max_instances=1, misfire_grace_time=self.misfire_grace_time)
            if job.name != _job_name(source):
                scheduler.modify_job(jid, name=_job_name(source))
                scheduler.reschedule_job(jid, trigger=trigger)
                changes["rescheduled"].append(source.id)
        done = {k: v for k, v in changes.items() if v}
        if done:
            log.info("scheduler jobs synced with sources: %s", done)
        return done

    def dispatch_requests(self) -> list[int]:
        """Turn waiting run-now requests into one-off jobs; returns the request ids dispatched."""
        scheduler = self._scheduler
        if scheduler is None:
            return []
        with self.runtime.db.write() as session:
            pending = [(request_id, source_id) for request_id, source_id in pending_run_requests(session=session)
                       if dispatch_run_request(session=session, request_id=request_id, holder=self.holder)]
        for request_id, source_id in pending:
            scheduler.add_job(run_requested_job, DateTrigger(run_date=utcnow(), timezone=SCHEDULE_ZONE),
                              args=[source_id, request_id], id=f"request:{source_id}:{request_id}",
                              name=f"run-now request {request_id}", replace_existing=True)
        return [request_id for request_id, _ in pending]

    def run_now(self, source_id: int, *, actor: Actor = SCHEDULER_ACTOR) -> int:
        """Ask for one run of the source as soon as possible (by whichever process leads)."""
        _name, request_id = request_run(self.runtime, actor, source_id)
        if self.is_leader:
            with self._tick_lock:
                self.dispatch_requests()
        return request_id

    def next_run_times(self) -> dict[int, datetime | None]:
        with self.runtime.db.session() as session:
            return read_job_times(session).next_run

    # --- housekeeping -----------------------------------------------------------------------------------

    def _mark_interrupted(self) -> int:
        cutoff = utcnow() - INTERRUPTED_AFTER
        with self.runtime.db.write() as session:
            # Session.execute is typed as returning Result; an UPDATE gives a CursorResult, which has rowcount
            result = cast(CursorResult[Any], session.execute(
                update(CrawlRun).where(CrawlRun.status == "running", CrawlRun.started_at < cutoff)
                .values(status="interrupted", finished_at=utcnow(),
                        errors=["interrupted: the process running this crawl stopped before it finished"])
                .execution_options(synchronize_session=False)
            ))
            return int(result.rowcount or 0)

    def _start_background_work(self) -> None:
        """Leftover explanations, narratives, spike checks and webhook deliveries in a thread of their own, one
        round at a time, so a slow receiver or a long rebuild never delays the crawl schedule."""
        worker = getattr(self, "_background", None)
        if worker is not None and worker.is_alive():
            return
        self._background = threading.Thread(target=self._background_round, name="kiemtin-background",
                                            daemon=True)
        self._background.start()

    def _background_round(self) -> None:
        for step in (self._explain_leftovers, self._narratives_and_spikes, self._deliver_webhooks):
            if self._stop.is_set():
                return
            try:
                step()
            except Exception:
                log.exception("scheduler background step %s failed", step.__name__)

    def _explain_leftovers(self) -> None:
        """Evidence for flagged posts a crawl or a worker left unexplained (a crash, a failed task): a bounded
        batch per round, so webhooks are never held up long."""
        from service.explain import explain_pending

        explain_pending(self.runtime, limit=LEFTOVER_EXPLAIN_LIMIT)

    def _narratives_and_spikes(self) -> None:
        """Every 10 minutes test narratives and claims for spikes; every hour rebuild the narratives first."""
        from service.narratives import check_spikes, rebuild_narratives

        now = utcnow()
        last_check = getattr(self, "_last_spike_check", None)
        if last_check is not None and now - last_check < timedelta(minutes=10):
            return
        last_build = getattr(self, "_last_narratives", None)
        if last_build is None or now - last_build >= timedelta(hours=1):
            rebuild_narratives(self.runtime, now=now)
            self._last_narratives = now
        check_spikes(self.runtime, now=now)
        self._last_spike_check = now

    def _deliver_webhooks(self) -> None:
        from service.webhooks import deliver_due

        counts = deliver_due(self.runtime)
        if counts.failed:
            log.warning("webhooks: %d deliveries failed for good (see the delivery log)", counts.failed)

    def _maybe_prune(self) -> None:
        now = utcnow()
        if self._last_prune is not None and now - self._last_prune < PRUNE_EVERY:
            return
        days = self.runtime.config.settings.run_history_days
        with self.runtime.db.write() as session:
            pruned = prune_runs(session=session, older_than_days=days, now=now)
        interrupted = self._mark_interrupted()
        self._last_prune = now
        if pruned or interrupted:
            log.info("run history: %d runs older than %d days deleted, %d marked interrupted",
                     pruned, days, interrupted)
        self.housekeeping()

    def _purge_here(self) -> None:
        from service.retention import purge_expired

        purge_expired(self.runtime)
