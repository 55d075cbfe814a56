"""Reviewers' decisions as labelled examples for ``kiemtin train --include-decisions``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifier import LabelledExample
from store.models import Decision, Post, QueueItem, Snapshot

__all__ = ["NEGATIVE_REASONS", "decision_examples"]

NEGATIVE_REASONS = ("accurate", "opinion", "satire")  # "not Vietnamese" and "other" teach the model nothing


def decision_examples(*, session: Session) -> list[LabelledExample]:
    """The current decision of every decided item: confirmed -> 1 (with its category), dismissed -> 0; each
    example's ``ref`` is ``"item:<queue item id>"`` so an explanation can link to it."""
    rows = session.execute(
        select(Decision, Snapshot, Post, QueueItem.id)
        .join(QueueItem, QueueItem.current_decision_id == Decision.id)
        .join(Snapshot, Snapshot.id == Decision.snapshot_id)
        .join(Post, Post.id == Decision.post_id)
        .where(QueueItem.status.in_(("confirmed", "dismissed")))
        .order_by(Decision.id)
    ).all()
    examples = []
    for decision, snapshot, post, item_id in rows:
        if decision.action == "confirm":
            label = 1
        elif decision.action == "dismiss" and decision.dismiss_reason in NEGATIVE_REASONS:
            label = 0
        else:
            continue
        examples.append(LabelledExample(
            text=snapshot.text, label=label, like_count=post.like_count, comment_count=post.comment_count,
            share_count=post.share_count, published_at=post.published_at, category=decision.category,
            origin="review", ref=f"item:{item_id}",
        ))
    return examples
