"""The page a one-time reset link opens: choose a new password (no session needed; the link is the secret).
The link works once, until it expires; using it signs the person out everywhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from config.i18n import N_
from review.errors import ActionError
from review.users import reset_link_owner, use_password_reset
from web.deps import RuntimeDep
from web.errors import status_for
from web.render import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, token: str, *, username: str | None, error: str | ActionError | None = None,
          status_code: int = 200) -> Response:
    response = render(request, "reset.html", {"token": token, "username": username, "error": error}, user=None,
                      status_code=status_code)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/reset/{token}")
def reset_page(request: Request, token: str, runtime: RuntimeDep) -> Response:
    try:
        username = reset_link_owner(runtime.db, token[:100])
    except ActionError as exc:
        return _page(request, token[:100], username=None, error=exc, status_code=status_for(exc))
    return _page(request, token, username=username)


@router.post("/reset/{token}")
def reset_password(request: Request, token: str, runtime: RuntimeDep,
                   password: Annotated[str, Form(max_length=1024)] = "",
                   again: Annotated[str, Form(max_length=1024)] = "") -> Response:
    token = token[:100]
    try:
        username = reset_link_owner(runtime.db, token)
    except ActionError as exc:
        return _page(request, token, username=None, error=exc, status_code=status_for(exc))
    if password != again:
        return _page(request, token, username=username, error=N_("the two passwords differ; type the same one twice"),
                     status_code=422)
    try:
        use_password_reset(runtime.db, token, password)
    except ActionError as exc:
        return _page(request, token, username=username, error=exc, status_code=status_for(exc))
    return RedirectResponse("/login?reset=1", status_code=303)
