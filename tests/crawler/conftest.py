"""Fixtures: a real local HTTP server (see crawlkit.LocalServer) and test CrawlSettings."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from crawler import CrawlSettings
from crawlkit import LocalServer, _server, _settings


@pytest.fixture
def server() -> Iterable[LocalServer]:
    yield from _server()


@pytest.fixture
def settings() -> CrawlSettings:
    return _settings()
