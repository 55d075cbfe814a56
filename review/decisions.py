"""The actions people take on flagged posts: claim the next item, decide (confirm, dismiss, escalate, skip),
decide a whole cluster, appeal, release. Each opens its own transaction, checks the actor and every rule
(``review.rules``), writes Decision rows (never updated) and the audit log, and raises a named
``review.errors`` exception a page, the API or the command line can show.

Concurrent clicks on the same item end with one decision: the items are locked (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers) before their state is checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, or_, select
from sqlalchemy.orm import Session

from review.actors import Actor, authorize
from review.errors import InvalidInput, LeaseHeld, NotFound, Refused, WrongState
from review.inputs import checked_text, checked_url
from review.permissions import allowed
from review.policy import CATEGORIES, DECISION_ACTIONS, DISMISS_REASONS, OPEN_STATUSES
from review.rules import decide_refusal, lease_holder, not_a_party, skipped_by
from store.audit import record
from store.db import Database
from store.models import Decision, Post, QueueItem, User
from store.types import utcnow, valid_id

__all__ = [
    "Choice",
    "DecisionOutcome",
    "LeftItem",
    "appeal",
    "claim_next",
    "decide",
    "decide_block",
    "release",
]

_STATUS_AFTER = {"confirm": "confirmed", "dismiss": "dismissed", "escalate": "escalated"}


@dataclass(frozen=True)
class Choice:
    """What a person chose on the decision form (or in the API/CLI call)."""

    action: str
    category: str | None = None
    dismiss_reason: str | None = None
    justification: str = ""
    reference_url: str | None = None
    apply_to_cluster: bool = False

    def checked(self) -> Choice:
        """The choice with its text cleaned, or InvalidInput naming what is missing or wrong."""
        if self.action not in DECISION_ACTIONS:
            raise InvalidInput(f"unknown action {self.action!r}; choose one of: {', '.join(DECISION_ACTIONS)}")
        justification = checked_text(self.justification, "the justification")
        reference = checked_url(self.reference_url, "the reference")
        category = dismiss_reason = None
        if self.action == "confirm":
            if self.category not in CATEGORIES:
                raise InvalidInput(f"a confirmation needs a policy category: {', '.join(CATEGORIES)}")
            if not justification:
                raise InvalidInput("a confirmation needs a justification")
            category = self.category
        elif self.action == "dismiss":
            if self.dismiss_reason not in DISMISS_REASONS:
                raise InvalidInput(f"a dismissal needs a reason: {', '.join(DISMISS_REASONS)}")
            dismiss_reason = self.dismiss_reason
        return Choice(self.action, category, dismiss_reason, justification,
                      reference if self.action == "confirm" else None,
                      self.apply_to_cluster and self.action in ("confirm", "dismiss"))


@dataclass(frozen=True)
class LeftItem:
    """A sibling of a cluster decision that was left as it was, and why."""

    item_id: int
    refusal: Refused

    @property
    def reason(self) -> str:
        return str(self.refusal)


@dataclass(frozen=True)
class DecisionOutcome:
    item_id: int
    status: str
    action: str
    decision_ids: list[int]
    decided: list[int]  # item ids, the named item first
    left: list[LeftItem] = field(default_factory=list)

    def summary(self) -> str:
        """E.g. "3 decided, 1 left: #12: item 12 is claimed by lan until 14:05 UTC"."""
        text = f"{len(self.decided)} decided"
        if self.left:
            text += f", {len(self.left)} left: " + "; ".join(f"#{left.item_id}: {left.reason}" for left in self.left)
        return text


def _item(session: Session, item_id: int, *, lock: bool = False) -> QueueItem:
    item = None
    if valid_id(item_id):
        query = select(QueueItem).where(QueueItem.id == item_id)
        item = session.scalar(query.with_for_update().execution_options(populate_existing=True) if lock else query)
    if item is None:
        raise NotFound(f"there is no queue item #{item_id}")
    return item


def _person(user: User | None) -> User:
    if user is None:  # the permission table gives decisions to people only
        raise AssertionError("decisions are made by people")
    return user


def _locked(session: Session, item_id: int, *, cluster: bool) -> tuple[QueueItem, list[QueueItem]]:
    """The named item and (with ``cluster``) the open items of other posts in its cluster, all locked in id
    order, so two people deciding copies of one cluster at once queue instead of deadlocking."""
    item = _item(session, item_id)
    ids = [item.id]
    if cluster:
        cluster_id = session.scalar(select(Post.cluster_id).where(Post.id == item.post_id))
        if cluster_id is not None:
            ids += list(session.scalars(
                select(QueueItem.id).join(Post, Post.id == QueueItem.post_id)
                .where(Post.cluster_id == cluster_id, QueueItem.id != item.id, QueueItem.status.in_(OPEN_STATUSES))))
    rows = {row.id: row for row in session.scalars(
        select(QueueItem).where(QueueItem.id.in_(ids)).order_by(QueueItem.id).with_for_update()
        .execution_options(populate_existing=True))}
    if item.id not in rows:
        raise NotFound(f"there is no queue item #{item_id}")
    return rows[item.id], [rows[i] for i in sorted(ids[1:]) if i in rows]


def _sibling_refusal(session: Session, sibling: QueueItem, user_id: int, action: str,
                     now: datetime) -> Refused | None:
    if sibling.status != "pending":
        return WrongState(f"item {sibling.id} is {sibling.status}: decide it on its own", status=sibling.status)
    return decide_refusal(session, sibling, user_id, action, now)


def _write(session: Session, target: QueueItem, user: User, choice: Choice, now: datetime,
           via: int | None) -> Decision:
    supersedes = target.current_decision_id
    snapshot_id = target.verdict.snapshot_id
    decision = Decision(
        queue_item_id=target.id, post_id=target.post_id, snapshot_id=snapshot_id, user_id=user.id,
        action=choice.action, category=choice.category, dismiss_reason=choice.dismiss_reason,
        justification=choice.justification, reference_url=choice.reference_url, supersedes_id=supersedes,
        created_at=now,
    )
    session.add(decision)
    session.flush()
    target.assignee_id, target.lease_expires_at = None, None
    if choice.action != "skip":
        target.status = _STATUS_AFTER[choice.action]
        target.category = decision.category
        target.current_decision_id = decision.id
    record(session=session, actor=user.username, action=f"decision.{choice.action}", target_type="queue_item",
           target_id=target.id, decision_id=decision.id, category=decision.category,
           dismiss_reason=decision.dismiss_reason, via_cluster_of=via,
           reversal=bool(supersedes and choice.action == "dismiss"))
    return decision


def decide(db: Database, actor: Actor, item_id: int, choice: Choice, *, now: datetime | None = None
           ) -> DecisionOutcome:
    """Record a person's decision on an item and, with ``apply_to_cluster`` (confirm or dismiss), on every
    pending item of the same cluster that the same rules let this person decide; the others are left as they
    are and listed in the outcome. The named item itself must pass every rule, or nothing is written."""
    now = now or utcnow()
    with db.write() as session:
        user = _person(authorize(session, actor, "item.decide"))
        choice = choice.checked()
        item, siblings = _locked(session, item_id, cluster=choice.apply_to_cluster)
        refusal = decide_refusal(session, item, user.id, choice.action, now)
        if refusal is not None:
            raise refusal
        written = [_write(session, item, user, choice, now, None)]
        decided, left = [item.id], []
        for sibling in siblings:
            why = _sibling_refusal(session, sibling, user.id, choice.action, now)
            if why is not None:
                left.append(LeftItem(sibling.id, why))
                continue
            written.append(_write(session, sibling, user, choice, now, item.id))
            decided.append(sibling.id)
        return DecisionOutcome(item.id, item.status, choice.action, [d.id for d in written], decided, left)


def decide_block(session: Session, actor: Actor, item: QueueItem, *, now: datetime | None = None) -> str | None:
    """Why the decision form is not offered to ``actor`` on this item (None: it is). For the item page: the
    same checks ``decide`` makes, without writing anything."""
    if not allowed(actor.role, "item.decide") or actor.user_id is None:
        return "your role does not decide items"
    if item.status not in OPEN_STATUSES:
        return f"it is {item.status}"
    refusal = decide_refusal(session, item, actor.user_id, "confirm", now or utcnow())
    return None if refusal is None else str(refusal)


def claim_next(db: Database, actor: Actor, *, lease: timedelta, now: datetime | None = None) -> int | None:
    """Lease the most urgent item this person may decide (their own live lease first) for ``lease``; None when
    none is left. Items they skipped, or took part in the open case of (rule 2), are never offered. A
    conditional UPDATE makes two people racing for one item end with one winner."""
    now = now or utcnow()
    with db.write() as session:
        user = _person(authorize(session, actor, "item.claim"))
        mine = session.scalar(
            select(QueueItem).where(QueueItem.assignee_id == user.id, QueueItem.status.in_(OPEN_STATUSES),
                                    QueueItem.lease_expires_at > now).order_by(QueueItem.priority.desc()).limit(1))
        if mine is not None:
            mine.lease_expires_at = now + lease
            return mine.id
        free = or_(QueueItem.assignee_id.is_(None), QueueItem.lease_expires_at.is_(None),
                   QueueItem.lease_expires_at <= now)
        for _ in range(5):  # another person may win the race for the same row
            candidate = session.scalar(
                select(QueueItem.id).where(QueueItem.status.in_(OPEN_STATUSES), free, ~skipped_by(user.id),
                                           not_a_party(user.id))
                .order_by(QueueItem.priority.desc(), QueueItem.id).limit(1))
            if candidate is None:
                return None
            # __table__ is typed FromClause; QueueItem's is a Table. An UPDATE gives a CursorResult (rowcount).
            table = cast(Table, QueueItem.__table__)
            won = cast(CursorResult[Any], session.execute(
                table.update().where(QueueItem.id == candidate, free)
                .values(assignee_id=user.id, lease_expires_at=now + lease))).rowcount
            if won:
                record(session=session, actor=user.username, action="queue.claim", target_type="queue_item",
                       target_id=candidate)
                return candidate
        return None


def release(db: Database, actor: Actor, item_id: int, *, now: datetime | None = None) -> bool:
    """Give an item this person holds back to the queue. False when nobody held it; LeaseHeld when someone
    else does."""
    now = now or utcnow()
    with db.write() as session:
        user = _person(authorize(session, actor, "item.claim"))
        item = _item(session, item_id, lock=True)
        held = lease_holder(session, item, now)
        if held is None:
            return False
        if held[0] != user.id:
            raise LeaseHeld(item.id, held[1], held[2])
        item.assignee_id, item.lease_expires_at = None, None
        record(session=session, actor=user.username, action="queue.release", target_type="queue_item",
               target_id=item.id)
        return True


def appeal(db: Database, actor: Actor, item_id: int, reason: str, *, now: datetime | None = None) -> int:
    """Reopen a confirmed item with a reason; a person who took no part in the case then decides it again.
    Returns the appeal's decision id."""
    now = now or utcnow()
    with db.write() as session:
        user = _person(authorize(session, actor, "item.appeal"))
        reason = checked_text(reason, "the reason")
        if not reason:
            raise InvalidInput("an appeal needs a reason")
        item = _item(session, item_id, lock=True)
        if item.status != "confirmed":
            raise WrongState(f"only confirmed items can be appealed; item {item.id} is {item.status}",
                             status=item.status)
        decision = Decision(queue_item_id=item.id, post_id=item.post_id, snapshot_id=item.verdict.snapshot_id,
                            user_id=user.id, action="appeal", justification=reason,
                            supersedes_id=item.current_decision_id, created_at=now)
        session.add(decision)
        session.flush()
        item.status = "appealed"
        record(session=session, actor=user.username, action="decision.appeal", target_type="queue_item",
               target_id=item.id, decision_id=decision.id, reason=reason)
        return decision.id
