"""The reviewers' queue: escalated, appealed and changed items, each with what sent it there: the escalation
note or the appeal reason, who wrote it and when; for a ``changed`` item, the re-check that found the post's text
changed since its takedown was sent (when, and which request). Read-only; reviewers decide through
``review.decisions``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from review.policy import REDECIDED_STATUSES
from review.rules import not_undone
from store.models import Decision, Post, QueueItem, Source, TakedownCheck, TakedownRequest, User, Verdict
from store.types import utcnow

__all__ = ["Case", "CasesPage", "ChangedText", "open_cases"]


@dataclass(frozen=True)
class ChangedText:
    """The latest re-check that found a ``changed`` item's post text changed since its takedown was sent."""

    checked_at: datetime
    request_id: int
    recipient: str


@dataclass(frozen=True)
class Case:
    item: QueueItem
    post: Post
    verdict: Verdict
    source_name: str | None
    opened_by: str | None  # who escalated or appealed it
    opened_at: datetime | None
    note: str  # the escalation note or the appeal reason
    assignee: str | None
    changed: ChangedText | None = None  # for a ``changed`` item


@dataclass(frozen=True)
class CasesPage:
    cases: list[Case]
    total: int


def open_cases(*, session: Session, limit: int = 200) -> CasesPage:
    """Escalated, appealed and changed items, most urgent first (the order "Next case" hands them out in)."""
    rows = session.execute(
        select(QueueItem, Post, Verdict, Source.name, User.username)
        .join(Post, Post.id == QueueItem.post_id)
        .join(Verdict, Verdict.id == QueueItem.verdict_id)
        .outerjoin(Source, Source.id == Post.source_id)
        .outerjoin(User, User.id == QueueItem.assignee_id)
        .where(QueueItem.status.in_(REDECIDED_STATUSES))
        .order_by(QueueItem.priority.desc(), QueueItem.id).limit(limit)
    ).all()
    ids = [item.id for item, *_ in rows]
    opened: dict[int, tuple[str, datetime, str]] = {}
    if ids:
        for decision, username in session.execute(
                select(Decision, User.username).join(User, User.id == Decision.user_id)
                .where(Decision.queue_item_id.in_(ids), Decision.action.in_(("appeal", "escalate")),
                       not_undone(Decision))
                .order_by(Decision.id)):
            opened[decision.queue_item_id] = (username, decision.created_at, decision.justification)
    changed = _changed(session, [item.post_id for item, *_ in rows if item.status == "changed"])
    total = session.scalar(select(func.count()).select_from(QueueItem)
                           .where(QueueItem.status.in_(REDECIDED_STATUSES))) or 0
    cases = []
    now = utcnow()
    for item, post, verdict, source_name, assignee in rows:
        by, at, note = opened.get(item.id, (None, None, ""))
        live = item.lease_expires_at is not None and item.lease_expires_at > now
        cases.append(Case(item, post, verdict, source_name, by, at, note, assignee if live else None,
                          changed.get(item.post_id)))
    return CasesPage(cases, total)


def _changed(session: Session, post_ids: list[int]) -> dict[int, ChangedText]:
    """For each post, the latest re-check of its takedown requests that found its text changed (one query)."""
    found: dict[int, ChangedText] = {}
    if post_ids:
        for post_id, checked_at, request_id, recipient in session.execute(
                select(TakedownRequest.post_id, TakedownCheck.checked_at, TakedownRequest.id, TakedownRequest.recipient)
                .join(TakedownRequest, TakedownRequest.id == TakedownCheck.request_id)
                .where(TakedownRequest.post_id.in_(post_ids), TakedownCheck.outcome == "changed")
                .order_by(TakedownCheck.id)):
            found[post_id] = ChangedText(checked_at, request_id, recipient)
    return found
