"""The actions on people who sign in: add one with a role, deactivate one (signed out everywhere at once).

Admins do these on the web page; the command line does them as the console (that is how the first admin is
made). Nobody deactivates themselves, and the last active admin stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from review.actors import Actor, authorize
from review.errors import InvalidInput, NotFound, Refused
from store.audit import record
from store.db import Database
from store.models import User, WebSession
from store.types import valid_id
from store.users import UserError, create_user, list_users

__all__ = ["Person", "add_user", "deactivate_user", "people"]


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    role: str
    pseudonym: str | None
    active: bool
    created_at: datetime


def _person(user: User) -> Person:
    return Person(user.id, user.username, user.role, user.pseudonym, user.active, user.created_at)


def people(db: Database, actor: Actor) -> list[Person]:
    """Everyone who can (or could) sign in, by name."""
    with db.session() as session:
        authorize(session, actor, "user.view")
        return [_person(u) for u in list_users(session=session)]


def add_user(db: Database, actor: Actor, *, username: str, password: str, role: str) -> Person:
    """Create a person with a role; refuses unknown roles, taken or malformed names and short passwords."""
    with db.write() as session:
        authorize(session, actor, "user.manage")
        try:
            user = create_user(session=session, username=username.strip(), password=password, role=role,
                               actor=actor.name)
        except UserError as exc:
            raise InvalidInput(str(exc)) from None
        return _person(user)


def deactivate_user(db: Database, actor: Actor, user: int | str) -> tuple[Person, bool]:
    """Deactivate a person by id or name and end their sessions. Returns (person, changed): changed is False
    when they were already inactive."""
    with db.write() as session:
        authorize(session, actor, "user.manage")
        query = select(User).where(User.username == user) if isinstance(user, str) else (
            select(User).where(User.id == user) if valid_id(user) else None)
        target = session.scalar(query.with_for_update()) if query is not None else None
        if target is None:
            raise NotFound(f"there is no user {user!r}" if isinstance(user, str) else f"there is no user #{user}")
        if not target.active:
            return _person(target), False
        if actor.is_person and (target.id == actor.user_id or target.username == actor.name):
            raise Refused("you cannot deactivate yourself")
        if target.role == "admin":
            admins = session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.active))
            if (admins or 0) <= 1:
                raise Refused(f"{target.username!r} is the last active admin; add another admin first")
        target.active = False
        session.execute(delete(WebSession).where(WebSession.user_id == target.id))
        record(session=session, actor=actor.name, action="user.deactivate", target_type="user", target_id=target.id,
               username=target.username)
        return _person(target), True
