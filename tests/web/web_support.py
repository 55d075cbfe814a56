"""Builders for the web tests: flagged items with evidence, users, a signed-in TestClient."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import builders
from builders import PASSWORD
from config import AppConfig, Settings
from service.runtime import Runtime
from store import Database
from web.server import BackgroundServer

HOSTILE = ('Tin nóng: <script>alert("xss")</script> uống nước muối chữa khỏi bệnh '
           '<img src=x onerror="alert(1)"> "quote" & \'apos\' </textarea><b>bold</b>')


def flag(db: Database, external_id: str, score: float = 0.9, text: str | None = None, *,
         terms: tuple[str, ...] = ("chữa khỏi",), source: str | None = None, url: str | None = None) -> int:
    """A post, its snapshot, a verdict with evidence spans and a queue item; returns the item id."""
    body = text or f"Uống nước muối chữa khỏi bệnh {external_id}, tin đồn lan truyền trên mạng."
    kw: dict[str, Any] = {"url": url} if url else {}
    return builders.flag(db, external_id, score=score, text=body, terms=terms, source_name=source, **kw)


def add_user(db: Database, name: str, role: str = "analyst") -> int:
    return builders.people(db, (name, role), password=PASSWORD)[name]


def login(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token},
                       follow_redirects=False)


def csrf_of(client: TestClient, path: str = "/") -> str:
    page = client.get(path)
    return re.search(r'<meta name="csrf-token" content="([^"]*)"', page.text).group(1)


def signed_in(runtime: Runtime, name: str, role: str = "analyst", **kw: Any) -> TestClient:
    from web import create_app

    add_user(runtime.db, name, role)
    client = TestClient(create_app(runtime, **kw))
    response = login(client, name)
    assert response.status_code == 303, response.text
    return client


# --- real Chromium for browser tests ---

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install -y chromium)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(settings: Settings) -> Iterator[tuple[str, Runtime]]:
    """The web app on a free 127.0.0.1 port in a thread, for a real browser: (base URL, runtime)."""
    runtime = Runtime.open(AppConfig(settings=settings))
    server = BackgroundServer(runtime, port=free_port()).start()
    try:
        yield server.url, runtime
    finally:
        server.stop()
        runtime.close()
