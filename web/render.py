"""Render a page (or one block of it, for htmx) with the context every page needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from config.i18n import LANGUAGES
from review.permissions import allowed
from web.i18n import gettext, pick_language
from web.nav import nav_for
from web.security import AuthUser
from web.templating import Templates

__all__ = ["LANGUAGE_COOKIE", "Confirmation", "confirm_page", "is_htmx", "page_language", "render", "translator"]

LANGUAGE_COOKIE = "kiemtin_lang"  # the language chosen before signing in (and after, to follow the person)


def page_language(request: Request, user: AuthUser | None) -> str:
    """The person's chosen language, else the browser's earlier choice (cookie), else the setting ``ui_language``."""
    default = getattr(request.app.state, "ui_language", None)
    return pick_language(user.ui_language if user else None, request.cookies.get(LANGUAGE_COOKIE), default)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-history-restore-request") != "true"


def translator(request: Request, user: AuthUser | None) -> Callable[..., str]:
    """``_`` for a route: ``_("Saved %(name)s", name=...)`` in the page's language (extraction finds ``_``)."""
    return partial(gettext, page_language(request, user))


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, user: AuthUser | None,
           status_code: int = 200, block: str | None = None, headers: dict[str, str] | None = None) -> HTMLResponse:
    templates: Templates = request.app.state.templates
    ctx: dict[str, Any] = {
        "lang": page_language(request, user),
        "languages": LANGUAGES,
        "user": user,
        "csrf_token": user.csrf_token if user else "",
        "nav": nav_for(user.role) if user else [],
        "can_review": bool(user and allowed(user.role, "item.claim")),
        "path": request.url.path,
        "flash": None,
        "error": None,
    }
    ctx.update(context or {})
    html = templates.render(name, ctx, block=block)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@dataclass(frozen=True)
class Confirmation:
    """A page that asks before a destructive change: what happens, and a button that posts ``confirm=yes``."""

    id: str
    title: str  # a whole question: "Deactivate lan?"
    message: str  # what will happen, and what stays
    action: str  # where the button posts
    button: str
    cancel: str  # where Cancel goes
    fields: dict[str, str] = field(default_factory=dict)  # hidden fields the post needs besides confirm=yes


def confirm_page(request: Request, confirmation: Confirmation, *, user: AuthUser) -> HTMLResponse:
    return render(request, "confirm.html", {"confirm": confirmation}, user=user)
