"""People (admin): list, create with a role, deactivate (after a confirmation page), reactivate, change a role,
and hand out a one-time password reset link (after a confirmation page). Each change is a ``review.users``
action; a signed-in person's role and state are read again on every request, so changes count at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from config.i18n import N_
from review.errors import ActionError, NotFound
from review.policy import ROLE_LABELS
from review.users import (
    Person,
    add_user,
    change_role,
    deactivate_user,
    issue_password_reset,
    people,
    reactivate_user,
)
from store.models import ROLES
from web.deps import CurrentUser, RuntimeDep, UserManager
from web.errors import form_refusal_status
from web.params import RowId
from web.render import Confirmation, confirm_page, render, translator
from web.security import AuthUser

router = APIRouter(include_in_schema=False)

_FLASHES = {"created": N_("Created %(name)s."),
            "deactivated": N_("Deactivated %(name)s: they are signed out everywhere."),
            "reactivated": N_("Reactivated %(name)s: they can sign in again."), "role": N_("%(name)s is now %(role)s.")}


def _page(request: Request, user: AuthUser, runtime: RuntimeDep, *, error: str | ActionError | None = None,
          flash: str | None = None, form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return render(request, "users.html", {"users": people(runtime.db, user.actor), "roles": ROLES, "error": error,
                                          "flash": flash, "form": form or {}}, user=user, status_code=status_code)


def _one(runtime: RuntimeDep, user: AuthUser, user_id: int) -> Person:
    found = next((p for p in people(runtime.db, user.actor) if p.id == user_id), None)
    if found is None:
        raise NotFound("there is no user #%(id)s", id=user_id)
    return found


@router.get("/admin/users")
def users_page(request: Request, user: UserManager, runtime: RuntimeDep) -> Response:
    params = request.query_params
    done, name, role = params.get("done", ""), params.get("name", "")[:64], params.get("role", "")[:16]
    _ = translator(request, user)
    flash = _(_FLASHES[done], name=name, role=_(ROLE_LABELS.get(role, role))) if done in _FLASHES else None
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
        return _page(request, user, runtime, error=exc, form={"username": username, "role": role},
                     status_code=form_refusal_status(exc))
    return RedirectResponse(f"/admin/users?{urlencode({'done': 'created', 'name': created.username})}",
                            status_code=303)


def _change(request: Request, user: AuthUser, runtime: RuntimeDep, change: Callable[[], Person],
            done: str) -> Response:
    """Run a change and show the list with what happened; a refusal as the list with the reason (403 and 404 as
    error pages)."""
    try:
        person = change()
    except ActionError as exc:
        return _page(request, user, runtime, error=exc, status_code=form_refusal_status(exc))
    return RedirectResponse(f"/admin/users?{urlencode({'done': done, 'name': person.username, 'role': person.role})}",
                            status_code=303)


@router.get("/admin/users/{user_id}/deactivate")
def deactivate_confirm(request: Request, user_id: RowId, user: UserManager, runtime: RuntimeDep) -> Response:
    name = _one(runtime, user, user_id).username
    _ = translator(request, user)
    return confirm_page(request, Confirmation(
        "confirm-deactivate", _("Deactivate %(name)s?", name=name),
        _("%(name)s is signed out everywhere at once and cannot sign in until an admin reactivates them. Their "
          "decisions and the audit log stay as they are.", name=name),
        f"/admin/users/{user_id}/deactivate", _("Deactivate %(name)s", name=name), "/admin/users"), user=user)


@router.post("/admin/users/{user_id}/deactivate")
def deactivate_user_form(request: Request, user_id: RowId, user: CurrentUser, runtime: RuntimeDep,
                         confirm: Annotated[str, Form(max_length=8)] = "") -> Response:
    if confirm != "yes":  # a destructive change is confirmed on its own page first
        return RedirectResponse(f"/admin/users/{user_id}/deactivate", status_code=303)
    return _change(request, user, runtime, lambda: deactivate_user(runtime.db, user.actor, user_id)[0],
                   "deactivated")


@router.post("/admin/users/{user_id}/reactivate")
def reactivate_user_form(request: Request, user_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> Response:
    return _change(request, user, runtime, lambda: reactivate_user(runtime.db, user.actor, user_id)[0],
                   "reactivated")


@router.post("/admin/users/{user_id}/role")
def role_form(request: Request, user_id: RowId, user: CurrentUser, runtime: RuntimeDep,
              role: Annotated[str, Form(max_length=16)] = "") -> Response:
    return _change(request, user, runtime, lambda: change_role(runtime.db, user.actor, user_id, role)[0], "role")


@router.get("/admin/users/{user_id}/reset")
def reset_confirm(request: Request, user_id: RowId, user: UserManager, runtime: RuntimeDep) -> Response:
    name = _one(runtime, user, user_id).username
    _ = translator(request, user)
    return confirm_page(request, Confirmation(
        "confirm-reset", _("Reset the password of %(name)s?", name=name),
        _("Their current password stops working and they are signed out everywhere at once. You get a one-time "
          "link to hand to them, with which they choose a new password."),
        f"/admin/users/{user_id}/reset", _("Reset the password of %(name)s", name=name), "/admin/users"), user=user)


@router.post("/admin/users/{user_id}/reset")
def reset_form(request: Request, user_id: RowId, user: CurrentUser, runtime: RuntimeDep,
               confirm: Annotated[str, Form(max_length=8)] = "") -> Response:
    """After the confirmation: the one-time link, shown once on this page (only its hash is kept)."""
    if confirm != "yes":
        return RedirectResponse(f"/admin/users/{user_id}/reset", status_code=303)
    hours = runtime.config.settings.reset_link_hours
    try:
        link = issue_password_reset(runtime.db, user.actor, user_id, valid_for=timedelta(hours=hours))
    except ActionError as exc:
        return _page(request, user, runtime, error=exc, status_code=form_refusal_status(exc))
    url = str(request.base_url).rstrip("/") + link.path
    return render(request, "user_reset_link.html", {"link": link, "url": url}, user=user)
