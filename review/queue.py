"""The review queue: flagged posts wait here for a person. Putting a post in the queue is the system's part
(inside ingest's transaction); what people do with it is in ``review.decisions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from review.policy import OPEN_STATUSES
from review.priority import PriorityWeights, priority
from review.webhooks import emit
from store.audit import record
from store.models import Post, QueueItem, Verdict

__all__ = ["QueueRow", "enqueue", "list_queue"]


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
        emit(session, "item.flagged", {"item_id": item.id, "post_id": post.id, "url": post.url,
                                       "score": round(verdict.score, 4)}, score=verdict.score)
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
