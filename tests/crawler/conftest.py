"""Fixtures: test CrawlSettings (the local HTTP server fixture ``server`` is in tests/conftest.py)."""

from __future__ import annotations

import pytest

from crawler import CrawlSettings
from crawlkit import _settings


@pytest.fixture
def settings() -> CrawlSettings:
    return _settings()
