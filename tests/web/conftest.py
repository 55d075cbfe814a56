"""Browser fixtures: headless Chromium (Debian's) driven by Playwright, one per test module.

Module scope on purpose: while Playwright's sync API is open it keeps an event loop running in the main
thread, which would break later tests that call asyncio.run().
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config import AppConfig, Settings
from service.runtime import Runtime


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    from web_support import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def rt(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime on the test database (SQLite file or PostgreSQL), exports written under tmp_path."""
    runtime = Runtime.open(AppConfig(settings=Settings(ui_language="en", database_url=database_url,
                                                       exports_dir=tmp_path / "exports")))  # type: ignore[arg-type]
    yield runtime
    runtime.close()
