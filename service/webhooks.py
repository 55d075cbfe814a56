"""Sending webhook deliveries: signed JSON POSTs through the SSRF guard, retried with exponential backoff.

Each request carries ``X-Kiemtin-Event``, ``X-Kiemtin-Delivery`` (the delivery id: receivers drop repeats),
``X-Kiemtin-Timestamp`` (Unix seconds) and ``X-Kiemtin-Signature: sha256=HEX``, the HMAC-SHA256 under the
webhook's secret of ``TIMESTAMP.BODY`` (``signature``). A 2xx answer is delivered; anything else (an HTTP
error, a timeout, a refused address) is tried again after ``webhook_backoff_s`` x 2^(attempt-1) until
``webhook_max_attempts``, then the delivery is ``failed``, with the last status and error in the log. The
leading scheduler sends what is due on each tick; ``kiemtin webhooks deliver`` does it once by hand.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult

from crawler.netguard import AddressPolicy, GuardedBackend
from crawler.transport import ShardedTransport
from service.runtime import Runtime
from store.models import Webhook, WebhookDelivery
from store.types import utcnow

__all__ = ["DeliveryCounts", "deliver_due", "signature"]

BATCH = 50


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``TIMESTAMP.BODY`` under ``secret`` (what receivers check)."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


@dataclass
class DeliveryCounts:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


@dataclass(frozen=True)
class _Due:
    id: int
    event: str
    payload: dict[str, Any]
    url: str
    secret: str
    attempts: int


def _claim_due(runtime: Runtime, now: datetime, lease: timedelta) -> list[_Due]:
    """Due deliveries, each taken by one process (a conditional UPDATE moves its next attempt past the lease)."""
    with runtime.db.write() as session:
        rows = session.execute(
            select(WebhookDelivery, Webhook.url, Webhook.secret).join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.id).limit(BATCH)).all()
        taken = []
        for delivery, url, secret in rows:
            result = cast(CursorResult[Any], session.execute(
                update(WebhookDelivery).where(WebhookDelivery.id == delivery.id, WebhookDelivery.status == "pending",
                                              WebhookDelivery.next_attempt_at == delivery.next_attempt_at)
                .values(next_attempt_at=now + lease).execution_options(synchronize_session=False)))
            if result.rowcount == 1:
                taken.append(_Due(delivery.id, delivery.event, dict(delivery.payload), url, secret, delivery.attempts))
        return taken


async def _send(client: httpx.AsyncClient, due: _Due, now: datetime) -> tuple[int | None, str | None]:
    body = json.dumps({**due.payload, "delivery_id": due.id}, ensure_ascii=False, sort_keys=True).encode("utf-8")
    stamp = int(now.timestamp())
    headers = {"Content-Type": "application/json", "X-Kiemtin-Event": due.event,
               "X-Kiemtin-Delivery": str(due.id), "X-Kiemtin-Timestamp": str(stamp),
               "X-Kiemtin-Signature": signature(due.secret, stamp, body)}
    try:
        response = await client.post(due.url, content=body, headers=headers)
    except Exception as exc:  # any failure to deliver is recorded and retried, whatever its kind
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


async def _send_all(runtime: Runtime, batch: list[_Due], now: datetime) -> list[tuple[int | None, str | None]]:
    s = runtime.config.settings
    transport = ShardedTransport(shards=1, connections_per_shard=8, http2=False,
                                 network_backend=GuardedBackend(policy=AddressPolicy(s.allow_networks)))
    async with httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(s.webhook_timeout_s),
                                 follow_redirects=False, trust_env=False,
                                 headers={"User-Agent": s.user_agent}) as client:
        return list(await asyncio.gather(*(_send(client, due, now) for due in batch)))


def deliver_due(runtime: Runtime, *, now: datetime | None = None) -> DeliveryCounts:
    """Send every delivery that is due (up to 50), record each outcome; the counts."""
    s, now = runtime.config.settings, now or utcnow()
    counts = DeliveryCounts()
    batch = _claim_due(runtime, now, timedelta(seconds=s.webhook_timeout_s * 3))
    if not batch:
        return counts
    outcomes = asyncio.run(_send_all(runtime, batch, now))
    with runtime.db.write() as session:
        for due, (status, error) in zip(batch, outcomes, strict=True):
            row = session.get(WebhookDelivery, due.id)
            if row is None:
                continue
            row.attempts, row.last_status, row.last_error = due.attempts + 1, status, error
            if error is None:
                row.status, row.delivered_at, row.next_attempt_at = "delivered", now, None
                counts.delivered += 1
            elif row.attempts >= s.webhook_max_attempts:
                row.status, row.next_attempt_at = "failed", None
                counts.failed += 1
            else:
                row.next_attempt_at = now + timedelta(seconds=s.webhook_backoff_s * 2 ** (row.attempts - 1))
                counts.retrying += 1
    return counts
