"""Numbers for the dashboard: what waits, what was decided today, by category and source, flags per day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from review.policy import OPEN_STATUSES
from store.models import Decision, Post, QueueItem, Source
from store.types import utcnow

__all__ = ["DashboardStats", "dashboard_stats"]


@dataclass
class DashboardStats:
    waiting: dict[str, int] = field(default_factory=dict)  # open status -> count
    decided_today: dict[str, int] = field(default_factory=dict)  # action -> count since 00:00 UTC
    by_category: list[tuple[str, int]] = field(default_factory=list)  # confirmed items
    by_source: list[tuple[str, int]] = field(default_factory=list)  # items flagged in the last `days` days
    per_day: list[tuple[date, int]] = field(default_factory=list)  # flagged per day, oldest first
    days: int = 30

    @property
    def waiting_total(self) -> int:
        return sum(self.waiting.values())

    @property
    def decided_today_total(self) -> int:
        return sum(self.decided_today.values())


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def dashboard_stats(*, session: Session, days: int = 30, now: datetime | None = None) -> DashboardStats:
    now = now or utcnow()
    today = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    since = today - timedelta(days=days - 1)
    stats = DashboardStats(days=days)
    stats.waiting = {s: 0 for s in OPEN_STATUSES}
    for status, count in session.execute(
        select(QueueItem.status, func.count()).where(QueueItem.status.in_(OPEN_STATUSES)).group_by(QueueItem.status)
    ):
        stats.waiting[status] = count
    stats.decided_today = dict(session.execute(  # type: ignore[arg-type]
        select(Decision.action, func.count()).where(Decision.created_at >= today)
        .group_by(Decision.action).order_by(Decision.action)
    ).all())
    stats.by_category = [(c or "-", n) for c, n in session.execute(
        select(QueueItem.category, func.count()).where(QueueItem.status == "confirmed")
        .group_by(QueueItem.category).order_by(func.count().desc())
    )]
    stats.by_source = [(s or "(no source)", n) for s, n in session.execute(
        select(Source.name, func.count()).select_from(QueueItem)
        .join(Post, Post.id == QueueItem.post_id).outerjoin(Source, Source.id == Post.source_id)
        .where(QueueItem.created_at >= since)
        .group_by(Source.name).order_by(func.count().desc()).limit(12)
    )]
    counts: dict[date, int] = {}
    day = func.date(QueueItem.created_at)
    for value, count in session.execute(
        select(day, func.count()).where(QueueItem.created_at >= since).group_by(day)
    ):
        counts[_as_date(value)] = counts.get(_as_date(value), 0) + count
    stats.per_day = [(d, counts.get(d, 0)) for d in (since.date() + timedelta(days=i) for i in range(days))]
    return stats
