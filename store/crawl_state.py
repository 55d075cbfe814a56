"""Crawl state kept in the database: HTTP validators per URL, cursors per source, crawl run records."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from store.db import Database
from store.models import CrawlRun, HttpValidator, Source
from store.types import utcnow

__all__ = ["DatabaseValidators", "prune_runs", "save_cursor"]


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


