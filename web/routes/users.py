"""People (admin): list, create with a role, deactivate. Each change is a ``review.users`` action."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from review.errors import ActionError
from review.users import add_user, deactivate_user, people
from store.models import ROLES
from web.deps import CurrentUser, RuntimeDep, UserManager
from web.errors import status_for
from web.params import RowId
from web.render import render
from web.security import AuthUser

router = APIRouter(include_in_schema=False)


def _page(request: Request, user: AuthUser, runtime: RuntimeDep, *, error: str | None = None,
          flash: str | None = None, form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return render(request, "users.html", {"users": people(runtime.db, user.actor), "roles": ROLES, "error": error,
                                          "flash": flash, "form": form or {}}, user=user, status_code=status_code)


@router.get("/admin/users")
def users_page(request: Request, user: UserManager, runtime: RuntimeDep, created: str | None = None,
               deactivated: str | None = None) -> Response:
    flash = f"Created {created[:64]}." if created else (f"Deactivated {deactivated[:64]}." if deactivated else None)
    return _page(request, user, runtime, flash=flash)


@router.post("/admin/users")
def add_user_form(
    request: Request, user: CurrentUser, runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    try:
        created = add_user(runtime.db, user.actor, username=username, password=password, role=role)
    except ActionError as exc:
        if status_for(exc) in (403, 404):
            raise
        return _page(request, user, runtime, error=str(exc), form={"username": username, "role": role},
                     status_code=status_for(exc))
    return RedirectResponse(f"/admin/users?created={created.username}", status_code=303)


@router.post("/admin/users/{user_id}/deactivate")
def deactivate_user_form(request: Request, user_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> Response:
    try:
        target, _changed = deactivate_user(runtime.db, user.actor, user_id)
    except ActionError as exc:
        if status_for(exc) in (403, 404):
            raise
        return _page(request, user, runtime, error=str(exc), status_code=status_for(exc))
    return RedirectResponse(f"/admin/users?deactivated={target.username}", status_code=303)
