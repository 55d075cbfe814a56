"""Numbers for the dashboard: what waits, what was decided today, by category and source, flags per day.

Days are calendar days in a time zone (UTC unless the caller passes one; the dashboard passes the display zone).
Their boundaries are computed here, in Python, as UTC instants (so a day with a DST change lasts 23 or 25 hours)
and reach the database only as bound parameters: the same query works on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import pairwise

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from config.i18n import N_
from review.policy import OPEN_STATUSES
from store.models import Decision, Post, QueueItem, Source
from store.types import day_start, utcnow

__all__ = ["DashboardStats", "dashboard_stats", "day_bounds"]


@dataclass
class DashboardStats:
    waiting: dict[str, int] = field(default_factory=dict)  # open status -> count
    decided_today: dict[str, int] = field(default_factory=dict)  # action -> count since 00:00 in `zone`
    by_category: list[tuple[str, int]] = field(default_factory=list)  # confirmed items
    by_source: list[tuple[str, int]] = field(default_factory=list)  # items flagged in the last `days` days
    per_day: list[tuple[date, int]] = field(default_factory=list)  # flagged per day in `zone`, oldest first
    days: int = 30
    zone: tzinfo = UTC  # the zone whose calendar days these are
    today: date | None = None  # the last day of `per_day`: today in `zone`

    @property
    def waiting_total(self) -> int:
        return sum(self.waiting.values())

    @property
    def decided_today_total(self) -> int:
        return sum(self.decided_today.values())


def day_bounds(first: date, days: int, zone: tzinfo) -> list[datetime]:
    """Where each of ``days`` calendar days from ``first`` starts in ``zone``, as UTC instants, and where the day
    after the last one starts (``days + 1`` bounds: day ``i`` is ``[bounds[i], bounds[i + 1])``)."""
    return [day_start(first + timedelta(days=i), zone) for i in range(days + 1)]


def dashboard_stats(*, session: Session, days: int = 30, now: datetime | None = None,
                    zone: tzinfo = UTC) -> DashboardStats:
    """The dashboard's numbers at ``now``; "today" and the per-day counts are calendar days in ``zone``."""
    now = now or utcnow()
    today = now.astimezone(zone).date()
    bounds = day_bounds(today - timedelta(days=days - 1), days, zone)
    since, today_start, tomorrow_start = bounds[0], bounds[-2], bounds[-1]
    stats = DashboardStats(days=days, zone=zone, today=today)
    stats.waiting = {s: 0 for s in OPEN_STATUSES}
    for status, count in session.execute(
        select(QueueItem.status, func.count()).where(QueueItem.status.in_(OPEN_STATUSES)).group_by(QueueItem.status)
    ):
        stats.waiting[status] = count
    stats.decided_today = dict(session.execute(  # type: ignore[arg-type]
        select(Decision.action, func.count())
        .where(Decision.created_at >= today_start, Decision.created_at < tomorrow_start)
        .group_by(Decision.action).order_by(Decision.action)
    ).all())
    stats.by_category = [(c or "-", n) for c, n in session.execute(
        select(QueueItem.category, func.count()).where(QueueItem.status == "confirmed")
        .group_by(QueueItem.category).order_by(func.count().desc())
    )]
    stats.by_source = [(s or N_("(no source)"), n) for s, n in session.execute(
        select(Source.name, func.count()).select_from(QueueItem)
        .join(Post, Post.id == QueueItem.post_id).outerjoin(Source, Source.id == Post.source_id)
        .where(QueueItem.created_at >= since)
        .group_by(Source.name).order_by(func.count().desc()).limit(12)
    )]
    # one row, one column per day: the items flagged between its bounds (COUNT skips the CASE's NULLs)
    created = QueueItem.created_at
    per_day = [func.count(case(((created >= start) & (created < end), 1))) for start, end in pairwise(bounds)]
    counts = session.execute(select(*per_day).where(created >= since, created < tomorrow_start)).one()
    stats.per_day = [(today - timedelta(days=days - 1 - i), int(n)) for i, n in enumerate(counts)]
    return stats
