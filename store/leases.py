"""Named leases in the database: one holder at a time, taken over when the holder stops renewing.

Times come from the database server's clock on PostgreSQL (so processes on hosts whose clocks disagree
still agree on who holds a lease); SQLite is local to one host, so the process clock is used there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, case, literal, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import Lease
from store.types import utcnow

__all__ = ["acquire_lease", "database_now", "lease_holder", "release_lease"]


def database_now(session: Session) -> datetime:
    """The current UTC time by the database's clock (PostgreSQL) or this process's clock (SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        value = session.execute(text("SELECT CURRENT_TIMESTAMP")).scalar_one()
        return value.astimezone(UTC)
    return utcnow()


def acquire_lease(*, session: Session, name: str, holder: str, ttl: timedelta, now: datetime | None = None) -> bool:
    """Take or renew the lease ``name`` for ``holder``; False while someone else holds an unexpired one."""
    now = now or database_now(session)
    # Session.execute is typed as returning Result; an UPDATE gives a CursorResult, which has rowcount
    taken = cast(CursorResult[Any], session.execute(
        update(Lease).where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at <= now))
        .values(holder=holder, expires_at=now + ttl,
                acquired_at=case((Lease.holder == holder, Lease.acquired_at),
                                 else_=literal(now, Lease.acquired_at.type)))
        .execution_options(synchronize_session=False)
    )).rowcount
    if taken:
        return True
    if session.get(Lease, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Lease(name=name, holder=holder, acquired_at=now, expires_at=now + ttl))
    except IntegrityError:
        return False
    return True


def lease_holder(*, session: Session, name: str, now: datetime | None = None) -> tuple[str, datetime] | None:
    """Who holds the unexpired lease ``name`` and until when; None if nobody does."""
    now = now or database_now(session)
    row = session.execute(select(Lease.holder, Lease.expires_at).where(Lease.name == name)).first()
    if row is None or row.expires_at <= now:
        return None
    return row.holder, row.expires_at


def release_lease(*, session: Session, name: str, holder: str) -> None:
    session.execute(
        update(Lease).where(Lease.name == name, Lease.holder == holder).values(expires_at=database_now(session))
        .execution_options(synchronize_session=False)
    )
