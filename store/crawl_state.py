"""Crawl state kept in the database: HTTP validators per URL, hosts' politeness state, cursors per source,
crawl run records."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, literal, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from store.db import Database, dialect_insert
from store.models import CrawlHostState, CrawlRun, HttpValidator, Source
from store.types import utcnow

__all__ = ["DatabaseHostState", "DatabaseValidators", "prune_runs", "save_cursor"]


class DatabaseValidators:
    """ETag / Last-Modified per URL, in the database (the crawler's ValidatorStore protocol).

    Reads use a plain session; only ``put`` takes the write lock.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    def _row(session: Session, url: str) -> HttpValidator | None:
        return session.scalar(select(HttpValidator).where(HttpValidator.url == url[:2048]))

    def get(self, url: str) -> tuple[str | None, str | None] | None:
        with self._db.session() as session:
            row = self._row(session, url)
            return None if row is None else (row.etag, row.last_modified)

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self._db.write() as session:
            row = self._row(session, url)
            if row is None:
                session.add(HttpValidator(url=url[:2048], etag=etag, last_modified=last_modified))
            else:
                row.etag, row.last_modified = etag, last_modified


class DatabaseHostState:
    """The crawler's HostStateStore (``crawler.hoststate``; answers are plain tuples, the store never
    imports the crawler) in the ``crawl_host_state`` table: robots.txt and politeness per host outlive a
    crawl run and are shared by every process on the database.

    ``reserve`` is one conditional UPDATE, atomic on both backends::

        UPDATE crawl_host_state
           SET last_start = greatest(:now, coalesce(last_start + greatest(:gap, coalesce(throttle_delay, 0)),
                                                    :now), paused_until)
         WHERE origin = :origin
        RETURNING last_start, throttle_delay

    PostgreSQL locks the row for the UPDATE and computes the new value from the latest committed row, so
    concurrent reservations for one host queue on the row and each starts at least the gap after the
    previous one; SQLite runs one write transaction at a time (``BEGIN IMMEDIATE``). A host's row is
    created on first use (INSERT ... ON CONFLICT DO NOTHING). ``pause`` only moves ``paused_until`` later
    (greatest). "now" is the database server's clock on PostgreSQL (``clock_timestamp()``), so processes on
    hosts whose clocks disagree share one timeline; SQLite is on one host and uses this process's clock.
    Every call runs in a worker thread, so the event loop never waits on the database.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._greatest = func.max if db.is_sqlite else func.greatest  # SQLite's max() takes several arguments

    def _now(self, session: Session) -> float:
        if self._db.is_sqlite:
            return time.time()
        return float(session.execute(text("SELECT extract(epoch FROM clock_timestamp())")).scalar_one())

    def _update(self, session: Session, origin: str, values: dict[str, Any]) -> Any:
        """UPDATE the host's row (created first if missing) RETURNING last_start, throttle_delay."""
        table = CrawlHostState
        stmt = (update(table).where(table.origin == origin).values(**values)
                .returning(table.last_start, table.throttle_delay))
        row = session.execute(stmt).first()
        if row is None:
            session.execute(dialect_insert(session, table)
                            .values(origin=origin, paused_until=0.0, updated_at=utcnow())
                            .on_conflict_do_nothing(index_elements=["origin"]))
            row = session.execute(stmt).one()
        return row

    def _num(self, value: float) -> ColumnElement[float]:
        return literal(value, CrawlHostState.paused_until.type)

    async def robots(self, origin: str) -> tuple[str | None, str | None, float] | None:
        """(robots.txt text, deny reason, seconds left) unless expired."""
        return await asyncio.to_thread(self._robots, origin[:300])

    def _robots(self, origin: str) -> tuple[str | None, str | None, float] | None:
        with self._db.session() as session:
            row = session.get(CrawlHostState, origin)
            if row is None or row.robots_expires is None:
                return None
            left = row.robots_expires - self._now(session)
            return (row.robots_body, row.robots_deny_reason, left) if left > 0 else None

    async def save_robots(self, origin: str, record: tuple[str | None, str | None, float]) -> None:
        """Keep (robots.txt text, deny reason, seconds to keep it)."""
        await asyncio.to_thread(self._save_robots, origin[:300], record)

    def _save_robots(self, origin: str, record: tuple[str | None, str | None, float]) -> None:
        body, deny_reason, ttl_s = record
        with self._db.write() as session:
            self._update(session, origin, {"robots_body": body, "robots_deny_reason": deny_reason,
                                           "robots_expires": self._now(session) + ttl_s})

    async def reserve(self, origin: str, min_gap: float) -> tuple[float, float | None]:
        """(seconds to wait, AutoThrottle delay): see the class docstring for the one UPDATE it is."""
        return await asyncio.to_thread(self._reserve, origin[:300], min_gap)

    def _reserve(self, origin: str, min_gap: float) -> tuple[float, float | None]:
        table, greatest = CrawlHostState, self._greatest
        with self._db.write() as session:
            now_s = self._now(session)
            now = self._num(now_s)
            gap = greatest(self._num(min_gap), func.coalesce(table.throttle_delay, 0.0))
            start = greatest(now, func.coalesce(table.last_start + gap, now), table.paused_until)
            last_start, throttle_delay = self._update(session, origin, {"last_start": start})
            return max(0.0, last_start - now_s), throttle_delay

    async def pause(self, origin: str, seconds: float) -> None:
        await asyncio.to_thread(self._pause, origin[:300], seconds)

    def _pause(self, origin: str, seconds: float) -> None:
        with self._db.write() as session:
            until = self._num(self._now(session) + seconds)
            self._update(session, origin, {"paused_until": self._greatest(CrawlHostState.paused_until, until)})

    async def set_throttle_delay(self, origin: str, delay: float) -> None:
        await asyncio.to_thread(self._set_throttle_delay, origin[:300], delay)

    def _set_throttle_delay(self, origin: str, delay: float) -> None:
        with self._db.write() as session:
            self._update(session, origin, {"throttle_delay": delay})


def save_cursor(*, session: Session, source_id: int, cursor: dict[str, Any] | None) -> None:
    source = session.get(Source, source_id)
    if source is not None:
        source.cursor = cursor


def prune_runs(*, session: Session, older_than_days: int, now: datetime | None = None) -> int:
    """Delete crawl runs that finished more than ``older_than_days`` ago; returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    # Session.execute is typed as returning Result; a DELETE gives a CursorResult, which has rowcount
    result = cast(CursorResult[Any], session.execute(delete(CrawlRun).where(CrawlRun.finished_at < cutoff)))
    return int(result.rowcount or 0)


