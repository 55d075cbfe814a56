"""The audit log: append-only, one row per thing a person (or the system) did."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from store.models import AuditEntry

__all__ = ["record"]


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
