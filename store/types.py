"""Column types shared by the models: timezone-aware UTC timestamps on every backend."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["FIRST_DAY", "LAST_DAY", "MAX_ID", "UTCDateTime", "day_start", "usable_day", "utcnow", "valid_id"]

MAX_ID = 2**63 - 1  # ids are signed 64-bit on both databases
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)  # days a filter may name: a day either side stays valid


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def valid_id(value: int) -> bool:
    """True when ``value`` can be a row id (1 .. 2**63-1); larger ones overflow the database drivers."""
    return 1 <= value <= MAX_ID


def usable_day(day: date) -> bool:
    """True for a day that dates filters may use (its neighbours and time-zone shifts stay representable)."""
    return FIRST_DAY <= day <= LAST_DAY


def day_start(day: date, zone: tzinfo) -> datetime:
    """The first instant of calendar ``day`` in ``zone``, in UTC (days with a clock change included)."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (SQLite has no zones) and always returns aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
