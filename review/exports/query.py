"""Which decisions an export holds, as streaming queries.

Takedown rows start from ``Decision`` rows with action ``confirm`` that are the *current* decision of a queue
item whose status is ``confirmed``. Nothing a classifier alone flagged (a verdict, a pending, escalated or
appealed item) can appear: there is no confirm decision behind it, or it is no longer the current one.

Retraction rows are per profile: a post this profile last sent as a takedown (and has not retracted since)
whose queue item is now ``dismissed`` (appealed, then reversed). The row carries the reversal decision.

"Since the last export" is per profile and per post: a post whose last item in this profile is a takedown is
not sent again; one retracted since may be sent again if it is confirmed again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import DateTime, Select, and_, case, func, null, or_, select, type_coerce
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.selectable import Subquery

from review.exports.filters import ExportFilters
from review.policy import DISMISS_REASONS
from store.models import Decision, Export, ExportItem, Post, QueueItem, Snapshot, Source, User

__all__ = [
    "COLUMNS",
    "ExportRow",
    "iso",
    "iter_retractions",
    "iter_takedowns",
    "retraction_query",
    "row_values",
    "takedown_query",
]

#: Column names of every export file, in order (CSV header, JSON keys, xlsx first row).
COLUMNS: tuple[str, ...] = (
    "export_id", "row_kind", "platform", "post_url", "platform_post_id", "author_handle", "captured_at",
    "text_snapshot", "text_sha256", "policy_category", "justification", "reference_url", "decided_by_role",
    "decided_by", "decided_at", "cluster_id", "decision_id",
)

Kind = Literal["takedown", "retraction"]
NameMode = Literal["pseudonym", "username", "role"]
#: (decision_id, post_id, values in COLUMNS order)
ExportRow = tuple[int, int, tuple[Any, ...]]

YIELD_PER = 2000


def iso(value: datetime | None) -> str | None:
    """UTC, to the second, with a Z: ``2024-05-01T08:30:00Z`` (a naive value is UTC as stored)."""
    if value is None:
        return None
    if value.tzinfo is not None and value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="seconds")[:19] + "Z"


def _sent_state(profile_id: int) -> Subquery:
    """Per post: the id of the last takedown item and of the last retraction item this profile sent."""
    return (
        select(
            ExportItem.post_id.label("post_id"),
            func.max(case((ExportItem.kind == "takedown", ExportItem.id))).label("last_takedown"),
            func.max(case((ExportItem.kind == "retraction", ExportItem.id))).label("last_retraction"),
        )
        .join(Export, Export.id == ExportItem.export_id)
        .where(Export.profile_id == profile_id)
        .group_by(ExportItem.post_id)
        .subquery("sent")
    )


def _evidence(snapshot: Any) -> tuple[Any, Any, Any]:
    """Snapshot text, hash and capture time; the post's own if a decision has no snapshot."""
    return (
        # plain DateTime (naive UTC as stored): skips the per-row tz conversion; iso() reads naive values as UTC
        type_coerce(func.coalesce(snapshot.captured_at, Post.fetched_at), DateTime()).label("captured_at"),
        func.coalesce(snapshot.text, Post.text).label("text"),
        func.coalesce(snapshot.sha256, Post.content_sha256).label("sha256"),
    )


def _filtered(stmt: Select[Any], filters: ExportFilters, decision: Any, *, dates: bool = True) -> Select[Any]:
    if filters.platforms:
        stmt = stmt.where(Post.platform.in_(filters.platforms))
    if filters.sources:
        stmt = stmt.join(Source, Source.id == Post.source_id).where(Source.name.in_(filters.sources))
    if filters.categories:
        stmt = stmt.where(decision.category.in_(filters.categories))
    if dates and filters.date_from:
        stmt = stmt.where(decision.created_at >= filters.date_from)
    if dates and filters.date_to:
        stmt = stmt.where(decision.created_at < filters.date_to)
    return stmt


def takedown_query(filters: ExportFilters, *, profile_id: int | None = None, since_last: bool = False
                   ) -> Select[Any]:
    """Confirmed decisions that are their item's current decision, filtered, oldest decision first."""
    stmt = (
        select(
            Decision.id, Post.id, Post.platform, Post.url, Post.external_id, Post.author_handle,
            *_evidence(Snapshot), Decision.category, Decision.justification, null().label("dismiss_reason"),
            Decision.reference_url, User.role, User.username, User.pseudonym,
            type_coerce(Decision.created_at, DateTime()).label("decided_at"), Post.cluster_id,
        )
        .select_from(Decision)
        .join(QueueItem, and_(QueueItem.current_decision_id == Decision.id, QueueItem.status == "confirmed"))
        .join(Post, Post.id == Decision.post_id)
        .join(User, User.id == Decision.user_id)
        .outerjoin(Snapshot, Snapshot.id == Decision.snapshot_id)
        .where(Decision.action == "confirm")
    )
    stmt = _filtered(stmt, filters, Decision)
    if since_last:
        if profile_id is None:
            raise ValueError("since_last needs a profile")
        sent = _sent_state(profile_id)
        stmt = stmt.outerjoin(sent, sent.c.post_id == Post.id).where(
            or_(sent.c.last_takedown.is_(None), sent.c.last_retraction > sent.c.last_takedown)
        )
    return stmt.order_by(Decision.created_at, Decision.id)


def retraction_query(profile_id: int, filters: ExportFilters | None = None) -> Select[Any]:
    """Posts this profile sent as takedowns, not retracted since, whose item has been reversed (dismissed).

    Only platform, source and category filters apply (a reversal is owed whenever it happened)."""
    sent = _sent_state(profile_id)
    sent_item = aliased(ExportItem, name="sent_item")
    takedown = aliased(Decision, name="takedown")
    reversal = aliased(Decision, name="reversal")
    reverser = aliased(User, name="reverser")
    snapshot = aliased(Snapshot, name="takedown_snapshot")
    stmt = (
        select(
            reversal.id, Post.id, Post.platform, Post.url, Post.external_id, Post.author_handle,
            *_evidence(snapshot), takedown.category, reversal.justification, reversal.dismiss_reason,
            reversal.reference_url, reverser.role, reverser.username, reverser.pseudonym,
            type_coerce(reversal.created_at, DateTime()).label("decided_at"),
            Post.cluster_id,
        )
        .select_from(sent)
        .join(sent_item, sent_item.id == sent.c.last_takedown)
        .join(takedown, takedown.id == sent_item.decision_id)
        .join(QueueItem, and_(QueueItem.post_id == sent.c.post_id, QueueItem.status == "dismissed"))
        .join(reversal, reversal.id == QueueItem.current_decision_id)
        .join(reverser, reverser.id == reversal.user_id)
        .join(Post, Post.id == sent.c.post_id)
        .outerjoin(snapshot, snapshot.id == takedown.snapshot_id)
        .where(or_(sent.c.last_retraction.is_(None), sent.c.last_retraction < sent.c.last_takedown))
    )
    if filters is not None:
        stmt = _filtered(stmt, filters, takedown, dates=False)
    return stmt.order_by(reversal.created_at, reversal.id)


def _decider(mode: str, role: str, username: str, pseudonym: str | None) -> str:
    if mode == "username":
        return username
    if mode == "pseudonym":
        return pseudonym or role
    return role


def row_values(row: Any, kind: Kind, export_id: int, names: str) -> ExportRow:
    """One result row as ``(decision_id, post_id, values in COLUMNS order)``."""
    (decision_id, post_id, platform, url, external_id, author, captured_at, text, sha256, category, justification,
     dismiss_reason, reference_url, role, username, pseudonym, decided_at, cluster_id) = row
    if kind == "retraction":
        label = DISMISS_REASONS.get(dismiss_reason or "", dismiss_reason or "reversed")
        justification = f"Reversed on appeal ({label})" + (f": {justification}" if justification else "")
    values = (
        export_id, kind, platform, url, external_id, author, iso(captured_at), text, sha256, category,
        justification or "", reference_url, role, _decider(names, role, username, pseudonym), iso(decided_at),
        cluster_id, decision_id,
    )
    return decision_id, post_id, values


def _stream(session: Session, stmt: Select[Any], kind: Kind, export_id: int, names: str,
            limit: int | None) -> Iterator[ExportRow]:
    if limit is not None:
        stmt = stmt.limit(limit)
    # Core rows on the session's connection (and transaction): a server-side cursor on PostgreSQL, batches of
    # YIELD_PER rows everywhere, and none of the ORM's per-row bookkeeping.
    # (the option goes on the statement: Connection.execution_options() would change the connection itself)
    result = session.connection().execute(stmt.execution_options(yield_per=YIELD_PER))
    for row in result:
        yield row_values(row, kind, export_id, names)


def iter_takedowns(session: Session, filters: ExportFilters, *, export_id: int, names: str,
                   profile_id: int | None = None, since_last: bool = False,
                   limit: int | None = None) -> Iterator[ExportRow]:
    """Stream takedown rows (server-side cursor on PostgreSQL, ``yield_per`` batches everywhere)."""
    stmt = takedown_query(filters, profile_id=profile_id, since_last=since_last)
    return _stream(session, stmt, "takedown", export_id, names, limit)


def iter_retractions(session: Session, profile_id: int, filters: ExportFilters | None, *, export_id: int,
                     names: str, limit: int | None = None) -> Iterator[ExportRow]:
    """Stream retraction rows owed by ``profile_id``."""
    return _stream(session, retraction_query(profile_id, filters), "retraction", export_id, names, limit)


def count(session: Session, stmt: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
