"""Server-side sessions, CSRF tokens and login rate limiting.

The session cookie holds a random token; the database keeps only its SHA-256 (``WebSession``), so a copy of the
database does not let anyone sign in. Each session has its own CSRF token, sent back in a hidden form field or
the ``X-CSRF-Token`` header. The login form, which comes before any session, uses a double-submit cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from review.actors import Actor
from store.models import LoginAttempt, User, WebSession
from store.types import utcnow

__all__ = [
    "CSRF_FORM_FIELD",
    "CSRF_HEADER",
    "LOGIN_CSRF_COOKIE",
    "SESSION_COOKIE",
    "AuthUser",
    "RateLimit",
    "end_session",
    "load_session",
    "login_blocked",
    "new_token",
    "record_attempt",
    "start_session",
    "token_hash",
    "tokens_match",
]

SESSION_COOKIE = "kiemtin_session"
LOGIN_CSRF_COOKIE = "kiemtin_login_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FORM_FIELD = "csrf_token"


@dataclass(frozen=True)
class AuthUser:
    """The signed-in person as the request sees them (plain data, safe to pass between sessions)."""

    id: int
    username: str
    role: str
    pseudonym: str | None
    csrf_token: str
    token_sha256: str
    ui_language: str | None = None  # chosen by the person; None: the setting ui_language

    @property
    def actor(self) -> Actor:
        """Who acts when this person clicks: the actions check it again against the database."""
        return Actor(self.username, self.role, self.id)


@dataclass(frozen=True)
class RateLimit:
    """At most ``per_user`` failed logins per username and ``per_client`` per client address in ``window``."""

    per_user: int = 5
    per_client: int = 10
    window: timedelta = timedelta(minutes=15)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def start_session(*, session: Session, user: User, hours: int, now: datetime | None = None) -> tuple[str, str]:
    """A new session for ``user``; returns (cookie token, CSRF token). Expired sessions are swept."""
    now = now or utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    token, csrf = new_token(), new_token()
    session.add(WebSession(token_sha256=token_hash(token), user_id=user.id, csrf_token=csrf, created_at=now,
                           expires_at=now + timedelta(hours=hours)))
    return token, csrf


def load_session(*, session: Session, token: str | None, now: datetime | None = None) -> AuthUser | None:
    """The active user behind a cookie token, or None when absent, unknown, expired or deactivated."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    digest = token_hash(token)
    row = session.execute(
        select(WebSession.csrf_token, WebSession.expires_at, User)
        .join(User, User.id == WebSession.user_id).where(WebSession.token_sha256 == digest)
    ).first()
    if row is None:
        return None
    csrf, expires_at, user = row
    if expires_at <= now or not user.active:
        return None
    return AuthUser(id=user.id, username=user.username, role=user.role, pseudonym=user.pseudonym,
                    csrf_token=csrf, token_sha256=digest, ui_language=user.ui_language)


def end_session(*, session: Session, token_sha256: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_sha256 == token_sha256))


def login_blocked(*, session: Session, username: str, client: str, limit: RateLimit,
                  now: datetime | None = None) -> bool:
    """True when this username or this client address had too many failed logins lately."""
    now = now or utcnow()
    since = now - limit.window
    last_ok = session.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.username == username, LoginAttempt.success,
                                                LoginAttempt.at >= since)
    )
    user_failures = session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.username == username, ~LoginAttempt.success, LoginAttempt.at >= (last_ok or since))
    ) or 0
    if user_failures >= limit.per_user:
        return True
    client_failures = session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.client == client, ~LoginAttempt.success, LoginAttempt.at >= since)
    ) or 0
    return client_failures >= limit.per_client


def record_attempt(*, session: Session, username: str, client: str, success: bool,
                   now: datetime | None = None) -> None:
    session.add(LoginAttempt(username=username[:64], client=client[:64], success=success, at=now or utcnow()))
