"""Signing in and out: username + password, server-side sessions, rate-limited failures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from config.i18n import N_
from store.audit import record
from store.users import authenticate
from web.client_address import client_address
from web.deps import CurrentUser, OptionalUser, RuntimeDep
from web.render import render, translator
from web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    RateLimit,
    end_session,
    login_blocked,
    new_token,
    record_attempt,
    start_session,
    tokens_match,
)

router = APIRouter(include_in_schema=False)


def _secure(request: Request) -> bool:
    """Cookies are ``Secure`` over https, also when a trusted proxy terminated TLS (see ``ForwardedScheme``)."""
    return request.url.scheme == "https"


def _safe_next(value: str | None) -> str:
    """Only same-site paths: '/queue', never '//evil.example' or 'https://...'."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


def _login_page(request: Request, *, error: str | None = None, status_code: int = 200, username: str = "",
                next_path: str = "/", flash: str | None = None) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not token or len(token) > 100:
        token = new_token()
    response = render(request, "login.html", {"login_csrf": token, "error": error, "username": username,
                                              "next": next_path, "flash": flash}, user=None, status_code=status_code)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request),
                        path="/login", max_age=3600)
    return response


@router.get("/login")
def login_form(request: Request, user: OptionalUser, next: str | None = None) -> Response:  # noqa: A002
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    flash = N_("Your new password is set: sign in with it.") if request.query_params.get("reset") == "1" else None
    return _login_page(request, next_path=_safe_next(next), flash=flash)


@router.post("/login")
def login(
    request: Request, runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",  # noqa: A002
) -> Response:
    if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
        return _login_page(request, error=N_("The form expired. Please sign in again."), status_code=403,
                           username=username)
    username = username.strip()
    client = client_address(request)
    limit: RateLimit = request.app.state.rate_limit
    user = None
    token = ""
    with runtime.db.write() as session:
        if login_blocked(session=session, username=username, client=client, limit=limit):
            record(session=session, actor=username or "-", action="auth.login_blocked", target_type="user",
                   target_id=username, client=client)
            blocked = True
        else:
            blocked = False
            user = authenticate(session=session, username=username, password=password) if username else None
            record_attempt(session=session, username=username, client=client, success=user is not None)
            if user is not None:
                token, _csrf = start_session(session=session, user=user, hours=runtime.config.settings.session_hours)
                record(session=session, actor=user.username, action="auth.login", target_type="user",
                       target_id=user.id, client=client)
            else:
                record(session=session, actor=username or "-", action="auth.login_failed", target_type="user",
                       target_id=username, client=client)
    if blocked:
        minutes = int(limit.window.total_seconds() // 60)
        _ = translator(request, None)
        return _login_page(request, status_code=429, username=username, error=_(
            "Too many failed sign-in attempts. Wait %(n)s minutes and try again, or ask an administrator to check "
            "your account.", n=minutes))
    if user is None:
        return _login_page(request, error=N_("Wrong username or password."), status_code=401, username=username)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=_secure(request), path="/",
                        max_age=runtime.config.settings.session_hours * 3600)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, user: CurrentUser, runtime: RuntimeDep) -> Response:
    with runtime.db.write() as session:
        end_session(session=session, token_sha256=user.token_sha256)
        record(session=session, actor=user.username, action="auth.logout", target_type="user", target_id=user.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
