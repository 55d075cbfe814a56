"""Reading narratives and alerts: the list with counts, one narrative's claims, items and counts per day, hour
and source, and the spike alerts (``service.narratives`` builds them). Narratives are about topics and claims;
sources are counted as places, never people or accounts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from review.actors import Actor, authorize
from review.errors import NotFound
from store.db import Database
from store.models import Alert, Claim, Narrative, NarrativeClaim, NarrativePost, Post, QueueItem, Source
from store.types import utcnow, valid_id

__all__ = ["AlertRow", "NarrativeDetail", "NarrativeRow", "alerts", "daily_counts", "narrative_detail", "narratives"]


@dataclass(frozen=True)
class NarrativeRow:
    id: int
    label: str
    keywords: list[str]
    posts: int
    last_24h: int
    claims: int


@dataclass(frozen=True)
class AlertRow:
    id: int
    subject_type: str
    subject_id: int
    label: str
    count: int
    baseline: float
    p_value: float
    window_start: datetime
    window_end: datetime
    created_at: datetime


@dataclass
class NarrativeDetail:
    row: NarrativeRow
    claims: list[tuple[int, str, str]] = field(default_factory=list)  # id, verdict, text
    items: list[tuple[int, str, str, datetime]] = field(default_factory=list)  # item id, status, text, seen
    per_day: list[tuple[str, int]] = field(default_factory=list)
    per_hour: list[tuple[str, int]] = field(default_factory=list)  # the last 48 hours
    per_source: list[tuple[str, int]] = field(default_factory=list)
    alerts: list[AlertRow] = field(default_factory=list)


def _alert(a: Alert) -> AlertRow:
    return AlertRow(a.id, a.subject_type, a.subject_id, a.label, a.count, a.baseline, a.p_value, a.window_start,
                    a.window_end, a.created_at)


def narratives(db: Database, actor: Actor, *, now: datetime | None = None) -> list[NarrativeRow]:
    """Every narrative, most posts in the last 24 hours first."""
    now = now or utcnow()
    with db.session() as session:
        authorize(session, actor, "narrative.view")
        totals = dict(session.execute(select(NarrativePost.narrative_id, func.count())
                                      .group_by(NarrativePost.narrative_id)).all())
        recent = dict(session.execute(select(NarrativePost.narrative_id, func.count())
                                      .where(NarrativePost.seen_at >= now - timedelta(hours=24))
                                      .group_by(NarrativePost.narrative_id)).all())
        claims = dict(session.execute(select(NarrativeClaim.narrative_id, func.count())
                                      .group_by(NarrativeClaim.narrative_id)).all())
        rows = [NarrativeRow(n.id, n.label, list(n.keywords or []), int(totals.get(n.id, 0)),
                             int(recent.get(n.id, 0)), int(claims.get(n.id, 0)))
                for n in session.scalars(select(Narrative))]
    return sorted(rows, key=lambda r: (-r.last_24h, -r.posts, r.id))


def narrative_detail(db: Database, actor: Actor, narrative_id: int, *, zone: ZoneInfo | None = None,
                     now: datetime | None = None) -> NarrativeDetail:
    """One narrative: its claims, queued items, and counts per day (display time zone), hour and source."""
    now, zone = now or utcnow(), zone or ZoneInfo("UTC")
    rows = {r.id: r for r in narratives(db, actor, now=now)}
    if not valid_id(narrative_id) or narrative_id not in rows:
        raise NotFound("no narrative #%(id)s", id=narrative_id)
    detail = NarrativeDetail(rows[narrative_id])
    with db.session() as session:
        detail.claims = [(c.id, c.verdict, c.text) for c in session.scalars(
            select(Claim).join(NarrativeClaim, NarrativeClaim.claim_id == Claim.id)
            .where(NarrativeClaim.narrative_id == narrative_id).order_by(Claim.id))]
        members = session.execute(
            select(NarrativePost.post_id, NarrativePost.seen_at, Source.name)
            .outerjoin(Source, Source.id == NarrativePost.source_id)
            .where(NarrativePost.narrative_id == narrative_id)).all()
        days = Counter(seen.astimezone(zone).strftime("%Y-%m-%d") for _p, seen, _s in members)
        detail.per_day = sorted(days.items())
        hour0 = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=47)
        hours = Counter(seen.astimezone(zone).strftime("%m-%d %H:00") for _p, seen, _s in members if seen >= hour0)
        detail.per_hour = [((hour0 + timedelta(hours=h)).astimezone(zone).strftime("%m-%d %H:00"),
                            hours.get((hour0 + timedelta(hours=h)).astimezone(zone).strftime("%m-%d %H:00"), 0))
                           for h in range(48)]
        detail.per_source = Counter(name or "-" for _p, _seen, name in members).most_common(20)
        detail.items = [(i.id, i.status, text, seen) for i, text, seen in session.execute(
            select(QueueItem, Post.text, NarrativePost.seen_at).join(Post, Post.id == QueueItem.post_id)
            .join(NarrativePost, NarrativePost.post_id == Post.id)
            .where(NarrativePost.narrative_id == narrative_id)
            .order_by(NarrativePost.seen_at.desc()).limit(100)).all()]
        detail.alerts = [_alert(a) for a in session.scalars(
            select(Alert).where(Alert.subject_type == "narrative", Alert.subject_id == narrative_id)
            .order_by(Alert.id.desc()).limit(20))]
    return detail


def alerts(db: Database, actor: Actor, *, limit: int = 100) -> list[AlertRow]:
    """Spike alerts, newest first."""
    with db.session() as session:
        authorize(session, actor, "narrative.view")
        return [_alert(a) for a in session.scalars(select(Alert).order_by(Alert.id.desc()).limit(limit))]


def daily_counts(db: Database, actor: Actor, narrative_ids: list[int], *, days: int = 14,
                 zone: ZoneInfo | None = None, now: datetime | None = None) -> tuple[list[date], dict[int, list[int]]]:
    """Posts first seen per local day over the last ``days`` days, for each narrative (for charts)."""
    now, zone = now or utcnow(), zone or ZoneInfo("UTC")
    today = now.astimezone(zone).date()
    calendar = [today - timedelta(days=days - 1 - i) for i in range(days)]
    counts: dict[int, list[int]] = {n: [0] * days for n in narrative_ids}
    with db.session() as session:
        authorize(session, actor, "narrative.view")
        if not narrative_ids:
            return calendar, counts
        for narrative_id, seen in session.execute(
                select(NarrativePost.narrative_id, NarrativePost.seen_at)
                .where(NarrativePost.narrative_id.in_(narrative_ids),
                       NarrativePost.seen_at >= now - timedelta(days=days + 1))):
            at = (seen.astimezone(zone).date() - calendar[0]).days
            if 0 <= at < days:
                counts[narrative_id][at] += 1
    return calendar, counts
