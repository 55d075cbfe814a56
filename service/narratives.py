"""Narratives and spike alerts: what is spreading, grouped by topic, and when a topic or a claim suddenly rises.

``rebuild_narratives`` groups the last ``days`` of flagged posts (by near-duplicate cluster) and the claims
(with their matched and linked posts) into narratives by shared keyword phrases (``classifier.narrative_terms``)
and records each narrative's posts with when they were first seen and their source, so counts per hour, day and
source are plain queries. A narrative keeps its id while its key phrases stay the same.

``check_spikes`` is the alert test, for every narrative and every claim: the count ``c`` of its posts first
seen in the last hour against its own baseline rate ``λ``, the mean hourly count over the 7 days (168 hours)
before that hour (at least ``MIN_RATE``). An alert is raised when ``c >= spike_min_count`` and the Poisson tail
``P(X >= c | λ) < spike_p_value``, at most once per subject per ``spike_cooldown_hours``: shown in the app,
audited, and sent as a ``narrative.spike`` webhook event. Alerts are about narratives and claims only, never
about people or accounts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from classifier.narrative_terms import group_units, keyword_phrases
from review.webhooks import emit
from service.runtime import Runtime
from store.audit import record
from store.models import (
    Alert,
    Claim,
    ClaimLink,
    ClaimMatch,
    Narrative,
    NarrativeClaim,
    NarrativePost,
    Post,
    QueueItem,
)
from store.types import utcnow

__all__ = ["BASELINE_HOURS", "MIN_RATE", "SpikeCheck", "check_spikes", "poisson_tail", "rebuild_narratives"]

BASELINE_HOURS = 168
MIN_RATE = 0.05  # posts per hour: a subject never seen before still needs a real burst
UNIT_POSTS = 5  # texts of a claim's posts read with it


def poisson_tail(count: int, rate: float) -> float:
    """P(X >= count) for X ~ Poisson(rate)."""
    if count <= 0:
        return 1.0
    term = math.exp(-rate)
    below = term
    for k in range(1, count):
        term *= rate / k
        below += term
    return max(0.0, 1.0 - below)


@dataclass(frozen=True)
class _Unit:
    text: str
    posts: dict[int, tuple[int | None, datetime]]  # post id -> (source id, first seen)
    claim_id: int | None = None


def _units(session: Session, since: datetime) -> list[_Unit]:
    """Claims (with their matched and linked posts) and clusters of flagged posts not in any claim."""
    units: list[_Unit] = []
    claimed: set[int] = set()
    for claim in session.scalars(select(Claim).order_by(Claim.id)):
        ids = set(session.scalars(select(ClaimMatch.post_id).where(ClaimMatch.claim_id == claim.id))) | set(
            session.scalars(select(ClaimLink.post_id).where(ClaimLink.claim_id == claim.id)))
        posts = session.execute(select(Post.id, Post.source_id, Post.first_seen_at, Post.text)
                                .where(Post.id.in_(ids)).order_by(Post.id)).all() if ids else []
        claimed |= ids
        text = " \n".join([claim.text, *[p.text for p in posts[:UNIT_POSTS]]])
        units.append(_Unit(text, {p.id: (p.source_id, p.first_seen_at) for p in posts}, claim.id))
    clusters: dict[int, _Unit] = {}
    for post_id, source_id, seen, text, cluster in session.execute(
            select(Post.id, Post.source_id, Post.first_seen_at, Post.text, Post.cluster_id)
            .join(QueueItem, QueueItem.post_id == Post.id)
            .where(QueueItem.created_at >= since, QueueItem.status != "dismissed").order_by(Post.id)):
        if post_id in claimed:
            continue
        key = cluster or post_id
        unit = clusters.setdefault(key, _Unit(text, {}))
        unit.posts[post_id] = (source_id, seen)
    return units + list(clusters.values())


def rebuild_narratives(runtime: Runtime, *, days: int = 30, now: datetime | None = None) -> int:
    """Group the claims and recent flagged posts into narratives and record their posts; how many narratives."""
    now = now or utcnow()
    with runtime.db.session() as session:
        units = _units(session, now - timedelta(days=days))
    phrases = keyword_phrases([u.text for u in units])
    groups = [g for g in group_units(phrases) if any(phrases[i] for i in g)]
    with runtime.db.write() as session:
        session.execute(delete(NarrativePost))
        session.execute(delete(NarrativeClaim))
        for group in groups:
            counted = Counter(p for i in group for p in phrases[i])
            keywords = [p for p, _n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]
            key = " · ".join(sorted(keywords[:2]))[:200]
            narrative = session.scalar(select(Narrative).where(Narrative.key == key))
            if narrative is None:
                narrative = Narrative(key=key, label=", ".join(keywords[:3]), keywords=keywords, created_at=now)
                session.add(narrative)
            narrative.label, narrative.keywords, narrative.updated_at = ", ".join(keywords[:3]), keywords, now
            session.flush()
            posts: dict[int, tuple[int | None, datetime]] = {}
            for i in group:
                posts.update(units[i].posts)
                if units[i].claim_id is not None:
                    session.add(NarrativeClaim(narrative_id=narrative.id, claim_id=units[i].claim_id))
            session.add_all(NarrativePost(narrative_id=narrative.id, post_id=pid, source_id=src, seen_at=seen)
                            for pid, (src, seen) in posts.items())
    return len(groups)


@dataclass(frozen=True)
class SpikeCheck:
    subject_type: str
    subject_id: int
    label: str
    count: int
    baseline: float
    p_value: float
    alerted: bool


def _hourly(times: Iterable[datetime], start: datetime, end: datetime) -> tuple[int, int]:
    """(posts in [end - 1h, end), posts in [start, end - 1h))."""
    recent = older = 0
    cut = end - timedelta(hours=1)
    for t in times:
        if cut <= t < end:
            recent += 1
        elif start <= t < cut:
            older += 1
    return recent, older


def check_spikes(runtime: Runtime, *, now: datetime | None = None) -> list[SpikeCheck]:
    """Test every narrative and claim for a spike in the hour before ``now``; raise the alerts that are due."""
    s, now = runtime.config.settings, now or utcnow()
    start = now - timedelta(hours=BASELINE_HOURS + 1)
    checks: list[SpikeCheck] = []
    with runtime.db.write() as session:
        subjects: list[tuple[str, int, str, list[datetime]]] = []
        for narrative in session.scalars(select(Narrative)):
            times = list(session.scalars(select(NarrativePost.seen_at).where(
                NarrativePost.narrative_id == narrative.id, NarrativePost.seen_at >= start)))
            subjects.append(("narrative", narrative.id, narrative.label, times))
        for claim_id, text in session.execute(select(Claim.id, Claim.text)):
            times = list(session.scalars(
                select(func.min(Post.first_seen_at)).join(ClaimMatch, ClaimMatch.post_id == Post.id)
                .where(ClaimMatch.claim_id == claim_id, Post.first_seen_at >= start).group_by(Post.id)))
            subjects.append(("claim", claim_id, text[:120], times))
        for kind, subject_id, label, times in subjects:
            recent, older = _hourly(times, start, now)
            baseline = max(MIN_RATE, older / BASELINE_HOURS)
            p = poisson_tail(recent, baseline)
            due = recent >= s.spike_min_count and p < s.spike_p_value
            if due:
                cooling = session.scalar(select(Alert.id).where(
                    Alert.subject_type == kind, Alert.subject_id == subject_id,
                    Alert.created_at > now - timedelta(hours=s.spike_cooldown_hours)))
                due = cooling is None
            if due:
                alert = Alert(subject_type=kind, subject_id=subject_id, label=label,
                              window_start=now - timedelta(hours=1), window_end=now, count=recent,
                              baseline=round(baseline, 4), p_value=p, created_at=now)
                session.add(alert)
                session.flush()
                record(session=session, actor="system", action="alert.spike", target_type=kind,
                       target_id=subject_id, alert_id=alert.id, count=recent, baseline=round(baseline, 4),
                       p_value=p)
                emit(session, "narrative.spike", {"alert_id": alert.id, "subject_type": kind,
                                                  "subject_id": subject_id, "label": label, "count": recent,
                                                  "baseline_per_hour": round(baseline, 4), "p_value": p}, now=now)
            checks.append(SpikeCheck(kind, subject_id, label, recent, baseline, p, due))
    return checks
