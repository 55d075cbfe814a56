"""The review queue: flagged posts wait here for a person. Putting a post in the queue is the system's part
(inside ingest's transaction); what people do with it is in ``review.decisions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from review.policy import OPEN_STATUSES
from review.priority import PriorityWeights, priority
from review.webhooks import emit, emit_many
from store.audit import record, record_many
from store.bulk import insert_rows, one_of, update_rows
from store.models import Post, QueueItem, Verdict
from store.types import utcnow

__all__ = ["Flag", "QueueRow", "enqueue", "enqueue_many", "list_queue", "reopen_changed"]


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


@dataclass(frozen=True)
class Flag:
    """A flagged post for ``enqueue_many``: its verdict and the post's figures that set priority
    (``published_at``: the post's, else when it was first seen, as ``enqueue`` takes it)."""

    post_id: int
    verdict_id: int
    score: float
    threshold: float
    model_version: str
    like_count: int | None
    comment_count: int | None
    share_count: int | None
    published_at: datetime | None


def enqueue_many(*, session: Session, flags: Sequence[Flag], weights: PriorityWeights = PriorityWeights()) -> int:
    """``enqueue`` for many flagged posts at once (one SELECT, one INSERT, one UPDATE, one audit INSERT):
    new items are audited as ``queue.flag``; items still open get the new evidence; decided items are left
    alone. Returns how many items were created."""
    if not flags:
        return 0
    values = {
        f.post_id: priority(score=f.score, threshold=f.threshold, like_count=f.like_count,
                            comment_count=f.comment_count, share_count=f.share_count,
                            published_at=f.published_at, weights=weights)
        for f in flags
    }
    existing: dict[int, tuple[int, str]] = {
        post_id: (item_id, status) for post_id, item_id, status in session.execute(
            select(QueueItem.post_id, QueueItem.id, QueueItem.status).where(one_of(session, QueueItem.post_id,
                                                                                   list(values))))}
    fresh = [f for f in flags if f.post_id not in existing]
    refresh = [f for f in flags if f.post_id in existing and existing[f.post_id][1] in OPEN_STATUSES]
    items = cast(Table, QueueItem.__table__)
    now = utcnow()
    update_rows(session, items, [
        {"id": existing[f.post_id][0], "verdict_id": f.verdict_id, "priority": values[f.post_id],
         "score": f.score, "updated_at": now} for f in refresh])
    if fresh:
        created = insert_rows(session, items, [
            {"post_id": f.post_id, "verdict_id": f.verdict_id, "priority": values[f.post_id], "score": f.score,
             "status": "pending", "created_at": now, "updated_at": now} for f in fresh],
            returning=[items.c.id, items.c.post_id])
        item_of = {post_id: item_id for item_id, post_id in created}
        record_many(session=session, actor="system", action="queue.flag", target_type="queue_item", entries=[
            (item_of[f.post_id], {"post_id": f.post_id, "score": round(f.score, 4), "model_version": f.model_version})
            for f in fresh])
        urls = dict(session.execute(
            select(Post.id, Post.url).where(one_of(session, Post.id, [f.post_id for f in fresh]))).all())
        emit_many(session, "item.flagged", [
            ({"item_id": item_of[f.post_id], "post_id": f.post_id, "url": urls.get(f.post_id),
              "score": round(f.score, 4)}, f.score) for f in fresh])
    return len(fresh)


def reopen_changed(*, session: Session, post_id: int, snapshot_id: int | None, request_id: int,
                   actor: str = "system") -> int | None:
    """A re-check of a sent takedown found the post's text changed: put its confirmed item back in the queue as
    ``changed``, for a person outside the case to decide again on the text seen (``snapshot_id``). Only the
    status moves (the confirmation stays the current decision until a person decides; nothing is sent);
    audited as ``queue.reopen``. Returns the item's id, or None when it was not confirmed (an open item is
    already waiting for a person; a dismissed one has no takedown to stand by)."""
    item = session.scalar(select(QueueItem).where(QueueItem.post_id == post_id).with_for_update())
    if item is None or item.status != "confirmed":
        return None
    item.status, item.assignee_id, item.lease_expires_at = "changed", None, None
    record(session=session, actor=actor, action="queue.reopen", target_type="queue_item", target_id=item.id,
           post_id=post_id, snapshot_id=snapshot_id, takedown_request_id=request_id, before="confirmed",
           after="changed", reason="the post's text changed since its takedown was sent: a person decides again")
    return item.id


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
