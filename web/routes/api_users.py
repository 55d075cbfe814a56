"""JSON API for admins: people who sign in. Deactivate, reactivate, change a role, issue a password reset link;
the same ``review.users`` actions as the Users page (which asks for a confirmation first; an API call is its own
confirmation)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from review.users import Person, change_role, deactivate_user, issue_password_reset, people, reactivate_user
from web.deps import CurrentUser, RuntimeDep
from web.params import RowId

router = APIRouter(prefix="/api", tags=["people"])

_REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"description": "only an admin may manage people"}, 404: {"description": "no such user"},
    409: {"description": "refused: yourself, or the last active admin (the message says why)"},
    422: {"description": "a value that cannot be used (the message says which)"}}


class PersonOut(BaseModel):
    id: int
    username: str
    role: str
    active: bool
    created_at: datetime


class ChangedOut(PersonOut):
    changed: bool = Field(description="false when it was so already")


class RoleIn(BaseModel):
    role: str = Field(max_length=16, description="analyst, operator, reviewer or admin")


class ResetOut(BaseModel):
    username: str
    path: str = Field(description="the one-time link's path on this web app; shown only now")
    expires_at: datetime


def _out(person: Person, changed: bool) -> ChangedOut:
    return ChangedOut(id=person.id, username=person.username, role=person.role, active=person.active,
                      created_at=person.created_at, changed=changed)


@router.get("/users", response_model=list[PersonOut], responses=_REFUSALS, summary="People who can sign in (admin)")
def api_users(user: CurrentUser, runtime: RuntimeDep) -> list[PersonOut]:
    return [PersonOut(id=p.id, username=p.username, role=p.role, active=p.active, created_at=p.created_at)
            for p in people(runtime.db, user.actor)]


@router.post("/users/{user_id}/deactivate", response_model=ChangedOut, responses=_REFUSALS,
             summary="Deactivate a person: signed out everywhere, no more sign-ins")
def api_deactivate(user_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> ChangedOut:
    return _out(*deactivate_user(runtime.db, user.actor, user_id))


@router.post("/users/{user_id}/reactivate", response_model=ChangedOut, responses=_REFUSALS,
             summary="Let a deactivated person sign in again")
def api_reactivate(user_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> ChangedOut:
    return _out(*reactivate_user(runtime.db, user.actor, user_id))


@router.post("/users/{user_id}/role", response_model=ChangedOut, responses=_REFUSALS, summary="Change a role")
def api_role(user_id: RowId, body: RoleIn, user: CurrentUser, runtime: RuntimeDep) -> ChangedOut:
    person, before = change_role(runtime.db, user.actor, user_id, body.role)
    return _out(person, before != person.role)


@router.post("/users/{user_id}/password-reset", response_model=ResetOut, responses=_REFUSALS,
             summary="A one-time password reset link; the old password stops working and sessions end")
def api_reset(user_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> ResetOut:
    link = issue_password_reset(runtime.db, user.actor, user_id,
                                valid_for=timedelta(hours=runtime.config.settings.reset_link_hours))
    return ResetOut(username=link.username, path=link.path, expires_at=link.expires_at)
