"""Request dependencies: the runtime, a database session, the signed-in user, page permissions and CSRF.

Pages that only show something check the permission table (``review.permissions``) through ``require``; pages
and API calls that do something leave every check to the action they call. A refusal is written to the audit
log as ``access.denied`` either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from config.i18n import N_
from review.permissions import allowed
from service.runtime import Runtime
from store.audit import record
from web.security import CSRF_FORM_FIELD, CSRF_HEADER, SESSION_COOKIE, AuthUser, load_session, tokens_match

__all__ = [
    "AuditViewer",
    "AuthError",
    "CaseViewer",
    "CurrentUser",
    "DbSession",
    "Exporter",
    "Forbidden",
    "HealthViewer",
    "ItemViewer",
    "OptionalUser",
    "QueueViewer",
    "RuntimeDep",
    "SignedIn",
    "SourceViewer",
    "UserManager",
    "csrf_protect",
    "deny",
    "require",
]


class AuthError(Exception):
    """Not signed in: HTML pages redirect to the login page, the API answers 401."""


class Forbidden(Exception):
    """Signed in but not allowed (role or CSRF): a 403 page or JSON."""

    def __init__(self, message: str = N_("You are not allowed to do this.")) -> None:
        super().__init__(message)
        self.message = message


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_db(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.db.session() as session:
        yield session


DbSession = Annotated[Session, Depends(get_db)]


def auth_user(request: Request) -> AuthUser | None:
    """The request's session user, looked up once per request."""
    if "auth_user" not in request.state._state:
        runtime: Runtime = request.app.state.runtime
        with runtime.db.session() as session:
            request.state.auth_user = load_session(session=session, token=request.cookies.get(SESSION_COOKIE))
    return request.state.auth_user  # type: ignore[no-any-return]


def optional_user(request: Request) -> AuthUser | None:
    return auth_user(request)


def current_user(request: Request) -> AuthUser:
    user = auth_user(request)
    if user is None:
        raise AuthError()
    return user


OptionalUser = Annotated[AuthUser | None, Depends(optional_user)]
CurrentUser = Annotated[AuthUser, Depends(current_user)]


def deny(request: Request, user: AuthUser, reason: str, message: str | None = None, **details: Any) -> Forbidden:
    """Log a refused request in the audit log and return the exception to raise."""
    runtime: Runtime = request.app.state.runtime
    if message:
        details["message"] = message
    with runtime.db.write() as session:
        record(session=session, actor=user.username, action="access.denied", target_type="path",
               target_id=request.url.path[:64], method=request.method, role=user.role, reason=reason, **details)
    return Forbidden(message) if message else Forbidden()


def require(permission: str) -> Callable[..., AuthUser]:
    """A dependency admitting the signed-in user when the permission table gives their role ``permission``."""

    def dependency(request: Request, user: CurrentUser) -> AuthUser:
        if not allowed(user.role, permission):
            raise deny(request, user, "role", needed=permission)
        return user

    dependency.__name__ = f"require_{permission.replace('.', '_')}"
    return dependency


SignedIn = Annotated[AuthUser, Depends(require("dashboard.view"))]
QueueViewer = Annotated[AuthUser, Depends(require("queue.view"))]
ItemViewer = Annotated[AuthUser, Depends(require("item.view"))]
CaseViewer = Annotated[AuthUser, Depends(require("case.view"))]
AuditViewer = Annotated[AuthUser, Depends(require("audit.view"))]
UserManager = Annotated[AuthUser, Depends(require("user.manage"))]
SourceViewer = Annotated[AuthUser, Depends(require("source.view"))]
HealthViewer = Annotated[AuthUser, Depends(require("health.view"))]
Exporter = Annotated[AuthUser, Depends(require("export.manage"))]
TakedownViewer = Annotated[AuthUser, Depends(require("takedown.view"))]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_EXEMPT = frozenset({"/login"})  # checks its own double-submit token: there is no session yet
CSRF_EXEMPT_PREFIXES = ("/reset/",)  # a one-time reset link: the secret token in the path is what counts


async def csrf_protect(request: Request) -> None:
    """Refuse unsafe requests from a signed-in session without its CSRF token (header or form field).

    Requests without a session fall through to the route, which answers 401 or redirects to the login page.
    """
    path = request.url.path
    if request.method in SAFE_METHODS or path in CSRF_EXEMPT or path.startswith(CSRF_EXEMPT_PREFIXES):
        return
    user = await run_in_threadpool(auth_user, request)
    if user is None:
        return
    given = request.headers.get(CSRF_HEADER)
    if not given and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FORM_FIELD)
        given = value if isinstance(value, str) else None
    if not tokens_match(user.csrf_token, given):
        raise await run_in_threadpool(deny, request, user, "csrf")
