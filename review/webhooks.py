"""Webhooks: admin-configured URLs that receive kiemtin's events as signed JSON, and the log of every delivery.

Events (``WEBHOOK_EVENTS``): ``item.flagged`` (a post queued, at or above the webhook's ``min_score``),
``item.confirmed`` (a person confirmed an item), ``claim.matched`` (a post repeats a known claim),
``narrative.spike`` (an alert) and ``export.created``. ``emit`` writes one pending delivery per subscribed
webhook in the caller's transaction, so an event is sent only if what it describes was committed;
``service.webhooks`` sends them, signed with HMAC-SHA256, retried with backoff. Payloads name posts, items,
claims and narratives, never a person's account: the actor of a decision is not sent.

A webhook's URL passes the same SSRF guard as a source's (``crawler.netguard.check_source_url`` when it is
added; the guarded connection when it is called).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.i18n import N_
from crawler import BlockedAddress
from crawler.netguard import check_source_url
from review.actors import Actor, authorize
from review.errors import InvalidInput, NotFound
from review.inputs import checked_url
from store.audit import record
from store.db import Database
from store.models import WEBHOOK_EVENTS, Webhook, WebhookDelivery
from store.types import utcnow, valid_id

__all__ = ["DELIVERY_LABELS", "DeliveryRow", "WebhookInfo", "add_webhook", "deliveries", "emit", "remove_webhook",
           "webhooks"]

#: a delivery's status as people read it (translated where shown: ``translated(status)``)
DELIVERY_LABELS: dict[str, str] = {"pending": N_("pending"), "delivered": N_("delivered"), "failed": N_("failed")}


@dataclass(frozen=True)
class WebhookInfo:
    id: int
    url: str
    events: tuple[str, ...]
    min_score: float
    enabled: bool
    created_by: str
    created_at: datetime
    secret: str = ""  # only right after it is added: shown once, to configure the receiver


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    webhook_id: int
    url: str
    event: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None


def _info(hook: Webhook, secret: str = "") -> WebhookInfo:
    return WebhookInfo(hook.id, hook.url, tuple(hook.events or ()), hook.min_score, hook.enabled, hook.created_by,
                       hook.created_at, secret)


def add_webhook(db: Database, actor: Actor, *, url: str, events: Sequence[str], allow_networks: Sequence[str] = (),
                min_score: float = 0.0, secret: str | None = None) -> WebhookInfo:
    """A new webhook (admin); its secret is generated unless given, and handed back once."""
    checked = checked_url(url, "webhook URL", required=True)
    assert checked is not None
    try:
        check_source_url(checked, allow_networks)
    except BlockedAddress as exc:
        raise InvalidInput("webhook URL: %(error)s", error=exc) from None
    chosen = tuple(dict.fromkeys(e.strip() for e in events if e.strip())) or WEBHOOK_EVENTS
    unknown = [e for e in chosen if e not in WEBHOOK_EVENTS]
    if unknown:
        raise InvalidInput("unknown event %(event)r: use %(choices)s", event=unknown[0],
                           choices=", ".join(WEBHOOK_EVENTS))
    if not 0.0 <= min_score <= 1.0:
        raise InvalidInput("min_score must be between 0 and 1")
    key = (secret or "").strip() or secrets.token_hex(32)
    if len(key) < 16 or len(key) > 128:
        raise InvalidInput("a webhook secret has 16 to 128 characters")
    with db.write() as session:
        user = authorize(session, actor, "webhook.manage")
        by = user.username if user is not None else actor.name
        hook = Webhook(url=checked, secret=key, events=list(chosen), min_score=min_score, enabled=True,
                       created_by=by)
        session.add(hook)
        session.flush()
        record(session=session, actor=by, action="webhook.add", target_type="webhook", target_id=hook.id,
               url=checked, events=list(chosen))
        return _info(hook, key)


def remove_webhook(db: Database, actor: Actor, webhook_id: int) -> None:
    """Turn a webhook off (its delivery log stays)."""
    with db.write() as session:
        user = authorize(session, actor, "webhook.manage")
        hook = session.get(Webhook, webhook_id) if valid_id(webhook_id) else None
        if hook is None:
            raise NotFound("no webhook #%(id)s", id=webhook_id)
        hook.enabled = False
        record(session=session, actor=user.username if user else actor.name, action="webhook.remove",
               target_type="webhook", target_id=hook.id)


def webhooks(db: Database, actor: Actor) -> list[WebhookInfo]:
    with db.session() as session:
        authorize(session, actor, "webhook.view")
        return [_info(h) for h in session.scalars(select(Webhook).order_by(Webhook.id))]


def deliveries(db: Database, actor: Actor, *, limit: int = 100, status: str | None = None) -> list[DeliveryRow]:
    """The delivery log, newest first: what was sent where, how often it was tried and why it failed."""
    with db.session() as session:
        authorize(session, actor, "webhook.view")
        query = (select(WebhookDelivery, Webhook.url).join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                 .order_by(WebhookDelivery.id.desc()).limit(limit))
        if status:
            query = query.where(WebhookDelivery.status == status)
        return [DeliveryRow(d.id, d.webhook_id, url, d.event, d.status, d.attempts, d.last_status, d.last_error,
                            d.created_at, d.next_attempt_at, d.delivered_at)
                for d, url in session.execute(query).all()]


def emit(session: Session, event: str, payload: dict[str, Any], *, score: float | None = None,
         now: datetime | None = None) -> int:
    """Queue ``event`` for every enabled webhook subscribed to it, in the caller's transaction; how many."""
    return emit_many(session, event, [(payload, score)], now=now)


def emit_many(session: Session, event: str, entries: Sequence[tuple[dict[str, Any], float | None]], *,
              now: datetime | None = None) -> int:
    """``emit`` for many events of one kind ((payload, score) pairs), reading the webhooks once; how many."""
    now = now or utcnow()
    hooks = [hook for hook in session.scalars(select(Webhook).where(Webhook.enabled.is_(True)))
             if event in (hook.events or ())]
    count = 0
    for hook in hooks:
        for payload, score in entries:
            if event == "item.flagged" and score is not None and score < hook.min_score:
                continue
            session.add(WebhookDelivery(webhook_id=hook.id, event=event, payload={"event": event, **payload},
                                        status="pending", attempts=0, next_attempt_at=now, created_at=now))
            count += 1
    return count
