"""Leader election across real OS processes: three ``kiemtin run`` processes on one database (a SQLite file in
WAL mode, and PostgreSQL when configured) crawl two feeds served by the local test server.

Each process has its own configuration file whose User-Agent names it, so the server's recorded hits say which
process crawled. Checked, in one story per backend:

1. one process holds the lease and only it crawls: one crawl per source per tick, not one per process;
2. ``kill -9`` of the leader: another process takes over within about the lease time and crawls go on, with
   no source lost and no post stored twice;
3. SIGTERM of the leader in the middle of a crawl longer than the lease: it finishes that crawl while keeping
   the lease (nobody crawls the source beside it), exits with code 0 and releases the lease, and the last
   process takes over and serves a run-now request; SIGTERM of that one leaves no lease behind.

Also: processes starting together on a fresh database seed the configuration's sources once, without failing.
"""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TypeVar

import pytest
from sqlalchemy import func, select, text

from config import SourceConfig
from crawlkit import Hit, LocalServer, Resp
from review.actors import CONSOLE_ACTOR
from service.runtime import Runtime
from service.scheduler import current_leader
from service.sources import request_run, seed_sources
from store import Database
from store.models import CrawlRun, Post, Source

LEASE_S = 5  # the shortest lease kiemtin accepts
SCHEDULE = "every 10s"  # the shortest schedule kiemtin accepts
SLOW_S = LEASE_S + 4  # a crawl that outlasts the lease
SOURCES = ("feed-a", "feed-b")
ROOT = Path(__file__).resolve().parents[2]
STARTUP_S = 90.0  # generous: two loaded cores, three interpreters importing at once
TAKEOVER_S = LEASE_S + 30.0  # "within about the lease time", with room for a loaded machine
TICK_S = 10 + 30.0  # one schedule interval, with the same room

T = TypeVar("T")


@dataclass
class Fetch:
    """One request for a feed, as the server saw it."""

    tag: str  # the process named in the User-Agent
    items: int  # the feed then held items 1..items
    slow: bool


class Feeds:
    """Cumulative RSS feeds on a LocalServer: every fetch publishes one more item."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.lock = threading.Lock()
        self.fetches: dict[str, list[Fetch]] = {name: [] for name in SOURCES}
        self._slow_next: set[str] = set()
        server.routes["/robots.txt"] = Resp(200, "User-agent: *\nAllow: /\n", content_type="text/plain")
        for name in SOURCES:
            server.routes[f"/{name}.xml"] = functools.partial(self._feed, name)

    def url(self, name: str) -> str:
        return self.server.url(f"/{name}.xml")

    def slow_once(self, name: str) -> None:
        """The next fetch of ``name`` answers only after SLOW_S seconds."""
        with self.lock:
            self._slow_next.add(name)

    def snapshot(self, name: str) -> list[Fetch]:
        with self.lock:
            return list(self.fetches[name])

    def _feed(self, name: str, hit: Hit) -> Resp:
        match = re.search(r"process (\w+)\)", hit.headers.get("user-agent", ""))
        with self.lock:
            slow = name in self._slow_next
            self._slow_next.discard(name)
            fetch = Fetch(match.group(1) if match else "?", len(self.fetches[name]) + 1, slow)
            self.fetches[name].append(fetch)
        items = "".join(
            f"<item><title>{name} tin {k}</title><link>{self.server.url(f'/{name}/{k}')}</link>"
            f'<guid isPermaLink="false">{name}-{k}</guid>'
            f"<description>Bản tin số {k} của nguồn {name}: giá xăng, thời tiết và lịch nghỉ lễ "
            f"được cập nhật lúc {k} giờ.</description></item>"
            for k in range(fetch.items, 0, -1)
        )
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>{name}</title>'
                f"<link>{self.server.url('/')}</link><description>test feed</description>{items}</channel></rss>")
        return Resp(200, body, content_type="application/rss+xml; charset=utf-8", delay=SLOW_S if slow else 0.0)


@dataclass
class Kiemtin:
    """One ``kiemtin run`` process and its combined stdout/stderr log."""

    tag: str
    popen: subprocess.Popen[bytes]
    log: Path
    handle: IO[bytes] = field(repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def crawled(self) -> int:
        """Crawls this process logged as finished."""
        return len(re.findall(r"crawled feed-[ab]:", self.output()))

    def led(self) -> int:
        """How often this process became the leader."""
        return self.output().count("now leads the scheduler")


def wait_until(condition: Callable[[], T | None], timeout: float, what: str,
               logs: list[Kiemtin] | None = None) -> T:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds with the logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    tails = "".join(f"\n--- process {p.tag} (pid {p.pid}) ---\n{p.output()[-3000:]}" for p in logs or [])
    raise AssertionError(f"not within {timeout:.0f}s: {what}{tails}")


@pytest.fixture
def feeds() -> Iterator[Feeds]:
    server = LocalServer()
    server.thread.start()
    try:
        yield Feeds(server)
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


@pytest.fixture
def start_kiemtin(database_url: str, tmp_path: Path, feeds: Feeds) -> Iterator[Callable[[str], Kiemtin]]:
    """Start ``python -m pipeline run`` with a configuration naming the process; all are killed at the end."""
    started: list[Kiemtin] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTIN_")}
    env.update(PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
               PYTHONUNBUFFERED="1", KIEMTIN_DATABASE_URL=database_url, KIEMTIN_MODELS_DIR=str(ROOT / "models"))

    def start(tag: str) -> Kiemtin:
        config = tmp_path / f"kiemtin-{tag}.toml"
        sources = "".join(f'\n[[sources]]\nname = "{name}"\nkind = "rss"\nurl = {json.dumps(feeds.url(name))}\n'
                          f'schedule = "{SCHEDULE}"\n' for name in SOURCES)
        config.write_text(
            "[settings]\n"
            f'user_agent = "kiemtin-test/0.1 (+https://example.org/contact; process {tag})"\n'
            f"lease_seconds = {LEASE_S}\nallow_networks = [\"127.0.0.0/8\"]\nmin_delay_s = 0.0\n"
            f"request_timeout_s = {SLOW_S + 20}\nmax_retries = 0\n" + sources, encoding="utf-8")
        log = tmp_path / f"kiemtin-{tag}.log"
        handle = log.open("wb")
        popen = subprocess.Popen([sys.executable, "-m", "pipeline", "--config", str(config), "run"],
                                 cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=handle,
                                 stderr=subprocess.STDOUT)
        process = Kiemtin(tag, popen, log, handle)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.alive():
                process.popen.kill()
            process.popen.wait(timeout=30)
            process.handle.close()


def leader_pid(db: Database) -> int | None:
    """The pid in the holder of the unexpired scheduler lease (``host:pid:object``), or None."""
    with db.session() as session:
        held = current_leader(session)
    return None if held is None else int(held[0].rsplit(":", 2)[1])


def runs_of(db: Database, name: str) -> list[CrawlRun]:
    """The source's crawl runs, oldest first."""
    with db.session() as session:
        return list(session.scalars(select(CrawlRun).join(Source, CrawlRun.source_id == Source.id)
                                    .where(Source.name == name).order_by(CrawlRun.started_at)))


def finished_since(db: Database, name: str, since: datetime) -> list[CrawlRun]:
    """Finished runs of the source that started at or after ``since``."""
    return [r for r in runs_of(db, name) if r.started_at >= since and r.finished_at is not None]


def test_one_leader_crawls_takeover_after_kill_and_clean_sigterm(
        db: Database, runtime: Runtime, feeds: Feeds, start_kiemtin: Callable[[str], Kiemtin]) -> None:
    """Three processes: one leader crawls; kill -9, takeover; SIGTERM mid-crawl, clean handover; SIGTERM."""
    procs = [start_kiemtin(tag) for tag in ("A", "B", "C")]
    by_pid = {p.pid: p for p in procs}

    # 1. One leader, and only it crawls: every source once per tick, whatever the number of processes.
    leader = wait_until(lambda: by_pid.get(leader_pid(db) or 0), STARTUP_S, "one of the processes leads", procs)
    if db.is_sqlite:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    holders: set[int | None] = set()

    def crawled_twice() -> bool:
        holders.add(leader_pid(db))
        return all(len(finished_since(db, name, datetime.min.replace(tzinfo=UTC))) >= 2 for name in SOURCES)

    wait_until(crawled_twice, STARTUP_S + TICK_S, "two scheduled crawls of every source", procs)
    assert holders == {leader.pid}
    assert all(p.alive() for p in procs), [p.output()[-2000:] for p in procs if not p.alive()]
    for name in SOURCES:
        assert {f.tag for f in feeds.snapshot(name)} == {leader.tag}, name
    assert [p.led() for p in procs] == [int(p is leader) for p in procs]
    assert [p.crawled() > 0 for p in procs] == [p is leader for p in procs]

    # 2. kill -9 of the leader: another process takes over once the lease expires, and crawls go on.
    fetched_before = {name: len(feeds.snapshot(name)) for name in SOURCES}
    killed_at = datetime.now(UTC)
    leader.popen.kill()
    leader.popen.wait(timeout=30)
    survivors = {p.pid: p for p in procs if p is not leader}
    second = wait_until(lambda: survivors.get(leader_pid(db) or 0), TAKEOVER_S, "takeover after kill -9", procs)
    holders.clear()

    def crawled_again() -> bool:
        holders.add(leader_pid(db))
        return all(finished_since(db, name, killed_at) for name in SOURCES)

    wait_until(crawled_again, TICK_S, "a crawl of every source by the new leader", procs)
    assert holders == {second.pid}
    for name in SOURCES:
        assert {f.tag for f in feeds.snapshot(name)[fetched_before[name]:]} <= {leader.tag, second.tag}, name
        assert finished_since(db, name, killed_at)
    assert [p.led() for p in survivors.values()] == [int(p is second) for p in survivors.values()]

    # 3. SIGTERM of the leader in the middle of a crawl longer than the lease.
    last = next(p for p in survivors.values() if p is not second)
    feeds.slow_once("feed-b")
    request_run(runtime, CONSOLE_ACTOR, "feed-b")  # the slow crawl, at once
    wait_until(lambda: any(f.slow for f in feeds.snapshot("feed-b")), TICK_S, "the slow crawl has begun", procs)
    assert next(f for f in feeds.snapshot("feed-b") if f.slow).tag == second.tag
    stopped_at = datetime.now(UTC)
    second.popen.send_signal(signal.SIGTERM)
    request_run(runtime, CONSOLE_ACTOR, "feed-b")  # must not run beside the slow crawl

    def exited() -> bool:
        holder = leader_pid(db)  # read before the runs: a crawl unfinished now was unfinished then
        busy = any(r.finished_at is None and killed_at <= r.started_at <= stopped_at for r in runs_of(db, "feed-b"))
        if busy:
            assert holder == second.pid, "the lease left a leader that was still finishing a crawl"
        return not second.alive()

    wait_until(exited, SLOW_S + 60, "the SIGTERMed leader to exit", procs)
    assert second.popen.returncode == 0, second.output()[-3000:]
    assert leader_pid(db) != second.pid  # released at once, not left to expire
    wait_until(lambda: leader_pid(db) == last.pid, TAKEOVER_S, "takeover by the last process", procs)
    wait_until(lambda: len([r for r in runs_of(db, "feed-b") if r.trigger == "run-now" and r.finished_at]) == 2,
               TICK_S, "both run-now requests served, each once", procs)
    for name in SOURCES:
        wait_until(lambda name=name: any(f.tag == last.tag for f in feeds.snapshot(name)), TICK_S,
                   f"{name} crawled by the last process", procs)

    # SIGTERM of an idle (or busy) sole leader: exit 0 and no lease left behind.
    last.popen.send_signal(signal.SIGTERM)
    wait_until(lambda: not last.alive(), 60, "the last process to exit", procs)
    assert last.popen.returncode == 0, last.output()[-3000:]
    assert leader_pid(db) is None

    for process in procs:  # nothing went wrong on the way, not even in a log line
        assert "Traceback" not in process.output() and " ERROR " not in process.output(), process.output()[-3000:]

    # Afterwards: every fetch is one recorded run by the leader of its time, runs of a source never overlap,
    # only the crawl cut by kill -9 is unfinished, and each published item is stored exactly once.
    for name in SOURCES:
        fetches, runs = feeds.snapshot(name), runs_of(db, name)
        assert len(fetches) == len(runs), (name, len(fetches), [(r.trigger, r.status) for r in runs])
        unfinished = [r for r in runs if r.finished_at is None]
        assert len(unfinished) <= 1 and all(r.started_at < killed_at for r in unfinished), name
        assert all(r.status == "ok" for r in runs if r.finished_at is not None), [r.errors for r in runs]
        assert len([r for r in runs if r.trigger == "run-now"]) == (2 if name == "feed-b" else 0), name
        for before, after in zip(runs, runs[1:], strict=False):
            assert after.started_at >= (before.finished_at or killed_at), (name, before.id, after.id)
        with db.session() as session:
            stored = list(session.scalars(select(Post.external_id).join(Source, Post.source_id == Source.id)
                                          .where(Source.name == name)))
        assert sorted(stored) == sorted(f"{name}-{k}" for k in range(1, fetches[-1].items + 1))


def test_processes_starting_together_seed_each_source_once(runtime: Runtime, db: Database) -> None:
    """Two processes seeding the same new source at once, each having found no row: the later one leaves the
    source to the other instead of failing to start (PostgreSQL: a unique violation; SQLite queues writers)."""
    config = SourceConfig(name="shared", kind="rss", url="https://example.vn/shared.xml", schedule="every 1h")
    seeded: list[list[str]] = []
    second = threading.Thread(target=lambda: seeded.append(seed_sources(runtime, [config])))
    with db.write() as session:  # the first process, mid-seed: its row is written, not yet committed
        session.add(Source(**config.model_dump()))
        session.flush()
        second.start()
        if db.is_sqlite:
            second.join(0.5)  # BEGIN IMMEDIATE waits for this transaction; nothing to observe
        else:
            def waiting_on_the_row() -> bool:
                with db.engine.connect() as conn:
                    return bool(conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                                 "current_database() AND wait_event_type = 'Lock'")))

            wait_until(waiting_on_the_row, 30, "the second process's insert to wait for the first")
    second.join(60)
    assert seeded == [[]]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Source).where(Source.name == "shared")) == 1
