"""Admins reactivate people, change roles and hand out one-time password reset links, the same way through the
action, the Users page, the JSON API and the command line; nobody changes themselves and the last active admin
stays."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import PASSWORD, audit_trail, people
from drivers import ADAPTERS, Driver
from review.actors import CONSOLE_ACTOR
from review.errors import NotFound, Refused
from review.users import change_role, deactivate_user, issue_password_reset, use_password_reset
from service.runtime import Runtime
from store.models import User, WebSession
from store.types import utcnow

NEW_PASSWORD = "mật khẩu mới rất dài"


@pytest.fixture(params=ADAPTERS)
def driver(request: pytest.FixtureRequest, runtime: Runtime) -> Iterator[Driver]:
    people(runtime.db, ("boss", "admin"), ("linh", "analyst"), ("minh", "reviewer"), password=PASSWORD)
    yield Driver(request.param, runtime)


def _user(runtime: Runtime, name: str) -> User:
    with runtime.db.session() as s:
        return s.scalar(select(User).where(User.username == name))


def _sign_in(runtime: Runtime, name: str, password: str) -> int:
    return Driver("web", runtime).sign_in(name, password)[1]


def test_an_admin_changes_a_role_and_it_counts_at_once(driver: Driver) -> None:
    rt = driver.runtime
    linh = Driver("web", rt).client("linh")
    assert linh.get("/cases").status_code == 403
    assert driver.manage("boss", "role", "linh", role="reviewer").ok
    assert _user(rt, "linh").role == "reviewer"
    assert linh.get("/cases").status_code == 200  # her open session has the new role
    unknown = driver.manage("boss", "role", "linh", role="superuser")
    assert (unknown.ok, unknown.kind) == (False, "invalid") and "unknown role 'superuser'" in unknown.message
    own = driver.manage("boss", "role", "boss", role="analyst")
    assert (own.ok, own.kind) == (False, "refused") and "your own role" in own.message
    assert ("boss", "user.role_change", str(_user(rt, "linh").id)) in audit_trail(rt.db)


def test_a_deactivated_person_is_reactivated(driver: Driver) -> None:
    rt = driver.runtime
    assert driver.manage("boss", "deactivate", "minh").ok
    assert _sign_in(rt, "minh", PASSWORD) == 401
    assert driver.manage("boss", "reactivate", "minh").ok
    assert _user(rt, "minh").active and _sign_in(rt, "minh", PASSWORD) == 303
    analyst = driver.manage("linh", "reactivate", "minh")
    assert (analyst.ok, analyst.kind) == (False, "forbidden")


def test_a_reset_link_works_once_and_ends_the_old_password_and_sessions(driver: Driver) -> None:
    rt = driver.runtime
    session = Driver("web", rt).client("linh")
    answer = driver.manage("boss", "reset", "linh")
    assert answer.ok and answer.value.startswith("/reset/"), answer
    assert session.get("/queue", follow_redirects=False).status_code == 303  # signed out everywhere
    assert _sign_in(rt, "linh", PASSWORD) == 401  # the old password stopped working
    visitor = TestClient(session.app)
    form = visitor.get(answer.value)
    assert form.status_code == 200 and "For linh" in form.text
    differ = visitor.post(answer.value, data={"password": NEW_PASSWORD, "again": NEW_PASSWORD + "!"})
    assert differ.status_code == 422 and "the two passwords differ" in differ.text
    short = visitor.post(answer.value, data={"password": "ngắn", "again": "ngắn"})
    assert short.status_code == 422 and "at least 10" in short.text
    done = visitor.post(answer.value, data={"password": NEW_PASSWORD, "again": NEW_PASSWORD},
                        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login?reset=1"
    assert _sign_in(rt, "linh", NEW_PASSWORD) == 303
    again = visitor.post(answer.value, data={"password": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert again.status_code == 404 and "unknown, used or expired" in again.text
    trail = [action for _actor, action, _target in audit_trail(rt.db)]
    assert "user.password_reset_issued" in trail and "user.password_reset_used" in trail


def test_the_last_active_admin_stays_an_active_admin(runtime: Runtime) -> None:
    ids = people(runtime.db, ("boss", "admin"), ("ana", "analyst"))
    for change in (lambda: deactivate_user(runtime.db, CONSOLE_ACTOR, "boss"),
                   lambda: change_role(runtime.db, CONSOLE_ACTOR, "boss", "reviewer")):
        with pytest.raises(Refused, match="'boss' is the last active admin"):
            change()
    cli = Driver("cli", runtime)
    refused = cli._cli("users", "role", "boss", "analyst")
    assert (refused.ok, refused.kind) == (False, "refused") and "last active admin" in refused.message
    change_role(runtime.db, CONSOLE_ACTOR, "ana", "admin")  # with a second admin, the first may step down
    assert change_role(runtime.db, CONSOLE_ACTOR, "boss", "reviewer")[0].role == "reviewer"
    assert {u: _user(runtime, u).role for u in ("boss", "ana")} == {"boss": "reviewer", "ana": "admin"}
    assert ids


def test_a_reset_link_expires_and_an_earlier_one_stops_working(runtime: Runtime) -> None:
    people(runtime.db, ("linh", "analyst"), password=PASSWORD)
    first = issue_password_reset(runtime.db, CONSOLE_ACTOR, "linh", valid_for=timedelta(hours=1))
    second = issue_password_reset(runtime.db, CONSOLE_ACTOR, "linh", valid_for=timedelta(hours=1))
    token = first.path.removeprefix("/reset/")
    with pytest.raises(NotFound, match="unknown, used or expired"):
        use_password_reset(runtime.db, token, NEW_PASSWORD)
    later = utcnow() + timedelta(hours=2)
    with pytest.raises(NotFound, match="unknown, used or expired"):
        use_password_reset(runtime.db, second.path.removeprefix("/reset/"), NEW_PASSWORD, now=later)
    with runtime.db.session() as s:
        assert s.scalars(select(WebSession)).all() == []


def test_the_command_line_asks_before_it_deactivates_or_resets(runtime: Runtime) -> None:
    from typer.testing import CliRunner

    from pipeline import app

    people(runtime.db, ("linh", "analyst"), password=PASSWORD)
    env = {"KIEMTIN_DATABASE_URL": runtime.config.settings.database_url, "KIEMTIN_CONFIG": "/nonexistent.toml"}
    for command in (["users", "deactivate", "linh"], ["users", "reset-password", "linh"]):
        result = CliRunner().invoke(app, command, input="n\n", env=env)
        assert result.exit_code == 1 and "?" in result.output, result.output
    user = _user(runtime, "linh")
    assert user.active and _sign_in(runtime, "linh", PASSWORD) == 303
