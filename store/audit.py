"""The audit log: append-only, one row per thing a person (or the system) did."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from store.bulk import insert_rows
from store.models import AuditEntry
from store.types import utcnow

__all__ = ["record", "record_many"]


def record(
    *, session: Session, actor: str, action: str, target_type: str | None = None,
    target_id: object | None = None, **details: Any,
) -> AuditEntry:
    """Add an audit entry in the caller's transaction (so it commits, or not, with the change it describes)."""
    entry = AuditEntry(
        actor=actor, action=action, target_type=target_type,
        target_id=None if target_id is None else str(target_id), details=details,
    )
    session.add(entry)
    return entry


def record_many(*, session: Session, actor: str, action: str, target_type: str | None,
                entries: Sequence[tuple[object, dict[str, Any]]]) -> None:
    """Many entries of one kind, ``(target id, details)`` each, in one INSERT in the caller's transaction."""
    at = utcnow()
    insert_rows(session, cast(Table, AuditEntry.__table__), [
        {"actor": actor, "action": action, "target_type": target_type,
         "target_id": None if target_id is None else str(target_id), "details": details, "at": at}
        for target_id, details in entries])
