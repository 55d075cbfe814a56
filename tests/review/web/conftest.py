"""Browser fixtures: headless Chromium (Debian's) driven by Playwright, one per test module.

Module scope on purpose: while Playwright's sync API is open it keeps an event loop running in the main
thread, which would break later tests that call asyncio.run().
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright
    from web_support import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
