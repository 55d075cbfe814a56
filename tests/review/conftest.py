"""The review team the rule and flow tests share, and a driver per adapter (the action, the web form, the JSON
API, the command line) for each test that takes ``driver``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from builders import PASSWORD, people
from drivers import ADAPTERS, Driver
from service.runtime import Runtime

#: analysts ana and bao, admin ada, reviewers cam, dan and rita, operator olga
TEAM = (("ana", "analyst"), ("bao", "analyst"), ("ada", "admin"), ("cam", "reviewer"), ("dan", "reviewer"),
        ("rita", "reviewer"), ("olga", "operator"))


@pytest.fixture(params=ADAPTERS)
def driver(request: pytest.FixtureRequest, runtime: Runtime) -> Iterator[Driver]:
    people(runtime.db, *TEAM, password=PASSWORD)
    yield Driver(request.param, runtime)
