"""Source health for operators: failing and stale sources, next runs, run history, posts and flags per day.

Everything here only reads the database (including apscheduler's job table for next run times), so any
process can show it: ``kiemtin status`` in a terminal, or the operators' web page.

* failing: the source's last finished run has status ``error`` (a run in progress does not hide it).
* stale: no successful run (``ok`` or ``partial``) for ``stale_after`` planned runs (default 3), counting only
  planned times outside quiet hours and allowing the source's jitter plus two minutes for a run to finish.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.orm import Session

from config import SCHEDULE_ZONE, QuietHours, parse_schedule
from config.schedule import fire_times
from service.scheduler import current_leader, read_job_times
from service.sources import get_source
from store.models import CrawlRun, Post, QueueItem, Source
from store.types import utcnow

__all__ = [
    "DEFAULT_STALE_AFTER",
    "DailyCounts",
    "HealthSummary",
    "RunView",
    "SourceHealth",
    "daily_counts",
    "health_summary",
    "local_time",
    "run_history",
]

DEFAULT_STALE_AFTER = 3
SUCCESS = ("ok", "partial")
FINISH_ALLOWANCE = timedelta(minutes=2)


def local_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC moment as Vietnam local time text ('-' for None)."""
    return "-" if moment is None else moment.astimezone(SCHEDULE_ZONE).strftime(fmt)


@dataclass(frozen=True)
class RunView:
    id: int
    source_id: int
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    http_status_counts: dict[str, Any]
    fetched: int
    new: int
    updated: int
    flagged: int
    errors: list[Any]

    @property
    def duration_s(self) -> float | None:
        return None if self.finished_at is None else (self.finished_at - self.started_at).total_seconds()

    @classmethod
    def of(cls, run: CrawlRun) -> RunView:
        return cls(run.id, run.source_id, run.trigger, run.started_at, run.finished_at, run.status,
                   dict(run.http_status_counts or {}), run.fetched, run.new, run.updated, run.flagged,
                   list(run.errors or []))


@dataclass(frozen=True)
class SourceHealth:
    id: int
    name: str
    kind: str
    url: str
    schedule: str
    jitter_s: int
    quiet_hours: str | None
    enabled: bool
    min_delay_s: float | None
    concurrency: int | None
    user_agent: str | None
    last_run: RunView | None  # the latest run, possibly still running
    last_finished: RunView | None  # the latest finished run (what "failing" looks at)
    last_success_at: datetime | None
    next_run_at: datetime | None  # None for a paused source
    scheduled: bool  # the leader's job store has a job for it
    runs_requested: int  # run-now requests waiting in the job store
    posts_24h: int
    flags_24h: int
    missed_runs: int  # planned runs since the last success (capped at the stale threshold)
    failing: bool
    stale: bool

    @property
    def marker(self) -> str:
        """One word for a table: paused, FAILING, STALE, running, never-run or ok."""
        if not self.enabled:
            return "paused"
        if self.failing:
            return "FAILING"
        if self.stale:
            return "STALE"
        if self.last_run is None:
            return "never-run"
        if self.last_run.status == "running":
            return "running"
        return "ok"

    @property
    def last_error(self) -> str | None:
        if self.last_finished is None or not self.last_finished.errors:
            return None
        return str(self.last_finished.errors[0])


@dataclass(frozen=True)
class HealthSummary:
    generated_at: datetime
    stale_after: int
    leader: str | None
    leader_until: datetime | None
    sources: list[SourceHealth] = field(default_factory=list)

    @property
    def failing(self) -> list[SourceHealth]:
        return [s for s in self.sources if s.enabled and s.failing]

    @property
    def stale(self) -> list[SourceHealth]:
        return [s for s in self.sources if s.enabled and s.stale]

    @property
    def healthy(self) -> bool:
        return not self.failing and not self.stale


def _last_runs(session: Session, source_ids: list[int]
               ) -> tuple[dict[int, CrawlRun], dict[int, CrawlRun], dict[int, datetime]]:
    """Per source: the latest run (maybe still running), the latest finished run, the latest success's start."""
    last: dict[int, CrawlRun] = {}
    finished: dict[int, CrawlRun] = {}
    success: dict[int, datetime] = {}
    newest_first = (CrawlRun.started_at.desc(), CrawlRun.id.desc())
    for source_id in source_ids:
        run = session.scalar(select(CrawlRun).where(CrawlRun.source_id == source_id)
                             .order_by(*newest_first).limit(1))
        if run is not None:
            last[source_id] = run
            done = run if run.finished_at is not None else session.scalar(
                select(CrawlRun).where(CrawlRun.source_id == source_id, CrawlRun.finished_at.is_not(None))
                .order_by(*newest_first).limit(1))
            if done is not None:
                finished[source_id] = done
        ok = session.scalar(select(func.max(CrawlRun.started_at))
                            .where(CrawlRun.source_id == source_id, CrawlRun.status.in_(SUCCESS)))
        if ok is not None:
            success[source_id] = ok if ok.tzinfo else ok.replace(tzinfo=UTC)
    return last, finished, success


def _missed_runs(source: Source, since: datetime, now: datetime, cap: int) -> int:
    try:
        schedule = parse_schedule(source.schedule)
        quiet = QuietHours.parse(source.quiet_hours) if source.quiet_hours else None
    except ValueError:
        return cap
    until = now - timedelta(seconds=source.jitter_s or 0) - FINISH_ALLOWANCE
    if until <= since:
        return 0
    count = 0
    for _moment in fire_times(schedule, since, until, quiet=quiet, limit=5000):
        count += 1
        if count >= cap:
            break
    return count


def _counts_since(session: Session, column: Any, since: datetime, *, flags: bool) -> dict[int, int]:
    if flags:
        query = (select(Post.source_id, func.count(QueueItem.id)).join(Post, QueueItem.post_id == Post.id)
                 .where(QueueItem.created_at >= since).group_by(Post.source_id))
    else:
        query = select(Post.source_id, func.count(Post.id)).where(column >= since).group_by(Post.source_id)
    return {sid: int(n) for sid, n in session.execute(query) if sid is not None}


def health_summary(*, session: Session, now: datetime | None = None,
                   stale_after: int = DEFAULT_STALE_AFTER) -> HealthSummary:
    """Every source with its last run, last success, next run, posts and flags in the last 24 hours, and
    whether it is failing or stale (see the module docstring)."""
    if stale_after < 1:
        raise ValueError("stale_after must be at least 1 planned run")
    now = now or utcnow()
    sources = list(session.scalars(select(Source).order_by(Source.name)))
    last, finished, success = _last_runs(session, [s.id for s in sources])
    jobs = read_job_times(session)
    day_ago = now - timedelta(hours=24)
    posts = _counts_since(session, Post.first_seen_at, day_ago, flags=False)
    flags = _counts_since(session, QueueItem.created_at, day_ago, flags=True)
    leader = current_leader(session)
    rows = []
    for source in sources:
        run = last.get(source.id)
        view = RunView.of(run) if run is not None else None
        last_ok = success.get(source.id)
        missed = _missed_runs(source, last_ok or source.created_at, now, stale_after) if source.enabled else 0
        done = finished.get(source.id)
        rows.append(SourceHealth(
            id=source.id, name=source.name, kind=source.kind, url=source.url, schedule=source.schedule,
            jitter_s=source.jitter_s, quiet_hours=source.quiet_hours, enabled=source.enabled,
            min_delay_s=source.min_delay_s, concurrency=source.concurrency, user_agent=source.user_agent,
            last_run=view, last_success_at=last_ok,
            next_run_at=jobs.next_run.get(source.id) if source.enabled else None,  # a paused job may linger
            scheduled=source.id in jobs.next_run, runs_requested=jobs.requested.get(source.id, 0),
            posts_24h=posts.get(source.id, 0), flags_24h=flags.get(source.id, 0), missed_runs=missed,
            last_finished=RunView.of(done) if done is not None else None,
            failing=done is not None and done.status == "error",
            stale=missed >= stale_after,
        ))
    return HealthSummary(generated_at=now, stale_after=stale_after, leader=leader[0] if leader else None,
                         leader_until=leader[1] if leader else None, sources=rows)


def run_history(*, session: Session, source: str | int, limit: int = 50,
                since: datetime | None = None) -> list[RunView]:
    """The source's runs, newest first (start, end, duration, status, HTTP status counts, counts, errors)."""
    row = get_source(session=session, name=source)
    query = select(CrawlRun).where(CrawlRun.source_id == row.id)
    if since is not None:
        query = query.where(CrawlRun.started_at >= since)
    runs = session.scalars(query.order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc()).limit(limit))
    return [RunView.of(run) for run in runs]


@dataclass(frozen=True)
class DailyCounts:
    """Posts first seen and flags queued per source per Vietnam-local day, oldest day first, zeros filled."""

    days: list[date]
    posts: dict[str, list[int]]  # source name -> one count per day
    flags: dict[str, list[int]]


def _local_day(column: Any, dialect: str, offset: timedelta) -> ColumnElement[Any]:
    hours = int(offset.total_seconds() // 3600)
    if dialect == "postgresql":
        return func.to_char(column + literal_column(f"interval '{hours} hours'"), "YYYY-MM-DD")
    return func.date(column, f"{hours:+d} hours")


def daily_counts(*, session: Session, days: int = 14, now: datetime | None = None) -> DailyCounts:
    """Counts for the last ``days`` local days including today, for a chart."""
    if not 1 <= days <= 366:
        raise ValueError("days must be between 1 and 366")
    now = now or utcnow()
    local_now = now.astimezone(SCHEDULE_ZONE)
    offset = local_now.utcoffset() or timedelta(0)
    first = local_now.date() - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), SCHEDULE_ZONE)
    day_list = [first + timedelta(days=i) for i in range(days)]
    index = {d.isoformat(): i for i, d in enumerate(day_list)}
    names = dict(session.execute(select(Source.id, Source.name)).all())
    dialect = session.get_bind().dialect.name
    posts = {name: [0] * days for name in names.values()}
    flags = {name: [0] * days for name in names.values()}
    post_day = _local_day(Post.first_seen_at, dialect, offset)
    flag_day = _local_day(QueueItem.created_at, dialect, offset)
    queries = (
        (posts, select(Post.source_id, post_day, func.count(Post.id)).where(Post.first_seen_at >= start)
         .group_by(Post.source_id, post_day)),
        (flags, select(Post.source_id, flag_day, func.count(QueueItem.id)).join(Post, QueueItem.post_id == Post.id)
         .where(QueueItem.created_at >= start).group_by(Post.source_id, flag_day)),
    )
    for target, query in queries:
        for source_id, day, count in session.execute(query):
            name = names.get(source_id)
            position = index.get(str(day))
            if name is not None and position is not None:
                target[name][position] += int(count)
    return DailyCounts(day_list, posts, flags)
