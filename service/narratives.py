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

Both are set-based: a fixed number of SQL statements per tick whatever the number of claims and narratives
(grouped reads, one bulk upsert of the narratives, one bulk insert each of their claims and posts), plus the
writes of each alert raised. Groups that come out with the same key are one narrative.

The keyword phrases of each unit text are kept in ``narrative_phrases`` by ``phrase_key`` (a hash of the
normalised text and of the extractor's version), shared by every worker and kept across restarts: a rebuild
segments only the texts it has not seen before (a new claim, a claim with a new one of its first posts, a new
cluster), so its cost follows what changed. Rows not needed for ``PHRASES_UNUSED_DAYS`` are pruned by retention.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Label, SQLColumnExpression, Table, bindparam, case, delete, func, insert, select, union, update
from sqlalchemy.orm import Session

from classifier.narrative_terms import group_units, phrase_counts, phrase_key, rank_phrases
from review.webhooks import emit
from service.runtime import Runtime
from store.audit import record
from store.db import dialect_insert
from store.models import (
    Alert,
    Claim,
    ClaimLink,
    ClaimMatch,
    Narrative,
    NarrativeClaim,
    NarrativePhrases,
    NarrativePost,
    Post,
    QueueItem,
)
from store.types import utcnow

__all__ = ["BASELINE_HOURS", "MIN_RATE", "PHRASES_UNUSED_DAYS", "SpikeCheck", "check_spikes", "poisson_tail",
           "rebuild_narratives"]

BASELINE_HOURS = 168
MIN_RATE = 0.05  # posts per hour: a subject never seen before still needs a real burst
UNIT_POSTS = 5  # texts of a claim's posts read with it
PHRASES_UNUSED_DAYS = 7  # kept phrases no rebuild needed for this long are pruned (service.retention)
TOUCH_AFTER = timedelta(days=1)  # a kept row's used_at is refreshed at most this often (not every hour)


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


def _claim_units(session: Session) -> list[_Unit]:
    """Every claim with its matched and linked posts (the texts of its first ``UNIT_POSTS``), in two queries."""
    pairs = union(select(ClaimMatch.claim_id, ClaimMatch.post_id),
                  select(ClaimLink.claim_id, ClaimLink.post_id)).subquery()
    ranked = select(pairs.c.claim_id, pairs.c.post_id, func.row_number().over(
        partition_by=pairs.c.claim_id, order_by=pairs.c.post_id).label("rank")).subquery()
    posts: dict[int, dict[int, tuple[int | None, datetime]]] = {}
    texts: dict[int, list[str]] = {}
    for claim_id, post_id, source_id, seen, text in session.execute(
            select(ranked.c.claim_id, Post.id, Post.source_id, Post.first_seen_at,
                   case((ranked.c.rank <= UNIT_POSTS, Post.text), else_=None))
            .join(Post, Post.id == ranked.c.post_id).order_by(ranked.c.claim_id, Post.id)):
        posts.setdefault(claim_id, {})[post_id] = (source_id, seen)
        if text is not None:
            texts.setdefault(claim_id, []).append(text)
    return [_Unit(" \n".join([text, *texts.get(claim_id, [])]), posts.get(claim_id, {}), claim_id)
            for claim_id, text in session.execute(select(Claim.id, Claim.text).order_by(Claim.id))]


def _units(session: Session, since: datetime) -> list[_Unit]:
    """Claims (with their matched and linked posts) and clusters of flagged posts not in any claim."""
    units = _claim_units(session)
    claimed = {post_id for unit in units for post_id in unit.posts}
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


@dataclass
class _Grouped:
    keywords: list[str]
    posts: dict[int, tuple[int | None, datetime]] = field(default_factory=dict)
    claims: set[int] = field(default_factory=set)


@dataclass
class _Phrases:
    """Each unit's ranked phrases, and the kept rows to add (segmented now) and to mark as used."""

    ranked: list[list[str]]
    new: dict[str, dict[str, int]] = field(default_factory=dict)
    used: list[str] = field(default_factory=list)


def _kept(session: Session, keys: set[str], now: datetime) -> tuple[dict[str, dict[str, int]], list[str]]:
    """The kept phrases of the texts of ``keys`` (one read), and which of them to mark as used again."""
    kept: dict[str, dict[str, int]] = {}
    stale: list[str] = []
    for key, phrases, used_at in session.execute(
            select(NarrativePhrases.key, NarrativePhrases.phrases, NarrativePhrases.used_at)):
        if key in keys:
            kept[key] = phrases
            if used_at < now - TOUCH_AFTER:
                stale.append(key)
    return kept, stale


def _phrases(units: list[_Unit], keys: list[str], kept: dict[str, dict[str, int]], stale: list[str]) -> _Phrases:
    """The units' keyword phrases (``keys``: their ``phrase_key``), segmenting only the texts not in ``kept``."""
    counted = phrase_counts([u.text for u in units], kept, keys=keys)
    new = {key: dict(c) for key, c in zip(keys, counted, strict=True) if key not in kept}
    return _Phrases(rank_phrases(counted), new, stale)


def _keep_phrases(session: Session, found: _Phrases, now: datetime) -> None:
    """Store the newly segmented texts' phrases (another worker's copy wins) and refresh ``used_at`` of the
    kept rows this rebuild needed (one bulk statement each)."""
    if found.new:
        add = dialect_insert(session, NarrativePhrases.__table__).on_conflict_do_nothing(index_elements=["key"])
        session.execute(add, [{"key": k, "phrases": p, "used_at": now} for k, p in found.new.items()])
    if found.used:
        table = cast(Table, NarrativePhrases.__table__)
        session.execute(update(table).where(table.c.key == bindparam("k")).values(used_at=now),
                        [{"k": k} for k in found.used])


def _grouped(units: list[_Unit], phrases: list[list[str]]) -> dict[str, _Grouped]:
    """The units grouped by shared keyword phrases, by narrative key (groups with the same key are one)."""
    narratives: dict[str, _Grouped] = {}
    for group in group_units(phrases):
        if not any(phrases[i] for i in group):
            continue
        counted = Counter(p for i in group for p in phrases[i])
        keywords = [p for p, _n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]
        grouped = narratives.setdefault(" · ".join(sorted(keywords[:2]))[:200], _Grouped(keywords))
        grouped.keywords = keywords
        for i in group:
            grouped.posts.update(units[i].posts)
            claim_id = units[i].claim_id
            if claim_id is not None:
                grouped.claims.add(claim_id)
    return narratives


def rebuild_narratives(runtime: Runtime, *, days: int = 30, now: datetime | None = None) -> int:
    """Group the claims and recent flagged posts into narratives and record their posts; how many narratives.

    A fixed number of statements whatever the number of claims and posts: four reads (the units and the kept
    phrases), then the new phrases stored and the kept ones marked as used, the narratives upserted by key and
    their claims and posts inserted, each as one bulk statement. Only texts not seen before are segmented."""
    now = now or utcnow()
    with runtime.db.session() as session:
        units = _units(session, now - timedelta(days=days))
        keys = [phrase_key(u.text) for u in units]
        kept, stale = _kept(session, set(keys), now)
    found = _phrases(units, keys, kept, stale)
    grouped = _grouped(units, found.ranked)
    with runtime.db.write() as session:
        _keep_phrases(session, found, now)
        session.execute(delete(NarrativePost))
        session.execute(delete(NarrativeClaim))
        if not grouped:
            return 0
        upsert = dialect_insert(session, Narrative.__table__)
        session.execute(upsert.on_conflict_do_update(index_elements=["key"], set_={
            "label": upsert.excluded.label, "keywords": upsert.excluded.keywords,
            "updated_at": upsert.excluded.updated_at}),
            [{"key": key, "label": ", ".join(g.keywords[:3]), "keywords": g.keywords, "created_at": now,
              "updated_at": now} for key, g in grouped.items()])
        ids = {key: narrative_id for key, narrative_id in session.execute(select(Narrative.key, Narrative.id))
               if key in grouped}
        claims = [{"narrative_id": ids[key], "claim_id": c} for key, g in grouped.items() for c in sorted(g.claims)]
        if claims:
            session.execute(insert(cast(Table, NarrativeClaim.__table__)), claims)
        posts = [{"narrative_id": ids[key], "post_id": pid, "source_id": src, "seen_at": seen}
                 for key, g in grouped.items() for pid, (src, seen) in g.posts.items()]
        if posts:
            session.execute(insert(cast(Table, NarrativePost.__table__)), posts)
    return len(grouped)


@dataclass(frozen=True)
class SpikeCheck:
    subject_type: str
    subject_id: int
    label: str
    count: int
    baseline: float
    p_value: float
    alerted: bool


def _window_counts(seen: SQLColumnExpression[datetime], cut: datetime) -> tuple[Label[int], Label[int]]:
    """(posts at or after ``cut``, posts before it) as sums for a grouped query."""
    return (func.sum(case((seen >= cut, 1), else_=0)).label("recent"),
            func.sum(case((seen < cut, 1), else_=0)).label("older"))


def _subjects(session: Session, start: datetime, now: datetime) -> list[tuple[str, int, str, int, int]]:
    """Every narrative and claim with its posts first seen in the last hour and in the 168 hours before it:
    (kind, id, label, recent, older), from two grouped queries."""
    cut = now - timedelta(hours=1)
    seen = NarrativePost.seen_at
    per_narrative = (select(NarrativePost.narrative_id, *_window_counts(seen, cut))
                     .where(seen >= start, seen < now).group_by(NarrativePost.narrative_id).subquery())
    matched = (select(ClaimMatch.claim_id, Post.id, Post.first_seen_at.label("seen"))
               .join(Post, Post.id == ClaimMatch.post_id)
               .where(Post.first_seen_at >= start, Post.first_seen_at < now).distinct().subquery())
    per_claim = (select(matched.c.claim_id, *_window_counts(matched.c.seen, cut))
                 .group_by(matched.c.claim_id).subquery())
    narratives = session.execute(
        select(Narrative.id, Narrative.label, per_narrative.c.recent, per_narrative.c.older)
        .outerjoin(per_narrative, per_narrative.c.narrative_id == Narrative.id).order_by(Narrative.id))
    claims = session.execute(
        select(Claim.id, Claim.text, per_claim.c.recent, per_claim.c.older)
        .outerjoin(per_claim, per_claim.c.claim_id == Claim.id).order_by(Claim.id))
    return ([("narrative", i, label, int(recent or 0), int(older or 0)) for i, label, recent, older in narratives]
            + [("claim", i, text[:120], int(recent or 0), int(older or 0)) for i, text, recent, older in claims])


def check_spikes(runtime: Runtime, *, now: datetime | None = None) -> list[SpikeCheck]:
    """Test every narrative and claim for a spike in the hour before ``now``; raise the alerts that are due.

    Three queries whatever the number of narratives and claims (their counts, grouped, and the alerts still
    cooling down when one is due), plus the writes of each alert raised."""
    s, now = runtime.config.settings, now or utcnow()
    start = now - timedelta(hours=BASELINE_HOURS + 1)
    tested: list[tuple[str, int, str, int, float, float, bool]] = []
    with runtime.db.write() as session:
        for kind, subject_id, label, recent, older in _subjects(session, start, now):
            baseline = max(MIN_RATE, older / BASELINE_HOURS)
            p = poisson_tail(recent, baseline)
            tested.append((kind, subject_id, label, recent, baseline, p,
                           recent >= s.spike_min_count and p < s.spike_p_value))
        cooling: set[tuple[str, int]] = set()
        if any(due for *_rest, due in tested):
            cooling = {(kind, subject_id) for kind, subject_id in session.execute(
                select(Alert.subject_type, Alert.subject_id)
                .where(Alert.created_at > now - timedelta(hours=s.spike_cooldown_hours)))}
        checks: list[SpikeCheck] = []
        for kind, subject_id, label, recent, baseline, p, due in tested:
            due = due and (kind, subject_id) not in cooling
            if due:
                _raise(session, kind, subject_id, label, recent, baseline, p, now)
            checks.append(SpikeCheck(kind, subject_id, label, recent, baseline, p, due))
    return checks


def _raise(session: Session, kind: str, subject_id: int, label: str, count: int, baseline: float, p: float,
           now: datetime) -> None:
    """Record one spike alert, audit it and queue its ``narrative.spike`` webhook event."""
    alert = Alert(subject_type=kind, subject_id=subject_id, label=label, window_start=now - timedelta(hours=1),
                  window_end=now, count=count, baseline=round(baseline, 4), p_value=p, created_at=now)
    session.add(alert)
    session.flush()
    record(session=session, actor="system", action="alert.spike", target_type=kind, target_id=subject_id,
           alert_id=alert.id, count=count, baseline=round(baseline, 4), p_value=p)
    emit(session, "narrative.spike", {"alert_id": alert.id, "subject_type": kind, "subject_id": subject_id,
                                      "label": label, "count": count, "baseline_per_hour": round(baseline, 4),
                                      "p_value": p}, now=now)
