"""The reviewers' queue: escalated and appealed items, each with the note that sent it there (the escalation
note or the appeal reason), who wrote it and when. Read-only; reviewers decide through ``review.decisions``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from review.policy import REDECIDED_STATUSES
from review.rules import not_undone
from store.models import Decision, Post, QueueItem, Source, User, Verdict
from store.types import utcnow

__all__ = ["Case", "CasesPage", "open_cases"]


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


@dataclass(frozen=True)
class CasesPage:
    cases: list[Case]
    total: int


def open_cases(*, session: Session, limit: int = 200) -> CasesPage:
    """Escalated and appealed items, most urgent first (the order "Next case" hands them out in)."""
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
    total = session.scalar(select(func.count()).select_from(QueueItem)
                           .where(QueueItem.status.in_(REDECIDED_STATUSES))) or 0
    cases = []
    now = utcnow()
    for item, post, verdict, source_name, assignee in rows:
        by, at, note = opened.get(item.id, (None, None, ""))
        live = item.lease_expires_at is not None and item.lease_expires_at > now
        cases.append(Case(item, post, verdict, source_name, by, at, note, assignee if live else None))
    return CasesPage(cases, total)
