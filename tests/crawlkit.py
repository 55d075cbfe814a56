"""A real HTTP server on 127.0.0.1 replaying recorded payloads, plus crawl helpers."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from crawler import CrawlPage, CrawlSettings, Fetcher, MemoryValidatorStore, SourceSpec, crawl

FIXTURES = Path(__file__).parent / "fixtures" / "crawler"
LOOPBACK = ("127.0.0.0/8", "::1/128")  # what the tests' local servers (and fake DNS answers) use


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Resp:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    delay: float = 0.0  # before the status line
    chunks: Callable[[], Iterable[bytes]] | None = None  # streamed without Content-Length
    chunk_delay: float = 0.0


@dataclass
class Hit:
    t: float
    path: str
    headers: dict[str, str]


Handler = Callable[["Hit"], Resp]


class LocalServer:
    """ThreadingHTTPServer with a route table; ``routes[path]`` is a Resp, a list (served in order,
    last one repeats) or a callable(Hit) -> Resp. Paths match with query first, then without."""

    def __init__(self) -> None:
        self.routes: dict[str, Resp | list[Resp] | Handler] = {}
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        server = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                hit = Hit(time.monotonic(), self.path, {k.lower(): v for k, v in self.headers.items()})
                with server.lock:
                    server.hits.append(hit)
                resp = server.resolve(hit)
                if resp.delay:
                    time.sleep(resp.delay)
                try:
                    self.send_response(resp.status)
                    if resp.content_type:
                        self.send_header("Content-Type", resp.content_type)
                    for k, v in resp.headers.items():
                        self.send_header(k, v)
                    if resp.chunks is not None:
                        self.send_header("Connection", "close")
                        self.end_headers()
                        deadline = time.monotonic() + 15
                        for chunk in resp.chunks():
                            self.wfile.write(chunk)
                            self.wfile.flush()
                            if resp.chunk_delay:
                                time.sleep(resp.chunk_delay)
                            if time.monotonic() > deadline:
                                break
                        self.close_connection = True
                        return
                    body = resp.body.encode("utf-8") if isinstance(resp.body, str) else resp.body
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        class Quiet(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # clients hanging up mid-body is what several tests do on purpose

        self.httpd = Quiet(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def resolve(self, hit: Hit) -> Resp:
        with self.lock:
            route = self.routes.get(hit.path)
            if route is None:
                route = self.routes.get(hit.path.split("?", 1)[0])
            if route is None:
                for key, val in self.routes.items():
                    if key.endswith("*") and hit.path.startswith(key[:-1]):
                        route = val
                        break
            if route is None:
                return Resp(404, b"not found", content_type="text/plain")
            if isinstance(route, list):
                return route.pop(0) if len(route) > 1 else route[0]
        if callable(route) and not isinstance(route, Resp):
            return route(hit)
        return route

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits_for(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == path or h.path.split("?", 1)[0] == path]


def _server() -> Iterable[LocalServer]:
    srv = LocalServer()
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()


def _settings() -> CrawlSettings:
    return CrawlSettings(
        user_agent="kiemtin-test/0.1 (+https://github.com/kiemtin; monitoring public posts)",
        timeout=3.0,
        min_delay_s=0.0,
        backoff_base_s=0.05,
        backoff_max_s=0.2,
        allow_networks=LOOPBACK,
        autothrottle=False,
        max_total_s=60.0,
    )


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def collect(
    spec: SourceSpec,
    settings: CrawlSettings,
    cursor: dict[str, Any] | None = None,
    validators: MemoryValidatorStore | None = None,
    fetcher: Fetcher | None = None,
) -> list[CrawlPage]:
    pages = []
    async for page in crawl(
        spec,
        settings=settings,
        cursor=cursor,
        validators=validators or MemoryValidatorStore(),
        fetcher=fetcher,
    ):
        pages.append(page)
    return pages


def crawl_all(
    spec: SourceSpec,
    settings: CrawlSettings,
    cursor: dict[str, Any] | None = None,
    validators: MemoryValidatorStore | None = None,
) -> list[CrawlPage]:
    return run(collect(spec, settings, cursor, validators))


def last_cursor(pages: list[CrawlPage], before: dict[str, Any] | None = None) -> dict[str, Any] | None:
    cur = before
    for p in pages:
        if p.cursor is not None:
            cur = p.cursor
    return cur


async def exercise_host_state(store: Any) -> None:
    """The HostStateStore contract (crawler.hoststate), for every implementation; waits are read from the
    answers, not timed, so only the robots.txt expiry sleeps (0.2 s)."""
    a, b = "http://a.example", "http://b.example:8080"
    assert tuple(await store.reserve(a, 5.0)) == (0.0, None)  # a new host: go now
    wait, delay = await store.reserve(a, 5.0)
    assert 4.5 < wait <= 5.0 and delay is None  # the gap after the previous start
    await store.set_throttle_delay(a, 8.0)
    wait, delay = await store.reserve(a, 1.0)
    assert 12.5 < wait <= 13.0 and delay == 8.0  # the AutoThrottle delay is the gap when it is the largest
    await store.pause(b, 30.0)
    await store.pause(b, 1.0)  # a shorter pause never shortens a longer one
    wait, _ = await store.reserve(b, 0.0)
    assert 29.5 < wait <= 30.0
    assert await store.robots(a) is None
    await store.save_robots(a, ("User-agent: *\nDisallow: /x\n", None, 60.0))
    await store.save_robots(b, (None, "robots.txt answered HTTP 503", 0.2))
    body, deny, ttl = await store.robots(a)
    assert body == "User-agent: *\nDisallow: /x\n" and deny is None and 59.0 < ttl <= 60.0
    assert (await store.robots(b))[1] == "robots.txt answered HTTP 503"
    await asyncio.sleep(0.3)
    assert await store.robots(b) is None  # expired
    assert (await store.robots(a))[0] is not None
