"""The actions on people who sign in: add one with a role, deactivate one (signed out everywhere at once),
reactivate one, change a role, and hand out a one-time password reset link.

Admins do these on the web page; the command line does them as the console (that is how the first admin is
made). Nobody deactivates themselves or changes their own role, and the last active admin stays an active admin.
There is no e-mail: a reset gives the admin a link to hand over, valid once, until it expires; the old password
stops working and the person's sessions end at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from config.i18n import LANGUAGES, usable_language
from review.actors import Actor, authorize
from review.errors import InvalidInput, NotFound, Refused
from store.audit import record
from store.db import Database
from store.models import ROLES, PasswordReset, User, WebSession
from store.types import utcnow, valid_id
from store.users import UserError, checked_password, create_user, hash_password, list_users

__all__ = [
    "RESET_PATH",
    "Person",
    "ResetLink",
    "add_user",
    "change_role",
    "deactivate_user",
    "issue_password_reset",
    "people",
    "reactivate_user",
    "reset_link_owner",
    "set_ui_language",
    "use_password_reset",
]

RESET_PATH = "/reset/"  # the web app's page for a reset link: RESET_PATH + token
_UNUSABLE = "!reset"  # a password hash no password matches (argon2 refuses it as a hash)


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    role: str
    pseudonym: str | None
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class ResetLink:
    """A one-time reset link: ``path`` (RESET_PATH + the token) is shown once; only its hash is kept."""

    username: str
    path: str
    expires_at: datetime


def _person(user: User) -> Person:
    return Person(user.id, user.username, user.role, user.pseudonym, user.active, user.created_at)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


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


def _target(session: Session, user: int | str) -> User:
    """The person named by id or username, locked for the change."""
    query = select(User).where(User.username == user) if isinstance(user, str) else (
        select(User).where(User.id == user) if valid_id(user) else None)
    target = session.scalar(query.with_for_update()) if query is not None else None
    if target is None:
        if isinstance(user, str):
            raise NotFound("there is no user %(name)r", name=user)
        raise NotFound("there is no user #%(id)s", id=user)
    return target


def _is_self(actor: Actor, target: User) -> bool:
    return actor.is_person and (target.id == actor.user_id or target.username == actor.name)


def _keep_an_admin(session: Session, target: User, change: str) -> None:
    """Refuse ``change`` when ``target`` is the last active admin."""
    if target.role == "admin" and target.active:
        admins = session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.active))
        if (admins or 0) <= 1:
            raise Refused("%(username)r is the last active admin: add another admin before you %(change)s",
                          username=target.username, change=change)


def _sign_out(session: Session, target: User) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == target.id))


def deactivate_user(db: Database, actor: Actor, user: int | str) -> tuple[Person, bool]:
    """Deactivate a person by id or name and end their sessions. Returns (person, changed): changed is False
    when they were already inactive."""
    with db.write() as session:
        authorize(session, actor, "user.manage")
        target = _target(session, user)
        if not target.active:
            return _person(target), False
        if _is_self(actor, target):
            raise Refused("you cannot deactivate yourself")
        _keep_an_admin(session, target, "deactivate them")
        target.active = False
        _sign_out(session, target)
        record(session=session, actor=actor.name, action="user.deactivate", target_type="user", target_id=target.id,
               username=target.username)
        return _person(target), True


def reactivate_user(db: Database, actor: Actor, user: int | str) -> tuple[Person, bool]:
    """Let a deactivated person sign in again (with their old password, or a reset link). Returns (person,
    changed): changed is False when they were active already."""
    with db.write() as session:
        authorize(session, actor, "user.manage")
        target = _target(session, user)
        if target.active:
            return _person(target), False
        target.active = True
        record(session=session, actor=actor.name, action="user.reactivate", target_type="user", target_id=target.id,
               username=target.username)
        return _person(target), True


def set_ui_language(db: Database, actor: Actor, language: str) -> str:
    """The acting person's own page language ("vi" or "en"); returns the code. Audited like every change."""
    code = usable_language(language)
    if code is None:
        raise InvalidInput("unknown language %(language)r; choose one of: %(choices)s", language=language,
                           choices=", ".join(LANGUAGES))
    with db.write() as session:
        me = authorize(session, actor, "profile.language")
        if me is None:
            raise InvalidInput("only a person has a page language")
        if me.ui_language != code:
            me.ui_language = code
            record(session=session, actor=actor.name, action="user.language", target_type="user", target_id=me.id,
                   language=code)
        return code


def change_role(db: Database, actor: Actor, user: int | str, role: str) -> tuple[Person, str]:
    """Give a person another role (it counts from their next click). Returns (person, the role before)."""
    if role not in ROLES:
        raise InvalidInput("unknown role %(role)r; choose one of: %(v2)s", role=role, v2=', '.join(ROLES))
    with db.write() as session:
        authorize(session, actor, "user.manage")
        target = _target(session, user)
        before = target.role
        if before == role:
            return _person(target), before
        if _is_self(actor, target):
            raise Refused("you cannot change your own role; ask another admin")
        _keep_an_admin(session, target, f"make them {role}")
        target.role = role
        record(session=session, actor=actor.name, action="user.role_change", target_type="user",
               target_id=target.id, username=target.username, before=before, after=role)
        return _person(target), before


def issue_password_reset(db: Database, actor: Actor, user: int | str, *, valid_for: timedelta,
                         now: datetime | None = None) -> ResetLink:
    """A one-time link for the person to choose a new password, valid for ``valid_for``. Their old password
    stops working, their sessions end, and any earlier link of theirs stops working."""
    now = now or utcnow()
    with db.write() as session:
        authorize(session, actor, "user.manage")
        target = _target(session, user)
        if not target.active:
            raise Refused("%(username)r is deactivated: reactivate them first", username=target.username)
        token = secrets.token_urlsafe(32)
        session.execute(update(PasswordReset).where(PasswordReset.user_id == target.id,
                                                    PasswordReset.used_at.is_(None)).values(used_at=now))
        session.add(PasswordReset(user_id=target.id, token_sha256=_token_hash(token), created_by=actor.name,
                                  created_at=now, expires_at=now + valid_for))
        target.password_hash = _UNUSABLE
        _sign_out(session, target)
        record(session=session, actor=actor.name, action="user.password_reset_issued", target_type="user",
               target_id=target.id, username=target.username, expires_at=(now + valid_for).isoformat())
        return ResetLink(target.username, RESET_PATH + token, now + valid_for)


def reset_link_owner(db: Database, token: str, *, now: datetime | None = None) -> str:
    """The username a reset link is for, while it can be used; NotFound otherwise (the page's first step)."""
    with db.session() as session:
        return _usable_reset(session, token, now or utcnow())[1].username


def _usable_reset(session: Session, token: str, now: datetime) -> tuple[PasswordReset, User]:
    row = session.execute(select(PasswordReset, User).join(User, User.id == PasswordReset.user_id)
                          .where(PasswordReset.token_sha256 == _token_hash(token or ""))).first()
    if row is None or row[0].used_at is not None or row[0].expires_at <= now or not row[1].active:
        raise NotFound("this reset link is unknown, used or expired: ask an admin for a new one")
    return row[0], row[1]


def use_password_reset(db: Database, token: str, password: str, *, now: datetime | None = None) -> str:
    """Set a new password with a reset link (once); returns the username, who may now sign in with it."""
    now = now or utcnow()
    with db.write() as session:
        reset, user = _usable_reset(session, token, now)
        try:
            checked_password(password)
        except UserError as exc:
            raise InvalidInput(str(exc)) from None
        reset.used_at = now
        user.password_hash = hash_password(password)
        _sign_out(session, user)
        record(session=session, actor=user.username, action="user.password_reset_used", target_type="user",
               target_id=user.id, username=user.username)
        return user.username
