"""The review queue: flagged posts wait here for a person, who claims, decides, and may be appealed.

A human decides: nothing in this module confirms anything on its own. Every state change writes a Decision row
(never updated) and an audit entry in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, and_, exists, or_, select
from sqlalchemy.orm import Session, joinedload

from review.policy import CATEGORIES, DISMISS_REASONS, OPEN_STATUSES
from review.priority import PriorityWeights, priority
from store.audit import record
from store.models import Decision, Post, QueueItem, User, Verdict
from store.types import utcnow

__all__ = [
    "DecisionError",
    "QueueRow",
    "appeal",
    "claim_next",
    "decide",
    "enqueue",
    "list_queue",
    "release",
]


class DecisionError(ValueError):
    """A decision that the policy or the item's state does not allow; the message says why."""


@dataclass(frozen=True)
class QueueRow:
    item: QueueItem
    post: Post
    verdict: Verdict


def enqueue(*, session: Session, post: Post, verdict: Verdict,
            weights: PriorityWeights = PriorityWeights()) -> QueueItem:
    """Queue a flagged post (or refresh the evidence of one still waiting). Decided items are left alone."""
    value = priority(
        score=verdict.score, threshold=verdict.threshold, like_count=post.like_count,
        comment_count=post.comment_count, share_count=post.share_count,
        published_at=post.published_at or post.first_seen_at, weights=weights,
    )
    item = session.scalar(select(QueueItem).where(QueueItem.post_id == post.id))
    if item is None:
        item = QueueItem(post_id=post.id, verdict_id=verdict.id, priority=value, score=verdict.score,
                         status="pending")
        session.add(item)
        session.flush()
        record(session=session, actor="system", action="queue.flag", target_type="queue_item", target_id=item.id,
               post_id=post.id, score=round(verdict.score, 4), model_version=verdict.model_version)
    elif item.status in OPEN_STATUSES:
        item.verdict_id, item.priority, item.score = verdict.id, value, verdict.score
    return item


def list_queue(*, session: Session, statuses: Sequence[str] = ("pending",), limit: int = 50,
               offset: int = 0) -> list[QueueRow]:
    """Items in the given statuses, highest priority first."""
    rows = session.execute(
        select(QueueItem, Post, Verdict)
        .join(Post, Post.id == QueueItem.post_id)
        .join(Verdict, Verdict.id == QueueItem.verdict_id)
        .where(QueueItem.status.in_(statuses))
        .order_by(QueueItem.priority.desc(), QueueItem.id)
        .limit(limit).offset(offset)
    ).all()
    return [QueueRow(item, post, verdict) for item, post, verdict in rows]


def _last_decider_id(session: Session, item: QueueItem, actions: Sequence[str]) -> int | None:
    return session.scalar(
        select(Decision.user_id).where(Decision.queue_item_id == item.id, Decision.action.in_(actions))
        .order_by(Decision.id.desc()).limit(1)
    )


def claim_next(*, session: Session, user: User, lease: timedelta, now: datetime | None = None) -> QueueItem | None:
    """Lease the most urgent open item to ``user``: theirs already, or unleased, or whose lease expired.

    Appealed and escalated items go to someone other than the person who decided or escalated them, and an
    item a person skipped is not offered to them again. The conditional UPDATE makes two analysts racing for
    the same item end with one winner.
    """
    now = now or utcnow()
    mine = session.scalar(
        select(QueueItem).where(QueueItem.assignee_id == user.id, QueueItem.status.in_(OPEN_STATUSES),
                                QueueItem.lease_expires_at > now).order_by(QueueItem.priority.desc()).limit(1)
    )
    if mine is not None:
        mine.lease_expires_at = now + lease
        return mine
    decided_by_me = exists().where(
        Decision.queue_item_id == QueueItem.id, Decision.user_id == user.id,
        or_(Decision.action == "skip",
            and_(QueueItem.status.in_(("appealed", "escalated")), Decision.action.in_(("confirm", "escalate")))),
    )
    free = or_(QueueItem.assignee_id.is_(None), QueueItem.lease_expires_at.is_(None),
               QueueItem.lease_expires_at <= now)
    for _ in range(5):  # retry when another analyst wins the race for the same row
        candidate = session.scalar(
            select(QueueItem.id).where(QueueItem.status.in_(OPEN_STATUSES), free, ~decided_by_me)
            .order_by(QueueItem.priority.desc(), QueueItem.id).limit(1)
        )
        if candidate is None:
            return None
        # __table__ is typed FromClause (a mapping may be to a join); QueueItem's is its Table. Session.execute
        # is typed as returning Result; an UPDATE gives a CursorResult, which has rowcount.
        table = cast(Table, QueueItem.__table__)
        won = cast(CursorResult[Any], session.execute(
            table.update()
            .where(QueueItem.id == candidate, free)
            .values(assignee_id=user.id, lease_expires_at=now + lease)
        )).rowcount
        if won:
            item = session.get(QueueItem, candidate, populate_existing=True)
            record(session=session, actor=user.username, action="queue.claim", target_type="queue_item",
                   target_id=candidate)
            return item
    return None


def release(*, session: Session, item: QueueItem, user: User) -> None:
    """Give a leased item back to the queue."""
    if item.assignee_id == user.id:
        item.assignee_id, item.lease_expires_at = None, None


def _cluster_items(session: Session, item: QueueItem) -> list[QueueItem]:
    post = item.post
    if post.cluster_id is None:
        return []
    return list(session.scalars(
        select(QueueItem).join(Post, Post.id == QueueItem.post_id)
        .where(Post.cluster_id == post.cluster_id, QueueItem.id != item.id,
               QueueItem.status.in_(OPEN_STATUSES))
        .options(joinedload(QueueItem.post))
    ))


def decide(
    *, session: Session, item: QueueItem, user: User, action: str, category: str | None = None,
    dismiss_reason: str | None = None, justification: str = "", reference_url: str | None = None,
    apply_to_cluster: bool = False, now: datetime | None = None,
) -> list[Decision]:
    """Record a person's decision: ``confirm`` (category + justification), ``dismiss`` (reason),
    ``escalate`` or ``skip``. Returns the decision rows written (more than one when applied to the cluster)."""
    now = now or utcnow()
    justification = justification.strip()
    if action == "confirm":
        if category not in CATEGORIES:
            raise DecisionError(f"a confirmation needs a policy category: {', '.join(CATEGORIES)}")
        if not justification:
            raise DecisionError("a confirmation needs a justification")
        if reference_url and not reference_url.startswith(("http://", "https://")):
            raise DecisionError("the reference must be an http(s) URL")
    elif action == "dismiss":
        if dismiss_reason not in DISMISS_REASONS:
            raise DecisionError(f"a dismissal needs a reason: {', '.join(DISMISS_REASONS)}")
    elif action not in ("escalate", "skip"):
        raise DecisionError(f"unknown action {action!r}")
    if item.status not in OPEN_STATUSES:
        raise DecisionError(f"item {item.id} is {item.status}; appeal it to decide again")
    if item.assignee_id not in (None, user.id) and item.lease_expires_at and item.lease_expires_at > now:
        raise DecisionError(f"item {item.id} is claimed by someone else until {item.lease_expires_at:%H:%M} UTC")
    if item.status in ("appealed", "escalated") and action != "skip":
        previous = _last_decider_id(session, item, ("confirm",) if item.status == "appealed" else ("escalate",))
        if previous == user.id:
            raise DecisionError("an appealed or escalated item must be decided by a different person")
    targets = [item] + (_cluster_items(session, item) if apply_to_cluster and action in ("confirm", "dismiss") else [])
    written = []
    for target in targets:
        supersedes = target.current_decision_id
        decision = Decision(
            queue_item_id=target.id, post_id=target.post_id, snapshot_id=target.verdict.snapshot_id,
            user_id=user.id, action=action, category=category if action == "confirm" else None,
            dismiss_reason=dismiss_reason if action == "dismiss" else None, justification=justification,
            reference_url=reference_url or None, supersedes_id=supersedes, created_at=now,
        )
        session.add(decision)
        session.flush()
        if action == "skip":
            target.assignee_id, target.lease_expires_at = None, None
        else:
            target.status = {"confirm": "confirmed", "dismiss": "dismissed", "escalate": "escalated"}[action]
            target.category = decision.category
            target.current_decision_id = decision.id
            target.assignee_id, target.lease_expires_at = None, None
        record(session=session, actor=user.username, action=f"decision.{action}", target_type="queue_item",
               target_id=target.id, decision_id=decision.id, category=decision.category,
               dismiss_reason=decision.dismiss_reason, via_cluster_of=item.id if target is not item else None,
               reversal=bool(supersedes and action == "dismiss"))
        written.append(decision)
    return written


def appeal(*, session: Session, item: QueueItem, user: User, reason: str) -> Decision:
    """Reopen a confirmed item with a reason; a different person then decides it again."""
    reason = reason.strip()
    if item.status != "confirmed":
        raise DecisionError(f"only confirmed items can be appealed; item {item.id} is {item.status}")
    if not reason:
        raise DecisionError("an appeal needs a reason")
    decision = Decision(queue_item_id=item.id, post_id=item.post_id, snapshot_id=item.verdict.snapshot_id,
                        user_id=user.id, action="appeal", justification=reason,
                        supersedes_id=item.current_decision_id)
    session.add(decision)
    session.flush()
    item.status = "appealed"
    record(session=session, actor=user.username, action="decision.appeal", target_type="queue_item",
           target_id=item.id, decision_id=decision.id, reason=reason)
    return decision
