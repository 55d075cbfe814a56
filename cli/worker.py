"""``kiemtin worker``: a Celery worker taking crawls and scoring from the broker (``broker_url``)."""

from __future__ import annotations

import os
import socket
from typing import Annotated

import typer

from cli.common import fail, load, runtime
from cli.common import translate as _

__all__ = ["worker"]


def worker(queues: Annotated[str, typer.Option(help="queues to take work from: crawl, score or both")] = "crawl,score",
           concurrency: Annotated[int, typer.Option(min=1, max=256, help="tasks run at once (threads)")] = 4,
           name: Annotated[str | None, typer.Option(help="worker name (default kiemtin-PID@HOST)")] = None) -> None:
    """Run a worker until stopped: crawl sources and score posts queued by `kiemtin run` (needs broker_url)."""
    from service.tasks import QUEUES, configure

    config = load()
    if not config.settings.broker_url:
        raise fail(_("no broker_url (or KIEMTIN_BROKER_URL) is set: a worker needs a broker; without one "
                     "`kiemtin run` crawls in-process"))
    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = sorted(set(wanted) - set(QUEUES))
    if not wanted or unknown:
        raise fail(_("unknown queue(s) %(queues)s: use %(choices)s", queues=", ".join(unknown) or _("(none)"),
                     choices=", ".join(QUEUES)))

    runtime(seed=False).close()  # the database is migrated before any task runs
    app = configure(config)
    hostname = name or f"kiemtin-{os.getpid()}@{socket.gethostname()}"
    app.worker_main(["worker", f"--queues={','.join(wanted)}", f"--concurrency={concurrency}", "--pool=threads",
                     f"--hostname={hostname}", "--loglevel=INFO", "--without-mingle", "--without-gossip"])
