"""Fixtures: test CrawlSettings (the local HTTP server fixture ``server`` is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crawler import CrawlSettings
from crawlkit import LocalServer, _server, _settings


@pytest.fixture
def settings() -> CrawlSettings:
    return _settings()


@pytest.fixture(scope="module")
def _module_local_server() -> Iterator[LocalServer]:
    yield from _server()


@pytest.fixture
def reused_server(_module_local_server: LocalServer) -> LocalServer:
    """Like ``server``, but one LocalServer per test module, emptied (routes and hits) for each test:
    stopping a server takes up to half a second (serve_forever's poll interval), which adds up over
    many short tests. Only for tests that wait for all their requests to finish."""
    srv = _module_local_server
    with srv.lock:
        srv.routes.clear()
        srv.hits.clear()
    return srv
