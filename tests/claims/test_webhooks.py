"""Webhooks: a confirmed item reaches a local receiver with a valid HMAC-SHA256 signature; a failing receiver is
retried with backoff and the failure is visible in the delivery log; URLs pass the SSRF guard."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from typer.testing import CliRunner

from builders import as_, decide, flag, people
from pipeline import app
from review.actors import CONSOLE_ACTOR
from review.errors import InvalidInput, NotAllowed
from review.webhooks import add_webhook, deliveries
from service.runtime import Runtime
from service.webhooks import deliver_due
from store.types import utcnow

SECRET = "s3cret-for-the-test-receiver"
LOCAL = ["127.0.0.0/8"]


class Receiver:
    """A webhook receiver on 127.0.0.1 that checks each signature with SECRET and answers ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.status, self.received = status, []  # type: ignore[var-annotated]
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stamp = self.headers["X-Kiemtin-Timestamp"]
                expected = "sha256=" + hmac.new(SECRET.encode(), f"{stamp}.".encode() + body,
                                                hashlib.sha256).hexdigest()
                valid = hmac.compare_digest(expected, self.headers["X-Kiemtin-Signature"])
                outer.received.append({"event": self.headers["X-Kiemtin-Event"], "valid": valid,
                                       "body": json.loads(body)})
                self.send_response(outer.status if valid else 401)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_a_confirmed_item_reaches_the_receiver_signed(runtime: Runtime, receiver: Receiver) -> None:
    people(runtime.db, ("ana", "analyst"))
    add_webhook(runtime.db, CONSOLE_ACTOR, url=receiver.url, events=["item.confirmed"], secret=SECRET,
                allow_networks=LOCAL)
    item = flag(runtime.db, "w1")
    decide(runtime.db, "ana", item, "confirm")
    counts = deliver_due(runtime)
    assert (counts.delivered, counts.retrying, counts.failed) == (1, 0, 0)
    [got] = receiver.received
    assert got["valid"] and got["event"] == "item.confirmed" and got["body"]["item_id"] == item
    assert "ana" not in json.dumps(got["body"])  # about the post, never the person who decided
    [row] = deliveries(runtime.db, CONSOLE_ACTOR)
    assert row.status == "delivered" and row.attempts == 1 and row.last_status == 200
    assert deliver_due(runtime).delivered == 0  # sent once


def test_a_failing_receiver_is_retried_with_backoff_and_the_failure_is_visible(runtime: Runtime,
                                                                               cli_env: Any) -> None:
    failing = Receiver(status=500)
    try:
        add_webhook(runtime.db, CONSOLE_ACTOR, url=failing.url, events=["item.flagged"], secret=SECRET,
                    allow_networks=LOCAL)
        flag(runtime.db, "w2")
        settings = runtime.config.settings
        now = utcnow()
        assert deliver_due(runtime, now=now).retrying == 1
        [row] = deliveries(runtime.db, CONSOLE_ACTOR)
        assert row.status == "pending" and row.attempts == 1 and row.last_error == "HTTP 500"
        assert deliver_due(runtime, now=now + timedelta(seconds=1)).retrying == 0  # not due before the backoff
        at = now
        for attempt in range(2, settings.webhook_max_attempts + 1):
            at += timedelta(seconds=settings.webhook_backoff_s * 2 ** (attempt - 2) + 1)
            deliver_due(runtime, now=at)
        [row] = deliveries(runtime.db, CONSOLE_ACTOR)
        assert row.status == "failed" and row.attempts == settings.webhook_max_attempts
        assert len(failing.received) == settings.webhook_max_attempts and all(r["valid"] for r in failing.received)
        log = CliRunner().invoke(app, ["webhooks", "deliveries", "--status", "failed"])
        assert log.exit_code == 0 and "failed" in log.output and "HTTP 500" in log.output
    finally:
        failing.close()


@pytest.mark.parametrize("url", ["http://localhost:9/hook", "http://metadata.google.internal/computeMetadata/",
                                 "ftp://example.org/x"])
def test_webhook_urls_pass_the_ssrf_guard(runtime: Runtime, url: str) -> None:
    with pytest.raises(InvalidInput, match="webhook URL"):
        add_webhook(runtime.db, CONSOLE_ACTOR, url=url, events=["item.flagged"])


def test_only_admins_configure_webhooks(runtime: Runtime, receiver: Receiver) -> None:
    people(runtime.db, ("ana", "analyst"), ("ada", "admin"))
    with pytest.raises(NotAllowed):
        add_webhook(runtime.db, as_("ana"), url=receiver.url, events=[],
                    allow_networks=LOCAL)
    hook = add_webhook(runtime.db, as_("ada"), url=receiver.url, events=[],
                       allow_networks=LOCAL)
    assert len(hook.events) == 5 and len(hook.secret) == 64
    with pytest.raises(InvalidInput, match="unknown event"):
        add_webhook(runtime.db, CONSOLE_ACTOR, url=receiver.url, events=["user.login"], allow_networks=LOCAL)
