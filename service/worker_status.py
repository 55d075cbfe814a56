"""What the workers are doing, for ``kiemtin status`` and the Health page: the workers that answer (their queues
and tasks running), each queue's depth and its oldest waiting task. Read from Redis and Celery's broadcast
``inspect``; nothing is changed. ``None`` when no broker is configured (everything runs in-process).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from config import AppConfig

__all__ = ["QueueView", "WorkerView", "WorkersStatus", "workers_status"]


@dataclass(frozen=True)
class WorkerView:
    name: str
    queues: list[str]
    running: int


@dataclass(frozen=True)
class QueueView:
    name: str
    depth: int
    oldest_wait_s: float | None  # how long the oldest waiting task has waited


@dataclass(frozen=True)
class WorkersStatus:
    broker: str  # the broker URL without its password
    workers: list[WorkerView] = field(default_factory=list)
    queues: list[QueueView] = field(default_factory=list)
    error: str | None = None  # the broker could not be asked


def _public(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _enqueued_at(raw: Any) -> float | None:
    try:
        message = json.loads(raw)
        return float(message["headers"]["kiemtin_enqueued_at"])
    except (ValueError, KeyError, TypeError):
        return None


def workers_status(config: AppConfig, *, timeout_s: float = 1.0) -> WorkersStatus | None:
    """Ask the broker; a broker that does not answer gives ``error`` (never an exception)."""
    from service.tasks import QUEUES, configure, redis_client

    s = config.settings
    if not s.broker_url:
        return None
    status = WorkersStatus(_public(s.broker_url))
    try:
        app = configure(config)
        if s.shared_redis_url:
            client = redis_client()
            client.ping()  # a Redis that is down answers here at once, not after the broker's connection retries
            now = time.time()
            for name in QUEUES:
                key = f"{s.redis_key_prefix}{name}"
                depth = int(client.llen(key))  # type: ignore[arg-type]
                oldest = _enqueued_at(client.lindex(key, -1)) if depth else None
                status.queues.append(QueueView(name, depth, None if oldest is None else max(0.0, now - oldest)))
        # A connection of its own, closed here: a pooled one would stay blocked in BRPOP for replies, and kombu's
        # after-fork cleanup would then hang any process this one forks later (the model's scoring pool).
        with app.connection_for_write() as connection:
            inspect = app.control.inspect(timeout=timeout_s, connection=connection)
            active = inspect.active() or {}
            queues = inspect.active_queues() or {}
        for name in sorted(set(active) | set(queues)):
            status.workers.append(WorkerView(name, sorted(q["name"] for q in queues.get(name, [])),
                                             len(active.get(name, []))))
    except Exception as exc:  # a broker that is down is something to show, not a crash
        return WorkersStatus(status.broker, status.workers, status.queues, f"{type(exc).__name__}: {exc}")
    return status
