"""One crawl of one source, recorded as a CrawlRun: errors are written down, never raised to the scheduler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from crawler import CrawlError, CrawlPage, Fetcher, HostStateStore, ValidatorStore, crawl
from service.explain import explain_pending
from service.ingest import STORE_CHUNK, IngestCounts, ScoreAlongside, store_page
from service.page_stream import merge_pages, store_while_reading
from service.runtime import Runtime, source_spec
from store.crawl_state import DatabaseHostState, DatabaseValidators
from store.models import CrawlRun, Source
from store.types import utcnow

__all__ = ["HeldValidators", "RunSummary", "run_source"]

log = logging.getLogger("kiemtin.crawl")


Validator = tuple[str, str | None, str | None]  # URL, ETag, Last-Modified


class HeldValidators:
    """The crawl's ETag/Last-Modified store, holding what the adapters save until the pages fetched with them are
    stored: pages are read ahead while earlier ones are stored, and a 304 next time must never hide posts that
    were fetched but not stored. ``take()`` when a page arrives (what was fetched for it and before), ``save()``
    that once the page is stored."""

    def __init__(self, store: ValidatorStore) -> None:
        self._store = store
        self._held: list[Validator] = []

    def get(self, url: str) -> tuple[str | None, str | None] | None:
        return self._store.get(url)

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self._held.append((url, etag, last_modified))

    def take(self) -> list[Validator]:
        held, self._held = self._held, []
        return held

    def save(self, validators: list[Validator]) -> None:
        for url, etag, last_modified in validators:
            self._store.put(url, etag, last_modified)


@dataclass
class RunSummary:
    run_id: int
    source: str
    status: str
    counts: IngestCounts
    errors: list[str] = field(default_factory=list)
    http_status_counts: dict[str, int] = field(default_factory=dict)


def run_source(runtime: Runtime, source_id: int, *, trigger: str = "schedule",
               on_page: Callable[[IngestCounts], None] | None = None, run_id: int | None = None,
               worker: str | None = None, host_state: HostStateStore | None = None,
               score: bool = True) -> RunSummary:
    """Crawl the source, store what it yields page by page, score new text, queue flags, then explain the flagged
    posts (their evidence: ``service.explain``); record the run. Scoring runs alongside the crawl: posts are
    scored as soon as they are stored (``ScoreAlongside``), the rest when the crawl ends. ``on_page`` hears the
    running counts after each stored page and each scored batch (for a progress bar: ``counts.scored`` of
    ``counts.to_score``), from either thread.

    A Celery worker passes the ``run_id`` the leader queued, its own name (``worker``), the shared ``host_state``
    in Redis (closed when the crawl ends), and ``score=False``: scoring and explaining are then tasks of their own.
    The run is recorded once its flags are queued; their evidence comes after (``counts.explained``)."""
    with runtime.db.write() as session:
        source = session.get(Source, source_id)
        if source is None:
            raise LookupError(f"no source with id {source_id}")
        spec, cursor, name = source_spec(source), source.cursor, source.name
        run = session.get(CrawlRun, run_id) if run_id is not None else None
        if run is None:
            run = CrawlRun(source_id=source_id, trigger=trigger)
            session.add(run)
        run.started_at, run.status, run.worker = utcnow(), "running", worker
        session.flush()
        run_id = run.id

    counts, errors = IngestCounts(), []
    validators = DatabaseValidators(runtime.db)
    if host_state is None:
        host_state = DatabaseHostState(runtime.db)  # robots.txt, pauses and gaps outlive this run and this process
    settings = runtime.crawl_settings()
    statuses: dict[str, int] = {}

    def on_batch(scored: int) -> None:
        counts.scored, counts.to_score = scored, max(scored, counts.new + counts.updated)
        if on_page is not None:
            on_page(counts)

    scorer = ScoreAlongside(runtime, source_id, on_batch=on_batch) if score else None

    held = HeldValidators(validators)

    async def _crawl() -> None:
        async with Fetcher(settings, validators=held, host_state=host_state) as fetcher:

            async def read() -> AsyncIterator[tuple[CrawlPage, list[Validator]]]:
                async for page in crawl(spec, settings=settings, cursor=cursor, validators=held, fetcher=fetcher):
                    yield page, held.take()

            async def store(batch: list[tuple[CrawlPage, list[Validator]]]) -> None:
                await asyncio.to_thread(store_page, runtime, source_id=source_id,
                                        page=merge_pages([page for page, _ in batch]), counts=counts,
                                        on_chunk=None if scorer is None else scorer.stored)
                held.save([v for _, validators in batch for v in validators])
                if on_page is not None:
                    on_page(counts)

            try:  # pages read while one is stored are stored together next: one transaction for many small pages
                await store_while_reading(read(), store, full=lambda batch: sum(
                    len(page.posts) for page, _ in batch) >= STORE_CHUNK)
                held.save(held.take())  # fetched after the last page (a 304, an empty page): nothing left unstored
            finally:
                statuses.update({str(code): n for code, n in fetcher.stats.status_counts.items()})
                closer = getattr(host_state, "aclose", None)  # a Redis store's connections live on this loop
                if closer is not None:
                    await closer()

    try:
        asyncio.run(_crawl())
    except CrawlError as exc:  # "<kind>: <detail>": a page shows the kind in the reader's language
        errors.append(f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a bug or an unexpected failure must not stop the scheduler
        log.exception("crawl of %s failed unexpectedly", name)
        errors.append(f"unexpected error: {type(exc).__name__}: {exc}")
    except BaseException:  # the process is stopping: leave the rest of the scoring for later
        if scorer is not None:
            scorer.abandon()
        raise
    try:
        counts.flagged = scorer.finish() if scorer is not None else 0
    except Exception as exc:
        log.exception("scoring after crawl of %s failed", name)
        errors.append(f"scoring failed: {type(exc).__name__}: {exc}")

    status = "ok" if not errors else ("partial" if counts.fetched else "error")
    with runtime.db.write() as session:
        finished = session.get(CrawlRun, run_id)
        assert finished is not None  # noqa: S101 - created above, runs are never deleted while running
        finished.finished_at, finished.status, finished.errors = utcnow(), status, errors
        finished.fetched, finished.new = counts.fetched, counts.new
        finished.updated, finished.flagged = counts.updated, counts.flagged
        finished.http_status_counts = statuses
    if score:  # after the run is recorded: its flags are queued, their evidence follows
        try:  # the evidence is also computed when an item is opened or decided, and on the scheduler's rounds
            counts.explained = explain_pending(runtime, source_id=source_id)
        except Exception:
            log.exception("explaining the flagged posts of %s failed; they are explained later", name)
    log.info("crawled %s: %s, %d fetched, %d new, %d updated, %d flagged%s", name, status, counts.fetched,
             counts.new, counts.updated, counts.flagged, f", error: {errors[0]}" if errors else "")
    return RunSummary(run_id, name, status, counts, errors, statuses)
