"""Named leases in the database: one holder at a time, taken over when the holder stops renewing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import Lease
from store.types import utcnow

__all__ = ["acquire_lease", "release_lease"]


def acquire_lease(*, session: Session, name: str, holder: str, ttl: timedelta, now: datetime | None = None) -> bool:
    """Take or renew the lease ``name`` for ``holder``; False while someone else holds an unexpired one."""
    now = now or utcnow()
    taken = session.execute(
        update(Lease).where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at <= now))
        .values(holder=holder, expires_at=now + ttl, acquired_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
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


def release_lease(*, session: Session, name: str, holder: str) -> None:
    session.execute(
        update(Lease).where(Lease.name == name, Lease.holder == holder).values(expires_at=utcnow())
        .execution_options(synchronize_session=False)
    )
