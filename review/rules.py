"""The rules for deciding a queued item, written once: the decide action enforces them, "Next item" never
offers an item they forbid, and the item page hides its form with the reason they give.

0. Analysts (and admins) decide pending items; reviewers (and admins) decide escalated, appealed and changed
   items (a confirmed item whose sent takedown's post a re-check found changed), the reviewers' queue. An
   escalation asks for someone with more authority, so it never lands back with analysts.
1. Only the lease holder decides an item, or anybody when no lease is live.
2. An item being decided again (appealed, escalated or changed) is decided by a person who took no part in its open
   case: not whoever confirmed or dismissed it last, nor whoever appealed or escalated it since.
3. Only open items (pending, escalated, appealed, changed) are decided; a person skips an item once.

The "open case" of an item starts at its last confirmation or dismissal (or at its first flag when it has none):
a re-decision upheld by D and appealed again by E excludes D and E, not the people of the case before.
A decision that was undone counts for nothing: neither does it start a case nor make its maker a party.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from review.actors import not_allowed
from review.errors import LeaseHeld, NotAllowed, NotAnotherPerson, Refused, WrongState
from review.permissions import allowed
from review.policy import OPEN_STATUSES, REDECIDED_STATUSES
from store.models import Decision, QueueItem, User

__all__ = [
    "DECIDE_PERMISSIONS",
    "FINAL_ACTIONS",
    "PARTY_ACTIONS",
    "decide_permission",
    "decide_refusal",
    "lease_holder",
    "not_a_party",
    "not_undone",
    "party_action",
    "role_refusal",
    "skipped_by",
]

FINAL_ACTIONS = ("confirm", "dismiss")
PARTY_ACTIONS = ("confirm", "dismiss", "appeal", "escalate")
DECIDE_PERMISSIONS = ("item.decide", "case.decide")  # who decides anything at all


def decide_permission(status: str) -> str:
    """The permission that decides an item in ``status`` (rule 0): the reviewers' queue or the analysts'."""
    return "case.decide" if status in REDECIDED_STATUSES else "item.decide"


def role_refusal(name: str, role: str, item: QueueItem) -> NotAllowed | None:
    """Why the person ``name`` of ``role`` may not decide this open item (rule 0), or None."""
    if item.status not in OPEN_STATUSES:
        return None
    permission = decide_permission(item.status)
    return None if allowed(role, permission) else not_allowed(name, role, permission)


def not_undone(decision: Any) -> ColumnElement[bool]:
    """SQL condition on a Decision (alias): no undo row supersedes it."""
    undo = aliased(Decision)
    return ~exists().where(undo.queue_item_id == decision.queue_item_id, undo.supersedes_id == decision.id,
                           undo.action == "undo")


def _case_decisions(item_id: Any, user_id: Any) -> Any:
    """Decisions by ``user_id`` that make them a party of the item's open case (both may be SQL columns)."""
    mine, last = aliased(Decision), aliased(Decision)
    case_start = select(func.coalesce(func.max(last.id), 0)).where(
        last.queue_item_id == item_id, last.action.in_(FINAL_ACTIONS), not_undone(last)).scalar_subquery()
    return mine, (mine.queue_item_id == item_id) & (mine.user_id == user_id) & mine.action.in_(PARTY_ACTIONS) & (
        mine.id >= case_start) & not_undone(mine)


def not_a_party(user_id: int) -> ColumnElement[bool]:
    """SQL condition on QueueItem rows: rule 2 allows ``user_id`` to decide the item."""
    _mine, condition = _case_decisions(QueueItem.id, user_id)
    return or_(QueueItem.status.not_in(REDECIDED_STATUSES), ~exists().where(condition))


def party_action(session: Session, item: QueueItem, user_id: int) -> str | None:
    """What ``user_id`` did in the item's open case (confirm, dismiss, appeal, escalate), or None."""
    mine, condition = _case_decisions(item.id, user_id)
    return session.scalar(select(mine.action).where(condition).order_by(mine.id.desc()).limit(1))


def lease_holder(session: Session, item: QueueItem, now: datetime) -> tuple[int, str, datetime] | None:
    """(user id, username, until) of a live lease on the item, or None."""
    if item.assignee_id is None or item.lease_expires_at is None or item.lease_expires_at <= now:
        return None
    name = session.scalar(select(User.username).where(User.id == item.assignee_id)) or f"user #{item.assignee_id}"
    return item.assignee_id, name, item.lease_expires_at


def skipped_by(user_id: int) -> ColumnElement[bool]:
    """SQL condition on QueueItem rows: ``user_id`` has skipped the item."""
    return exists().where(and_(Decision.queue_item_id == QueueItem.id, Decision.user_id == user_id,
                               Decision.action == "skip"))


def decide_refusal(session: Session, item: QueueItem, user_id: int, action: str, now: datetime) -> Refused | None:
    """Why ``user_id`` may not take ``action`` (confirm, dismiss, escalate, skip) on ``item`` now, or None."""
    if item.status not in OPEN_STATUSES:
        return WrongState("item %(id)s is %(status)s; appeal it to have it decided again", id=item.id,
                          status=item.status)
    held = lease_holder(session, item, now)
    if held is not None and held[0] != user_id:
        return LeaseHeld(item.id, held[1], held[2])
    if action == "skip":
        already = session.scalar(select(exists().where(Decision.queue_item_id == item.id, Decision.user_id == user_id,
                                                       Decision.action == "skip")))
        return WrongState("you skipped item %(id)s already", id=item.id) if already else None
    if item.verdict.explain_pending:  # service.explain.ensure_explained computes it before the form is shown
        return WrongState("the evidence of item %(id)s is still being computed: open it again", id=item.id)
    if item.status in REDECIDED_STATUSES:
        took_part = party_action(session, item, user_id)
        if took_part is not None:
            return NotAnotherPerson(item.id, item.status, took_part)
    return None
