"""Re-check due takedown requests: fetch each open request's post again, politely, and record what was seen.

``recheck_due_requests(runtime)`` is a plain function: the scheduler calls it every few minutes (job
``takedowns:recheck``), a worker task or ``kiemtin takedowns recheck`` may call it too. Fetches go through the
crawler's :class:`~crawler.Fetcher` with the database-backed host state, so robots.txt, per-host gaps and
pauses are shared with the crawls, and the SSRF guard and size cap apply. Each check is recorded with
``review.takedowns.record_check`` (time, HTTP status, SHA-256 of the text seen), which applies the rules:

    gone                 -> removed (a removed post seen again -> restored)
    present, same text   -> online (past the deadline: still_online)
    present, other text  -> changed: a new snapshot, and a person decides again
    unreachable          -> nothing changes: an error never counts as removal
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from crawler import Fetcher, HostStateStore
from crawler.postcheck import PostCheck, check_post
from review.actors import SYSTEM_ACTOR, Actor
from review.takedown_rules import check_outcome, compare_text
from review.takedowns import DueRequest, due_requests, record_check
from service.runtime import Runtime
from store.crawl_state import DatabaseHostState
from store.types import utcnow

__all__ = ["RecheckSummary", "compare_text", "recheck_due_requests"]

log = logging.getLogger("kiemtin.takedowns")

#: how many posts are fetched at once (per host, the Fetcher's politeness still applies)
PARALLEL = 4


@dataclass
class RecheckSummary:
    checked: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, str] = field(default_factory=dict)  # request id -> status after the check


async def _check_all(runtime: Runtime, due: list[DueRequest], host_state: HostStateStore,
                     record: Callable[[DueRequest, PostCheck], None]) -> None:
    settings = runtime.crawl_settings()
    gate = asyncio.Semaphore(PARALLEL)
    async with Fetcher(settings, host_state=host_state) as fetcher:
        async def one(item: DueRequest) -> None:
            async with gate:
                try:
                    seen = await check_post(fetcher, platform=item.platform, url=item.url,
                                            external_id=item.external_id, source_url=item.source_url)
                except Exception as exc:  # a bug must not stop the other checks; still not a removal
                    log.exception("re-check of request %s failed", item.request_id)
                    seen = PostCheck("unreachable", item.url, detail=f"unexpected error: {type(exc).__name__}")
            await asyncio.to_thread(record, item, seen)

        await asyncio.gather(*(one(item) for item in due))


def recheck_due_requests(runtime: Runtime, *, now: datetime | None = None, everything: bool = False,
                         limit: int = 500, host_state: HostStateStore | None = None,
                         actor: Actor = SYSTEM_ACTOR) -> RecheckSummary:
    """Re-check the open requests that are due (``everything``: every open one still watched, now), at most
    ``limit`` of them, the most overdue re-check first. ``actor`` must have ``takedown.recheck``."""
    summary = RecheckSummary()
    due = due_requests(runtime.db, now=now or utcnow(), limit=limit, everything=everything, actor=actor)
    if not due:
        return summary
    watch_days = runtime.config.settings.takedown_watch_days

    def record(item: DueRequest, seen: PostCheck) -> None:
        outcome = check_outcome(item.platform, item.text, seen.seen, seen.text)
        text = seen.text if seen.seen == "present" else None
        status = record_check(runtime.db, request_id=item.request_id, url=seen.url, outcome=outcome,
                              http_status=seen.status, text=text, detail=seen.detail, now=now or utcnow(),
                              watch_days=watch_days, actor=actor)
        summary.checked += 1
        summary.outcomes[outcome] = summary.outcomes.get(outcome, 0) + 1
        summary.statuses[item.request_id] = status

    asyncio.run(_check_all(runtime, due, host_state or DatabaseHostState(runtime.db), record))
    log.info("re-checked %d takedown request(s): %s", summary.checked, summary.outcomes)
    return summary
