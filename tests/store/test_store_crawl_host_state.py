"""DatabaseHostState: the HostStateStore contract on SQLite and PostgreSQL, and Fetchers in different threads
(each with its own event loop and its own engine, as separate processes would be) sharing one database."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace

from sqlalchemy import select

from crawler import Fetcher, HostStateStore, MemoryHostState
from crawlkit import LocalServer, Resp, _settings, exercise_host_state, run
from store import Database
from store.crawl_state import DatabaseHostState
from store.models import CrawlHostState


def test_database_host_state_keeps_the_contract(db: Database) -> None:
    store = DatabaseHostState(db)
    assert isinstance(store, HostStateStore)
    run(exercise_host_state(store))
    with db.session() as session:
        assert set(session.scalars(select(CrawlHostState.origin))) == {"http://a.example", "http://b.example:8080"}


def _run_threads(server: LocalServer, stores: list[HostStateStore], min_delay: float) -> list[float]:
    """Each store gets a thread that crawls three pages with its own Fetcher; the server's start times."""
    settings = replace(_settings(), min_delay_s=min_delay, obey_robots=False)

    async def three(store: HostStateStore, first: int) -> None:
        async with Fetcher(settings, host_state=store) as f:
            for i in range(first, first + 3):
                await f.get(server.url(f"/p{i}"))

    for i in range(3 * len(stores)):
        server.routes[f"/p{i}"] = Resp(body="ok")
    threads = [threading.Thread(target=run, args=(three(store, 3 * n),)) for n, store in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts = sorted(h.t for h in server.hits if h.path.startswith("/p"))
    assert len(starts) == 3 * len(stores)
    return [b - a for a, b in itertools.pairwise(starts)]


def test_two_fetchers_on_one_database_keep_the_gap_between_them(database_url: str, server: LocalServer) -> None:
    engines = [Database(database_url), Database(database_url)]
    try:
        gaps = _run_threads(server, [DatabaseHostState(engine) for engine in engines], min_delay=0.5)
    finally:
        for engine in engines:
            engine.dispose()
    # The gap is kept between reservations; a fetcher whose commit or thread wake-up ran late on a loaded machine
    # starts that much later, and the server sees the request later still: 0.15 s of room for that jitter.
    assert min(gaps) >= 0.35 and sum(gaps) >= 5 * 0.5 - 0.15, gaps


def test_two_fetchers_with_their_own_memory_do_not_see_each_other(server: LocalServer) -> None:
    """The control for the test above: the gap is kept only through the shared store."""
    gaps = _run_threads(server, [MemoryHostState(), MemoryHostState()], min_delay=0.5)
    assert min(gaps) < 0.35, gaps


def test_the_next_process_reuses_robots_txt_and_waits_out_a_pause(database_url: str, server: LocalServer) -> None:
    server.routes["/robots.txt"] = Resp(body="User-agent: *\nCrawl-delay: 0.4\n", content_type="text/plain")
    server.routes["/api"] = Resp(body="{}", content_type="application/json",
                                 headers={"RateLimit-Remaining": "0", "RateLimit-Reset": "1"})
    server.routes["/next"] = Resp(body="ok")

    async def one_run(path: str) -> None:
        db = Database(database_url)  # a new engine: what another process would have
        try:
            async with Fetcher(_settings(), host_state=DatabaseHostState(db)) as f:
                await f.get(server.url(path))
        finally:
            db.dispose()

    run(one_run("/api"))
    run(one_run("/next"))
    assert len(server.hits_for("/robots.txt")) == 1
    assert server.hits_for("/next")[0].t - server.hits_for("/api")[0].t >= 0.9  # the 1 s rate-limit pause
