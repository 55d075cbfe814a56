"""People (admin): list, create with a role, deactivate. Every change is in the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete

from review.web.deps import Admin, DbSession, RuntimeDep
from review.web.render import render
from store.audit import record
from store.models import ROLES, User, WebSession
from store.users import UserError, create_user, list_users

router = APIRouter(include_in_schema=False)


def _page(request: Request, user: Admin, runtime: RuntimeDep, *, error: str | None = None,
          flash: str | None = None, form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    with runtime.db.session() as session:
        users = list_users(session=session)
    return render(request, "users.html", {"users": users, "roles": ROLES, "error": error, "flash": flash,
                                          "form": form or {}}, user=user, status_code=status_code)


@router.get("/admin/users")
def users_page(request: Request, user: Admin, runtime: RuntimeDep, created: str | None = None,
               deactivated: str | None = None) -> Response:
    flash = f"Created {created}." if created else (f"Deactivated {deactivated}." if deactivated else None)
    return _page(request, user, runtime, flash=flash)


@router.post("/admin/users")
def add_user(
    request: Request, user: Admin, runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    try:
        with runtime.db.write() as session:
            created = create_user(session=session, username=username.strip(), password=password, role=role,
                                  actor=user.username)
            name = created.username
    except UserError as exc:
        return _page(request, user, runtime, error=str(exc), form={"username": username, "role": role},
                     status_code=422)
    return RedirectResponse(f"/admin/users?created={name}", status_code=303)


@router.post("/admin/users/{user_id}/deactivate")
def deactivate_user(request: Request, user_id: int, user: Admin, runtime: RuntimeDep, session: DbSession) -> Response:
    if user_id == user.id:
        return _page(request, user, runtime, error="You cannot deactivate yourself.", status_code=422)
    with runtime.db.write() as write:
        target = write.get(User, user_id)
        if target is None:
            raise HTTPException(404, f"There is no user #{user_id}.")
        name = target.username
        if target.active:
            target.active = False
            write.execute(delete(WebSession).where(WebSession.user_id == user_id))
            record(session=write, actor=user.username, action="user.deactivate", target_type="user",
                   target_id=user_id, username=name)
    return RedirectResponse(f"/admin/users?deactivated={name}", status_code=303)
