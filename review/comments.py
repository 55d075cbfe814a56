"""Comments on a queued item: a thread people keep about the post while they decide (what they checked, whom
they asked). Audited, shown on the item page and in the API, never exported, never edited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from review.actors import Actor, authorize
from review.errors import InvalidInput, NotFound
from review.inputs import checked_text
from store.audit import record
from store.db import Database
from store.models import ItemComment, QueueItem, User
from store.types import utcnow, valid_id

__all__ = ["MAX_COMMENT", "Comment", "add_comment", "comments_on"]

MAX_COMMENT = 2000


@dataclass(frozen=True)
class Comment:
    id: int
    item_id: int
    username: str
    text: str
    created_at: datetime


def comments_on(session: Session, item_id: int) -> list[Comment]:
    """The item's comments, oldest first."""
    rows = session.execute(select(ItemComment, User.username).join(User, User.id == ItemComment.user_id)
                           .where(ItemComment.queue_item_id == item_id).order_by(ItemComment.id))
    return [Comment(c.id, c.queue_item_id, name, c.body, c.created_at) for c, name in rows]


def add_comment(db: Database, actor: Actor, item_id: int, text: str, *, now: datetime | None = None) -> Comment:
    """Add a comment to an item's thread (about the post, not about a person)."""
    with db.write() as session:
        user = authorize(session, actor, "item.comment")
        if user is None:  # the table gives comments to people only
            raise AssertionError("comments are written by people")
        body = checked_text(text, "the comment", max_length=MAX_COMMENT)
        if not body:
            raise InvalidInput("a comment needs some text")
        if not valid_id(item_id) or session.get(QueueItem, item_id) is None:
            raise NotFound("there is no queue item #%(item_id)s", item_id=item_id)
        comment = ItemComment(queue_item_id=item_id, user_id=user.id, body=body, created_at=now or utcnow())
        session.add(comment)
        session.flush()
        record(session=session, actor=user.username, action="comment.add", target_type="queue_item",
               target_id=item_id, comment_id=comment.id, text=body)
        return Comment(comment.id, item_id, user.username, body, comment.created_at)
