"""Confirm or dismiss many items at once: a filtered selection of the queue (or a list of ids), each item through
the same decide action and rules as one at a time, in its own transaction. Items a rule refuses are left as they
were and listed with the reason, as a cluster decision lists them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from review.actors import Actor, authorize
from review.browse import QueueFilters, QueueRow, queue_page
from review.decisions import Choice, LeftItem, decide, summarize
from review.errors import ActionError, InvalidInput
from store.db import Database
from store.types import utcnow

__all__ = ["BULK_ACTIONS", "MAX_BULK", "BulkOutcome", "decide_many", "preview_bulk", "selection"]

MAX_BULK = 200  # items one bulk decision may take; a larger selection is refused: narrow the filters
BULK_ACTIONS = ("confirm", "dismiss")


@dataclass(frozen=True)
class BulkOutcome:
    action: str
    decided: list[int]
    left: list[LeftItem] = field(default_factory=list)

    def summary(self) -> str:
        return summarize(self.decided, self.left)


def selection(db: Database, actor: Actor, filters: QueueFilters) -> list[QueueRow]:
    """The items the queue shows for ``filters``, in its order; InvalidInput when more than ``MAX_BULK``
    match."""
    with db.session() as session:
        authorize(session, actor, "queue.view")
        page = queue_page(session=session, filters=filters, limit=MAX_BULK)
    if page.next_cursor is not None:
        raise InvalidInput("more than %(n)s items match these filters; a bulk decision takes at most %(n)s: narrow "
                           "the filters", n=MAX_BULK)
    return page.rows


def _checked(choice: Choice) -> Choice:
    if choice.action not in BULK_ACTIONS:
        raise InvalidInput("a bulk decision confirms or dismisses; %(action)r is decided one item at a time",
                           action=choice.action)
    return replace(choice.checked(), apply_to_cluster=False)


def preview_bulk(db: Database, actor: Actor, filters: QueueFilters, choice: Choice) -> list[QueueRow]:
    """The items a bulk ``choice`` on ``filters`` would take, after the checks ``decide_many`` makes first (the
    choice, the role, the size). Nothing is decided."""
    _checked(choice)
    with db.session() as session:
        authorize(session, actor, "item.decide")
    return selection(db, actor, filters)


def decide_many(db: Database, actor: Actor, item_ids: Sequence[int], choice: Choice, *,
                now: datetime | None = None) -> BulkOutcome:
    """Confirm or dismiss each item with the same choice, one decide action per item (its own rules and
    transaction); the refused ones are listed with the reason. Nothing is decided when the choice itself is
    unusable, the list is empty or longer than ``MAX_BULK``, or the role may not decide items."""
    choice = _checked(choice)
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        raise InvalidInput("choose at least one item")
    if len(ids) > MAX_BULK:
        raise InvalidInput("a bulk decision takes at most %(most)s items; %(n)s were given", most=MAX_BULK, n=len(ids))
    with db.session() as session:
        authorize(session, actor, "item.decide")
    now = now or utcnow()
    decided: list[int] = []
    left: list[LeftItem] = []
    for item_id in ids:
        try:
            decide(db, actor, item_id, choice, now=now)
        except ActionError as exc:
            left.append(LeftItem(item_id, exc))
        else:
            decided.append(item_id)
    return BulkOutcome(choice.action, decided, left)
