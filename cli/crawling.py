"""``kiemtin crawl`` (once, now) and ``kiemtin run`` (the scheduler until stopped)."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer
from sqlalchemy import select

from cli.common import fail, runtime
from cli.progress import progress

__all__ = ["crawl", "run"]


def crawl(source: Annotated[str | None, typer.Argument(help="source name; all enabled sources if omitted")] = None
          ) -> None:
    """Crawl once, now: store posts, score new text, queue what is flagged."""
    from service.crawl_job import run_source
    from service.ingest import IngestCounts
    from store.models import Source

    rt = runtime()
    with rt.db.session() as session:
        query = select(Source).where(Source.name == source) if source else select(Source).where(Source.enabled)
        targets = [(s.id, s.name) for s in session.scalars(query)]
    if not targets:
        raise fail(f"no source named {source!r}" if source else "no enabled sources; add some to kiemtin.toml")
    failed = 0
    with progress("crawling", len(targets)) as update:
        for done, (source_id, name) in enumerate(targets):
            update(name, done, len(targets))

            def on_page(counts: IngestCounts, name: str = name, done: int = done) -> None:
                if counts.to_score:  # a large page: a bar over the posts being scored
                    update(f"{name}: scoring {counts.fetched:,} posts", counts.scored, counts.to_score)
                else:
                    update(f"{name}: {counts.fetched:,} posts, {counts.new:,} new", done, len(targets))

            summary = run_source(rt, source_id, trigger="manual", on_page=on_page)
            c = summary.counts
            typer.echo(f"{summary.source}: {summary.status}; fetched {c.fetched}, new {c.new}, updated {c.updated}, "
                       f"flagged {c.flagged}, explained {c.explained}"
                       + "".join(f"\n  error: {e}" for e in summary.errors))
            failed += summary.status == "error"
    raise typer.Exit(1 if failed == len(targets) else 0)


def run() -> None:
    """Run the scheduler until Ctrl-C: every enabled source on its schedule (one leader among processes); with a
    broker_url it queues the crawls for `kiemtin worker` processes instead of crawling here."""
    from service.scheduler import CrawlScheduler

    stop = stop_on_sigterm()  # before anything starts: an early SIGTERM still stops cleanly
    rt = runtime()
    if rt.config.settings.broker_url:
        from service.dispatch import Dispatcher
        from service.tasks import configure

        configure(rt.config)
        dispatcher = Dispatcher(rt)
        scheduler = CrawlScheduler(rt, crawl=dispatcher.crawl, leader_steps=(dispatcher.redispatch_lost,),
                                   housekeeping=dispatcher.housekeeping)
    else:
        scheduler = CrawlScheduler(rt)
    scheduler.start()
    typer.echo("scheduler started; Ctrl-C stops it" + (" (crawls go to the workers)" if rt.config.settings.broker_url
                                                       else ""))
    wait_for_interrupt(stop)
    scheduler.stop()


def stop_on_sigterm() -> threading.Event:
    """An event that SIGTERM sets (instead of killing the process)."""
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    return done


def wait_for_interrupt(done: threading.Event, every_s: float = 0.5) -> None:
    try:
        while not done.wait(every_s):
            pass
    except KeyboardInterrupt:
        pass
