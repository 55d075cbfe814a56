"""Saved queue filters: each person names the filter sets they use often and opens them with one click.

A saved filter is the queue page's query parameters (status, sort, source, platform, score range, flagged
dates, category, text); what they mean is decided by the queue when it is opened, as for a typed address.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from review.actors import Actor, authorize
from review.errors import InvalidInput, NotFound
from store.audit import record
from store.db import Database
from store.models import SavedFilter, User

__all__ = ["FILTER_KEYS", "MAX_SAVED", "Saved", "delete_filter", "my_filters", "save_filter"]

FILTER_KEYS = ("status", "sort", "source", "platform", "score_min", "score_max", "date_from", "date_to",
               "category", "q")
MAX_SAVED = 50
_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,100}")


@dataclass(frozen=True)
class Saved:
    id: int
    name: str
    params: dict[str, str]
    created_at: datetime


def _saved(row: SavedFilter) -> Saved:
    return Saved(row.id, row.name, dict(row.params or {}), row.created_at)


def _person(user: User | None) -> User:
    if user is None:  # the table gives saved filters to people only
        raise AssertionError("filters are saved by people")
    return user


def checked_params(params: Mapping[str, object]) -> dict[str, str]:
    """The filter parameters that are set, as text; InvalidInput naming an unknown or over-long one."""
    unknown = sorted(set(params) - set(FILTER_KEYS))
    if unknown:
        raise InvalidInput("unknown filter %(v1)s; filters are: %(v2)s",
                           v1=', '.join(unknown), v2=', '.join(FILTER_KEYS))
    out = {key: str(params[key]).strip() for key in FILTER_KEYS if key in params and params[key] not in (None, "")}
    too_long = [key for key, value in out.items() if len(value) > 200 or "\x00" in value]
    if too_long:
        raise InvalidInput("filter %(v1)s is longer than 200 characters or holds a NUL character", v1=too_long[0])
    return out


def my_filters(db: Database, actor: Actor) -> list[Saved]:
    """This person's saved filters, by name."""
    with db.session() as session:
        user = _person(authorize(session, actor, "filter.save"))
        return [_saved(f) for f in session.scalars(select(SavedFilter).where(SavedFilter.user_id == user.id)
                                                   .order_by(SavedFilter.name))]


def save_filter(db: Database, actor: Actor, name: str, params: Mapping[str, object]) -> Saved:
    """Save the filters under ``name`` (a filter of that name is replaced)."""
    name = (name or "").strip()
    if not _NAME.fullmatch(name):
        raise InvalidInput("a saved filter needs a name of 1-100 characters")
    values = checked_params(params)
    with db.write() as session:
        user = _person(authorize(session, actor, "filter.save"))
        row = session.scalar(select(SavedFilter).where(SavedFilter.user_id == user.id, SavedFilter.name == name))
        if row is None:
            count = session.scalar(select(func.count()).select_from(SavedFilter).where(
                SavedFilter.user_id == user.id)) or 0
            if count >= MAX_SAVED:
                raise InvalidInput("you have %(n)s saved filters, the most there can be; delete one first",
                                   n=MAX_SAVED)
            row = SavedFilter(user_id=user.id, name=name, params=values)
            session.add(row)
        else:
            row.params = values
        session.flush()
        record(session=session, actor=user.username, action="filter.save", target_type="saved_filter",
               target_id=row.id, name=name, params=values)
        return _saved(row)


def delete_filter(db: Database, actor: Actor, name: str) -> None:
    """Delete one of this person's saved filters."""
    with db.write() as session:
        user = _person(authorize(session, actor, "filter.save"))
        row = session.scalar(select(SavedFilter).where(SavedFilter.user_id == user.id, SavedFilter.name == name))
        if row is None:
            raise NotFound("you have no saved filter named %(name)r", name=name)
        record(session=session, actor=user.username, action="filter.delete", target_type="saved_filter",
               target_id=row.id, name=name)
        session.delete(row)
