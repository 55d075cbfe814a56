"""Switching the page language: a signed-in person's choice is kept on their account (audited), and in a
cookie so the sign-in page follows it too; before signing in only the cookie is set."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from config.i18n import usable_language
from review.errors import ActionError
from review.users import set_ui_language
from web.deps import OptionalUser, RuntimeDep
from web.render import LANGUAGE_COOKIE

router = APIRouter(include_in_schema=False)


def _same_site(value: str) -> str:
    if value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


@router.post("/language")
def switch_language(
    request: Request, runtime: RuntimeDep, user: OptionalUser,
    lang: Annotated[str, Form(max_length=16)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",  # noqa: A002
) -> Response:
    code = usable_language(lang)
    response = RedirectResponse(_same_site(next), status_code=303)
    if code is None:
        return response
    if user is not None:
        try:
            set_ui_language(runtime.db, user.actor, code)
        except ActionError:
            return response
    response.set_cookie(LANGUAGE_COOKIE, code, httponly=True, samesite="lax", path="/", max_age=365 * 24 * 3600,
                        secure=request.url.scheme == "https")
    return response
