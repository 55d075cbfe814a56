"""People who sign in: creation with argon2-hashed passwords, verification, role changes."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import record
from store.models import ROLES, User

__all__ = [
    "ROLES",
    "UserError",
    "authenticate",
    "checked_password",
    "create_user",
    "get_user",
    "hash_password",
    "list_users",
]

_hasher = PasswordHasher()
_MIN_PASSWORD = 10


class UserError(ValueError):
    """A user that cannot be created or changed as asked."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def checked_password(password: str) -> str:
    """The password when it is long enough; UserError otherwise."""
    if len(password) < _MIN_PASSWORD:
        raise UserError(f"password must have at least {_MIN_PASSWORD} characters")
    return password


def create_user(*, session: Session, username: str, password: str, role: str, actor: str = "system",
                pseudonym: str | None = None) -> User:
    """Create a user; refuses unknown roles, taken names and short passwords."""
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}")
    if not username or len(username) > 64 or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise UserError("username must be 1-64 letters, digits, '.', '-' or '_'")
    checked_password(password)
    if get_user(session=session, username=username) is not None:
        raise UserError(f"user {username!r} already exists")
    user = User(username=username, password_hash=hash_password(password), role=role,
                pseudonym=pseudonym or f"{role}-{secrets.token_hex(3)}")
    session.add(user)
    session.flush()
    record(session=session, actor=actor, action="user.create", target_type="user", target_id=user.id,
           username=username, role=role)
    return user


def get_user(*, session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def list_users(*, session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None. Rehashes when argon2 parameters changed."""
    user = get_user(session=session, username=username)
    if user is None or not user.active:
        _hasher.hash(password)  # spend the same time whether or not the user exists
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user
