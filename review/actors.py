"""Who does an action, and the check every action starts with.

An adapter says who is acting (the signed-in person, ``--as USERNAME``, the console, the system); the action
checks it inside its own transaction against the database, so a deactivated person or a changed role counts
at once, whatever the adapter believed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from review.errors import NotAllowed
from review.permissions import CONSOLE, SYSTEM, WHAT, allowed, roles_for
from store.models import User

__all__ = ["CONSOLE_ACTOR", "SYSTEM_ACTOR", "Actor", "authorize", "authorize_any", "not_allowed", "person"]


@dataclass(frozen=True)
class Actor:
    """A person (``user_id`` set) or the console or kiemtin itself; ``name`` is what the audit log shows."""

    name: str
    role: str
    user_id: int | None = None

    @property
    def is_person(self) -> bool:
        return self.role not in (CONSOLE, SYSTEM)


CONSOLE_ACTOR = Actor("cli", CONSOLE)
SYSTEM_ACTOR = Actor("system", SYSTEM)


def person(username: str) -> Actor:
    """A person known only by name (``--as USERNAME``); ``authorize`` finds them and their role."""
    return Actor(username, "")


def _a_or_an(role: str) -> str:
    return f"an {role}" if role[:1] in "aeiou" else f"a {role}"


def _needed(permission: str) -> str:
    roles = roles_for(permission)
    return " or ".join(_a_or_an(r) for r in roles) if roles else "nobody"


def authorize(session: Session, actor: Actor, permission: str) -> User | None:
    """The acting person's row (None for the console and the system) when ``actor`` may do ``permission``.

    People are looked up by id (or by name when only the name is known) and must be active; their role is
    read from the database. Raises NotAllowed with a readable reason otherwise."""
    if not actor.is_person:
        if not allowed(actor.role, permission):
            who = "the command line" if actor.role == CONSOLE else "kiemtin itself"
            raise NotAllowed("%(who)s may not %(what)s: say who you are with --as USERNAME (%(needed)s)", who=who,
                             what=WHAT[permission], needed=_needed(permission))
        return None
    query = select(User).where(User.id == actor.user_id) if actor.user_id is not None else select(User).where(
        User.username == actor.name)
    user = session.scalar(query)
    if user is None:
        raise NotAllowed("no user named %(name)r", name=actor.name)
    if not user.active:
        raise NotAllowed("%(username)r is deactivated", username=user.username)
    if not allowed(user.role, permission):
        raise not_allowed(user.username, user.role, permission)
    return user


def not_allowed(name: str, role: str, permission: str) -> NotAllowed:
    """The refusal for a person whose role lacks ``permission``: "'rita' is a reviewer; only an analyst ..."."""
    return NotAllowed("%(name)r is %(role)s; only %(needed)s may %(what)s", name=name, role=_a_or_an(role),
                      needed=_needed(permission), what=WHAT[permission])


def authorize_any(session: Session, actor: Actor, permissions: Sequence[str]) -> User | None:
    """``authorize`` for the first of ``permissions`` the actor has; the refusal of the first one otherwise."""
    refusal: NotAllowed | None = None
    for permission in permissions:
        try:
            return authorize(session, actor, permission)
        except NotAllowed as exc:
            refusal = refusal or exc
    raise refusal or NotAllowed("nothing to authorize")
