"""``kiemtin serve``: the review web app under uvicorn, on settings.web_host:web_port."""

from __future__ import annotations

import logging
import threading
import time

import uvicorn

from service.runtime import Runtime
from web.app import create_app

__all__ = ["BackgroundServer", "serve"]

log = logging.getLogger(__name__)


def serve(runtime: Runtime, *, host: str | None = None, port: int | None = None) -> None:
    """Serve until Ctrl-C or SIGTERM."""
    settings = runtime.config.settings
    host, port = host or settings.web_host, port or settings.web_port
    app = create_app(runtime)
    log.info("review web app on http://%s:%d/ (sign in with a user from `kiemtin users add`)", host, port)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False, server_header=False)


class BackgroundServer:
    """The web app in a daemon thread (for the demo, the benchmark and browser tests)."""

    def __init__(self, runtime: Runtime, *, host: str = "127.0.0.1", port: int = 8000, log_level: str = "warning"):
        config = uvicorn.Config(create_app(runtime), host=host, port=port, log_level=log_level,
                                server_header=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="kiemtin-web", daemon=True)
        self.url = f"http://{host}:{port}"

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the web app did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
