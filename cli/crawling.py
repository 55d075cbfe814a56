"""``kiemtin crawl`` (once, now) and ``kiemtin run`` (the scheduler until stopped)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterable
from typing import Annotated, Any

import typer
from sqlalchemy import select

from cli.common import fail, language, number, runtime
from cli.common import translate as _
from cli.progress import progress
from web.i18n import said_run_error

__all__ = ["crawl", "errors_lines", "run", "run_line"]



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
        raise fail(_("no source named %(name)r", name=source) if source else
                   _("no enabled sources; add some to kiemtin.toml"))
    failed = 0
    with progress(_("crawling"), len(targets)) as update:
        for done, (source_id, name) in enumerate(targets):
            update(name, done, len(targets))

            def on_page(counts: IngestCounts, name: str = name, done: int = done) -> None:
                if counts.to_score:  # a large page: a bar over the posts being scored
                    update(_("%(name)s: scoring %(n)s posts", name=name, n=number(counts.fetched)), counts.scored,
                           counts.to_score)
                else:
                    update(_("%(name)s: %(n)s posts, %(new)s new", name=name, n=number(counts.fetched),
                             new=number(counts.new)), done, len(targets))

            summary = run_source(rt, source_id, trigger="manual", on_page=on_page)
            typer.echo(run_line(summary.source, summary.status, summary.counts)
                       + _(", explained %(n)s", n=number(summary.counts.explained)) + errors_lines(summary.errors))
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
    typer.echo(_("scheduler started; Ctrl-C stops it (crawls go to the workers)") if rt.config.settings.broker_url
               else _("scheduler started; Ctrl-C stops it"))
    wait_for_interrupt(stop)
    scheduler.stop()


def run_line(source: str, status: str, counts: Any) -> str:
    """One run's outcome: "feed: ok; fetched 12, new 3, updated 0, flagged 1" (``counts`` has those fields)."""
    return _("%(source)s: %(status)s; fetched %(fetched)s, new %(new)s, updated %(updated)s, flagged %(flagged)s",
             source=source, status=_(status), fetched=number(counts.fetched), new=number(counts.new),
             updated=number(counts.updated), flagged=number(counts.flagged))


def errors_lines(errors: Iterable[object]) -> str:
    """A run's errors, one indented ``error: ...`` line each: the kind in the CLI's language, the detail as the
    crawler wrote it (``web.i18n.said_run_error``)."""
    return "".join("\n  " + _("error: %(message)s", message=said_run_error(e, language())) for e in errors)


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
