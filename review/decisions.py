"""The actions people take on flagged posts: claim the next item (or the next escalation or appeal), decide
(confirm, dismiss, escalate, skip), decide a whole cluster, undo a decision, appeal, release. Each opens its own
transaction, checks the actor and every rule (``review.rules``), writes Decision rows (never updated) and the
audit log, and raises a named ``review.errors`` exception a page, the API or the command line can show.

Concurrent clicks on the same item end with one decision: the items are locked (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers) before their state is checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, or_, select
from sqlalchemy.orm import Session

from review.actors import Actor, authorize, authorize_any
from review.errors import ActionError, InvalidInput, LeaseHeld, NotAllowed, NotFound, Refused, WrongState
from review.inputs import checked_text, checked_url
from review.permissions import allowed
from review.policy import (
    CATEGORIES,
    DECISION_ACTIONS,
    DISMISS_REASONS,
    OPEN_STATUSES,
    REDECIDED_STATUSES,
    UNDOABLE_ACTIONS,
)
from review.rules import (
    DECIDE_PERMISSIONS,
    FINAL_ACTIONS,
    decide_refusal,
    lease_holder,
    not_a_party,
    role_refusal,
    skipped_by,
)
from review.takedowns import changed_snapshot, set_needs_decision
from review.webhooks import emit
from store.audit import record
from store.db import Database
from store.models import Decision, ExportItem, Post, QueueItem, TakedownRequest, User
from store.types import utcnow, valid_id

__all__ = [
    "Choice",
    "DecisionOutcome",
    "LeftItem",
    "appeal",
    "changed_text",
    "claim_next",
    "decide",
    "decide_block",
    "decide_refusal_for",
    "release",
    "summarize",
    "undo",
    "undo_deadline",
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
            raise InvalidInput("unknown action %(action)r; choose one of: %(choices)s", action=self.action,
                               choices=", ".join(DECISION_ACTIONS))
        justification = checked_text(self.justification, "the justification")
        reference = checked_url(self.reference_url, "the reference")
        category = dismiss_reason = None
        if self.action == "confirm":
            if self.category not in CATEGORIES:
                raise InvalidInput("a confirmation needs a policy category: %(choices)s",
                                   choices=", ".join(CATEGORIES))
            if not justification:
                raise InvalidInput("a confirmation needs a justification")
            category = self.category
        elif self.action == "dismiss":
            if self.dismiss_reason not in DISMISS_REASONS:
                raise InvalidInput("a dismissal needs a reason: %(choices)s", choices=", ".join(DISMISS_REASONS))
            dismiss_reason = self.dismiss_reason
        elif self.action == "escalate" and not justification:
            raise InvalidInput("an escalation needs a note: say what the reviewer should look at")
        return Choice(self.action, category, dismiss_reason, justification,
                      reference if self.action == "confirm" else None,
                      self.apply_to_cluster and self.action in ("confirm", "dismiss"))


@dataclass(frozen=True)
class LeftItem:
    """An item a cluster, bulk or undo action left as it was, and why."""

    item_id: int
    refusal: ActionError

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
    status_before: str = ""  # the named item's status before: "pending", or a case ("escalated", "appealed",
    # "changed")

    def summary(self) -> str:
        return summarize(self.decided, self.left)


def summarize(decided: list[int], left: list[LeftItem]) -> str:
    """E.g. "3 decided, 1 left: #12: item 12 is claimed by lan until 14:05 UTC"."""
    text = f"{len(decided)} decided"
    if left:
        text += f", {len(left)} left: " + "; ".join(f"#{item.item_id}: {item.reason}" for item in left)
    return text


def _item(session: Session, item_id: int, *, lock: bool = False) -> QueueItem:
    item = None
    if valid_id(item_id):
        query = select(QueueItem).where(QueueItem.id == item_id)
        item = session.scalar(query.with_for_update().execution_options(populate_existing=True) if lock else query)
    if item is None:
        raise NotFound("there is no queue item #%(item_id)s", item_id=item_id)
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
        raise NotFound("there is no queue item #%(item_id)s", item_id=item_id)
    return rows[item.id], [rows[i] for i in sorted(ids[1:]) if i in rows]


def _sibling_refusal(session: Session, sibling: QueueItem, user: User, action: str,
                     now: datetime) -> ActionError | None:
    if sibling.status != "pending":
        return WrongState("item %(id)s is %(status)s: decide it on its own", id=sibling.id, status=sibling.status)
    return role_refusal(user.username, user.role, sibling) or decide_refusal(session, sibling, user.id, action, now)


def changed_text(session: Session, item: QueueItem) -> int | None:
    """The snapshot of the changed text a person decides on when a re-check found the post of this item's sent
    takedown changed and nobody has decided since (the item is ``changed``, or escalated or appealed from
    there), else None."""
    if item.status not in REDECIDED_STATUSES:
        return None
    waiting = session.scalar(select(TakedownRequest.id).where(
        TakedownRequest.post_id == item.post_id, TakedownRequest.needs_decision.is_(True)).limit(1))
    return changed_snapshot(session, item.post_id) if waiting is not None else None


def _write(session: Session, target: QueueItem, user: User, choice: Choice, now: datetime,
           via: Decision | None) -> Decision:
    supersedes = target.current_decision_id
    changed = changed_text(session, target)
    snapshot_id = changed or target.verdict.snapshot_id
    decision = Decision(
        queue_item_id=target.id, post_id=target.post_id, snapshot_id=snapshot_id, user_id=user.id,
        action=choice.action, category=choice.category, dismiss_reason=choice.dismiss_reason,
        justification=choice.justification, reference_url=choice.reference_url, supersedes_id=supersedes,
        status_before=target.status, cluster_of_id=via.id if via is not None else None, created_at=now,
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
           dismiss_reason=decision.dismiss_reason, via_cluster_of=via.queue_item_id if via is not None else None,
           reversal=bool(supersedes and choice.action == "dismiss"),
           note=choice.justification if choice.action == "escalate" else None)
    if changed is not None and choice.action in FINAL_ACTIONS:
        set_needs_decision(session, post_id=target.post_id, value=False, actor=user.username, item_id=target.id,
                           decision_id=decision.id)
    if choice.action == "confirm":  # who confirmed is not sent: events are about posts, not people
        emit(session, "item.confirmed", {"item_id": target.id, "post_id": target.post_id,
                                         "category": decision.category, "decision_id": decision.id})
    return decision


def decide(db: Database, actor: Actor, item_id: int, choice: Choice, *, now: datetime | None = None
           ) -> DecisionOutcome:
    """Record a person's decision on an item and, with ``apply_to_cluster`` (confirm or dismiss), on every
    pending item of the same cluster that the same rules let this person decide; the others are left as they
    are and listed in the outcome. The named item itself must pass every rule, or nothing is written."""
    now = now or utcnow()
    with db.write() as session:
        user = _person(authorize_any(session, actor, DECIDE_PERMISSIONS))
        choice = choice.checked()
        item, siblings = _locked(session, item_id, cluster=choice.apply_to_cluster)
        refusal = role_refusal(user.username, user.role, item) or decide_refusal(session, item, user.id, choice.action,
                                                                           now)
        if refusal is not None:
            raise refusal
        status_before = item.status
        first = _write(session, item, user, choice, now, None)
        written = [first]
        decided, left = [item.id], []
        for sibling in siblings:
            why = _sibling_refusal(session, sibling, user, choice.action, now)
            if why is not None:
                left.append(LeftItem(sibling.id, why))
                continue
            written.append(_write(session, sibling, user, choice, now, first))
            decided.append(sibling.id)
        return DecisionOutcome(item.id, item.status, choice.action, [d.id for d in written], decided, left,
                               status_before)


def decide_refusal_for(session: Session, actor: Actor, item: QueueItem, *,
                       now: datetime | None = None) -> ActionError | None:
    """Why the decision form is not offered to ``actor`` on this item (None: it is). For the item page: the
    same checks ``decide`` makes, without writing anything."""
    if actor.user_id is None or not any(allowed(actor.role, p) for p in DECIDE_PERMISSIONS):
        return NotAllowed("your role does not decide items")
    if item.status not in OPEN_STATUSES:
        return WrongState("it is %(status)s", status=item.status)
    return role_refusal(actor.name, actor.role, item) or decide_refusal(session, item, actor.user_id, "confirm",
                                                                        now or utcnow())


def decide_block(session: Session, actor: Actor, item: QueueItem, *, now: datetime | None = None) -> str | None:
    """``decide_refusal_for`` as a sentence (the JSON API's ``decide_block``)."""
    refusal = decide_refusal_for(session, actor, item, now=now)
    return None if refusal is None else str(refusal)


def claim_next(db: Database, actor: Actor, *, lease: timedelta, now: datetime | None = None,
               cases: bool = False) -> int | None:
    """Lease the most urgent item this person may decide (their own live lease first) for ``lease``; None when
    none is left. Pending items from the analysts' queue, or with ``cases`` escalated and appealed items from the
    reviewers' queue. Items they skipped, or took part in the open case of (rule 2), are never offered. A
    conditional UPDATE makes two people racing for one item end with one winner."""
    now = now or utcnow()
    statuses = REDECIDED_STATUSES if cases else ("pending",)
    with db.write() as session:
        user = _person(authorize(session, actor, "case.decide" if cases else "item.claim"))
        mine = session.scalar(
            select(QueueItem).where(QueueItem.assignee_id == user.id, QueueItem.status.in_(statuses),
                                    QueueItem.lease_expires_at > now).order_by(QueueItem.priority.desc()).limit(1))
        if mine is not None:
            mine.lease_expires_at = now + lease
            return mine.id
        free = or_(QueueItem.assignee_id.is_(None), QueueItem.lease_expires_at.is_(None),
                   QueueItem.lease_expires_at <= now)
        for _ in range(5):  # another person may win the race for the same row
            candidate = session.scalar(
                select(QueueItem.id).where(QueueItem.status.in_(statuses), free, ~skipped_by(user.id),
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
        user = _person(authorize_any(session, actor, ("item.claim", "case.decide")))
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
            raise WrongState("only confirmed items can be appealed; item %(id)s is %(now)s", id=item.id,
                             now=item.status, status=item.status)
        decision = Decision(queue_item_id=item.id, post_id=item.post_id, snapshot_id=item.verdict.snapshot_id,
                            user_id=user.id, action="appeal", justification=reason,
                            supersedes_id=item.current_decision_id, created_at=now)
        session.add(decision)
        session.flush()
        item.status = "appealed"
        record(session=session, actor=user.username, action="decision.appeal", target_type="queue_item",
               target_id=item.id, decision_id=decision.id, reason=reason)
        return decision.id


def _latest(session: Session, item_id: int) -> Decision | None:
    """The item's latest decision that changed something (skips leave the item as it was)."""
    return session.scalar(select(Decision).where(Decision.queue_item_id == item_id, Decision.action != "skip")
                          .order_by(Decision.id.desc()).limit(1))


def undo_deadline(session: Session, actor: Actor, item: QueueItem, window: timedelta,
                  now: datetime | None = None) -> datetime | None:
    """Until when ``actor`` may undo the item's latest decision (None: they may not now), for the item page."""
    now = now or utcnow()
    decision = _latest(session, item.id)
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if decision is None or user is None or _undo_refusal(session, item, decision, user, window, now) is not None:
        return None
    return decision.created_at + window


def _undo_refusal(session: Session, item: QueueItem, decision: Decision | None, user: User, window: timedelta,
                  now: datetime) -> Refused | None:
    """Why ``user`` may not undo ``decision`` (the item's latest) now, or None."""
    if decision is None or decision.action not in UNDOABLE_ACTIONS or item.current_decision_id != decision.id:
        return WrongState("item %(id)s has no confirmation, dismissal or escalation to undo", id=item.id,
                          status=item.status)
    if decision.user_id != user.id:
        name = session.scalar(select(User.username).where(User.id == decision.user_id))
        return Refused("only %(name)s can undo their decision on item %(id)s", name=name, id=item.id)
    if window <= timedelta(0):
        return Refused("undo is turned off (the undo_seconds setting is 0)")
    if now - decision.created_at > window:
        return Refused("the decision on item %(id)s can no longer be undone (it is more than %(n)s seconds old); "
                       "appeal it instead", id=item.id, n=int(window.total_seconds()))
    export_id = session.scalar(select(ExportItem.export_id).where(ExportItem.decision_id == decision.id).limit(1))
    if export_id is not None:
        return Refused("the decision on item %(id)s went out in export #%(export)s; appeal it instead", id=item.id,
                       export=export_id)
    if decision.status_before not in OPEN_STATUSES:
        return WrongState("the decision on item %(id)s was made before undo existed; appeal it instead", id=item.id)
    held = lease_holder(session, item, now)
    if held is not None and held[0] != user.id:
        return LeaseHeld(item.id, held[1], held[2])
    return None


def _put_back(session: Session, item: QueueItem, decision: Decision, user: User, now: datetime,
              lease: timedelta | None) -> Decision:
    """Write the undo row and give the item the status, category and current decision it had before."""
    undone = Decision(queue_item_id=item.id, post_id=item.post_id, snapshot_id=decision.snapshot_id,
                      user_id=user.id, action="undo", supersedes_id=decision.id, status_before=item.status,
                      created_at=now)
    session.add(undone)
    session.flush()
    previous = session.get(Decision, decision.supersedes_id) if decision.supersedes_id else None
    item.status = decision.status_before or "pending"
    item.current_decision_id = decision.supersedes_id
    item.category = previous.category if previous is not None else None
    item.assignee_id, item.lease_expires_at = (user.id, now + lease) if lease else (None, None)
    record(session=session, actor=user.username, action="decision.undo", target_type="queue_item",
           target_id=item.id, decision_id=undone.id, undid=decision.action, undone_decision_id=decision.id,
           status=item.status)
    if (decision.action in FINAL_ACTIONS and item.status in REDECIDED_STATUSES
            and decision.snapshot_id is not None and decision.snapshot_id == changed_snapshot(session, item.post_id)):
        set_needs_decision(session, post_id=item.post_id, value=True, actor=user.username, item_id=item.id,
                           decision_id=undone.id)  # it was the decision on the changed text: wait for one again
    return undone


def undo(db: Database, actor: Actor, item_id: int, *, window: timedelta, lease: timedelta | None = None,
         now: datetime | None = None) -> DecisionOutcome:
    """Undo the item's latest confirmation, dismissal or escalation: only the person who made it, only within
    ``window`` of it, and never once it went out in an export. The undo is a new decision row (action ``undo``)
    that puts the item back as it was; with ``lease`` the item is then held for this person. Copies decided with
    it through "apply to the whole cluster" are put back too, each only while it is still as that decision left
    it (the others are listed in the outcome)."""
    now = now or utcnow()
    with db.write() as session:
        user = _person(authorize_any(session, actor, DECIDE_PERMISSIONS))
        item = _item(session, item_id, lock=True)
        decision = _latest(session, item.id)
        refusal = _undo_refusal(session, item, decision, user, window, now)
        if refusal is not None:
            raise refusal
        assert decision is not None
        status_before = item.status
        written = [_put_back(session, item, decision, user, now, lease)]
        decided, left = [item.id], []
        copies = session.scalars(select(Decision).where(Decision.cluster_of_id == decision.id).order_by(
            Decision.queue_item_id))
        for copy in list(copies):
            sibling = _item(session, copy.queue_item_id, lock=True)
            latest = _latest(session, sibling.id)
            why = (WrongState("item %(id)s changed since: it is %(status)s", id=sibling.id, status=sibling.status)
                   if latest is None or latest.id != copy.id else
                   _undo_refusal(session, sibling, copy, user, window, now))
            if why is not None:
                left.append(LeftItem(sibling.id, why))
                continue
            written.append(_put_back(session, sibling, copy, user, now, None))
            decided.append(sibling.id)
        return DecisionOutcome(item.id, item.status, "undo", [d.id for d in written], decided, left, status_before)
