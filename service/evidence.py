"""Archive confirmed posts as WARC evidence, outside the decision's transaction.

``archive_new_evidence(runtime)`` is a plain function (the scheduler's ``takedowns:recheck`` job calls it before
the re-checks; ``kiemtin takedowns archive`` runs it by hand): for each confirmed post without an archive, fetch
its page or API answer (the URL a re-check would use) with the crawler's polite fetcher (robots.txt, host gaps,
SSRF guard, ``max_response_bytes`` cap) and write it under ``archive_dir`` as a ``.warc.gz`` file with the HTTP
headers, the capture time and the SHA-256 of the body and of the file. A failed try is recorded with its error
and tried again later (three tries in all).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from crawler import CrawlError, Fetcher, HostStateStore
from crawler.postcheck import check_url
from crawler.warc import write_warc
from review.actors import SYSTEM_ACTOR, Actor
from review.evidence import PendingEvidence, pending_evidence, record_archive
from service.runtime import Runtime
from store.crawl_state import DatabaseHostState
from store.types import utcnow

__all__ = ["ArchiveSummary", "archive_new_evidence"]

log = logging.getLogger("kiemtin.evidence")


@dataclass
class ArchiveSummary:
    archived: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


async def _archive_all(runtime: Runtime, pending: list[PendingEvidence], folder: Path, host_state: HostStateStore,
                       actor: Actor, summary: ArchiveSummary) -> None:
    settings = runtime.crawl_settings()
    async with Fetcher(settings, host_state=host_state) as fetcher:
        for item in pending:
            target, expect = check_url(item.platform, item.url, item.external_id, item.source_url)
            try:
                result = await fetcher.get(target, expect=expect, conditional=False)
                captured = utcnow()
                stamp = f"{captured:%Y%m%dT%H%M%S%fZ}"
                path = folder / f"post-{item.post_id:08d}-decision-{item.decision_id:08d}-{stamp}.warc.gz"
                warc = await asyncio.to_thread(write_warc, path, result, user_agent=settings.user_agent,
                                               captured_at=captured)
            except (CrawlError, OSError) as exc:
                await asyncio.to_thread(record_archive, runtime.db, decision_id=item.decision_id,
                                        post_id=item.post_id, url=target, error=str(exc),
                                        http_status=getattr(exc, "status", None), actor=actor)
                summary.failed += 1
                summary.errors.append(f"post {item.post_id}: {exc}")
                continue
            await asyncio.to_thread(record_archive, runtime.db, decision_id=item.decision_id, post_id=item.post_id,
                                    url=result.url, file_name=path.name, sha256=warc.sha256,
                                    payload_sha256=warc.payload_sha256, http_status=result.status, size=warc.size,
                                    captured_at=warc.captured_at, actor=actor)
            summary.archived += 1


def archive_new_evidence(runtime: Runtime, *, limit: int = 50, host_state: HostStateStore | None = None,
                         actor: Actor = SYSTEM_ACTOR) -> ArchiveSummary:
    """Archive up to ``limit`` confirmed posts that have no WARC evidence yet."""
    summary = ArchiveSummary()
    pending = pending_evidence(runtime.db, limit=limit, actor=actor)
    if not pending:
        return summary
    folder = Path(runtime.config.settings.archive_dir)
    folder.mkdir(parents=True, exist_ok=True)
    asyncio.run(_archive_all(runtime, pending, folder, host_state or DatabaseHostState(runtime.db), actor, summary))
    log.info("evidence: %d archived, %d failed", summary.archived, summary.failed)
    return summary
