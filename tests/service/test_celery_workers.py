"""Scale-out on Celery with real processes: ``kiemtin worker`` and ``kiemtin run`` started as the README's systemd
units start them (``python -m pipeline --config FILE worker|run``), real Redis, local feeds whose server records
when each request arrived (politeness is measured at the server, not in the client).

1. Three workers and one leader, two hosts: every source crawled once, by more than one worker, the run history
   naming the worker; per host, request starts >= the largest of min_delay_s and robots.txt's Crawl-delay apart
   across all workers; a 429 with Retry-After seen by one worker pauses the host for all.
2. On a private redis-server (a free port, restarted by the test; the machine's shared Redis is never touched):
   ``kill -9`` of the worker in the middle of a crawl: the run completes on the other worker, nothing lost or
   stored twice, and its posts get scored; Redis stopped and started again empty in the middle of a crawl: the
   crawl finishes and the next run-now request is served.
3. RabbitMQ as the broker (the machine's, at its default port), Redis for the shared state: a crawl is done.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

import pytest
from sqlalchemy import func, select

from crawlkit import Hit, LocalServer, Resp
from redis_kit import PrivateRedis, shared_redis_or_skip, unique_prefix
from review.actors import CONSOLE_ACTOR
from service.runtime import Runtime
from service.sources import request_run
from service.worker_status import workers_status
from store import Database
from store.models import CrawlRun, Post, Source, Verdict

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
STARTUP_S = 90.0
JITTER = 0.02  # clocks: the server's arrival times against the gaps (one place per host: see hoststate_redis)
T = TypeVar("T")


def wait_until(condition: Callable[[], T | None], timeout: float, what: str,
               procs: list[Proc] | None = None) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    tails = "".join(f"\n--- {p.tag} (pid {p.popen.pid}) ---\n{p.output()[-2500:]}" for p in procs or [])
    raise AssertionError(f"not within {timeout:.0f}s: {what}{tails}")


@dataclass
class Proc:
    tag: str
    popen: subprocess.Popen[bytes]
    log: Path
    handle: IO[bytes] = field(repr=False)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def ready(self) -> bool:
        return " ready." in self.output()


def rss(server: LocalServer, name: str, items: int) -> Resp:
    entries = "".join(
        f"<item><title>{name} tin {k}</title><link>{server.url(f'/{name}/{k}')}</link>"
        f'<guid isPermaLink="false">{name}-{k}</guid>'
        f"<description>Bản tin số {k} của nguồn {name}: giá xăng và thời tiết hôm nay.</description></item>"
        for k in range(items, 0, -1))
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>{name}</title>'
            f"<link>{server.url('/')}</link><description>t</description>{entries}</channel></rss>")
    return Resp(200, body, content_type="application/rss+xml; charset=utf-8")


@pytest.fixture
def servers() -> Iterator[tuple[LocalServer, LocalServer]]:
    pair = (LocalServer(), LocalServer())
    for server in pair:
        server.thread.start()
    try:
        yield pair
    finally:
        for server in pair:
            server.httpd.shutdown()
            server.httpd.server_close()


@pytest.fixture
def db_url(tmp_path: Path, postgres_url: str | None) -> Iterator[str]:
    """PostgreSQL when configured (a database of this test's own), else a SQLite file in WAL mode; migrated
    before the processes start (as a deployment runs `kiemtin db upgrade` first)."""
    if postgres_url is None:
        url = f"sqlite:///{tmp_path / 'kiemtin.db'}"
        Database(url).upgrade()
        yield url
        return
    from tests_support import fresh_postgres_database

    base = os.environ["KIEMTIN_TEST_POSTGRES_URL"]
    with fresh_postgres_database(base, prefix="kiemtin_celery") as url:
        Database(url).upgrade()
        yield url


@pytest.fixture
def start(tmp_path: Path, db_url: str) -> Iterator[Callable[..., Proc]]:
    started: list[Proc] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTIN_")}
    env.update(PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
               PYTHONUNBUFFERED="1", KIEMTIN_DATABASE_URL=db_url, KIEMTIN_MODELS_DIR=str(ROOT / "models"))

    def launch(tag: str, config: Path, *args: str) -> Proc:
        log = tmp_path / f"{tag}.log"
        handle = log.open("wb")
        popen = subprocess.Popen([sys.executable, "-m", "pipeline", "--config", str(config), *args],
                                 cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=handle,
                                 stderr=subprocess.STDOUT)
        proc = Proc(tag, popen, log, handle)
        started.append(proc)
        return proc

    try:
        yield launch
    finally:
        for proc in started:
            if proc.popen.poll() is None:
                proc.popen.kill()
            proc.popen.wait(timeout=30)
            proc.handle.close()


def write_config(path: Path, *, broker: str, prefix: str, sources: list[tuple[str, str]], extra: str = "") -> Path:
    lines = "".join(f'\n[[sources]]\nname = "{name}"\nkind = "rss"\nurl = {json.dumps(url)}\nschedule = "every 1h"\n'
                    for name, url in sources)
    path.write_text(
        "[settings]\n"
        'user_agent = "kiemtin-test/0.1 (+https://example.org/contact; celery workers)"\n'
        f'broker_url = "{broker}"\nredis_key_prefix = "{prefix}"\nlease_seconds = 5\n'
        'allow_networks = ["127.0.0.0/8"]\nrequest_timeout_s = 15\nbackoff_base_s = 0.05\n' + extra + lines,
        encoding="utf-8")
    return path


def runs(db: Database) -> list[tuple[str, str, str | None]]:
    with db.session() as session:
        return [(name, status, worker) for name, status, worker in session.execute(
            select(Source.name, CrawlRun.status, CrawlRun.worker).join(Source, CrawlRun.source_id == Source.id)
            .order_by(CrawlRun.id))]


def gaps(hits: list[Hit]) -> list[float]:
    times = sorted(h.t for h in hits)
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_three_workers_share_one_politeness(tmp_path, servers, start, db_url):
    url = shared_redis_or_skip()
    a, b = servers
    a.routes["/robots.txt"] = Resp(200, "User-agent: *\nCrawl-delay: 0.5\n", content_type="text/plain")
    b.routes["/robots.txt"] = Resp(404, "", content_type="text/plain")
    names_a, names_b = [f"a{i}" for i in range(4)], ["b0", "b1"]
    for name in names_a:
        a.routes[f"/{name}.xml"] = rss(a, name, 3)
    b.routes["/b0.xml"] = [Resp(429, "", headers={"Retry-After": "2"}, content_type="text/plain"), rss(b, "b0", 3)]
    b.routes["/b1.xml"] = rss(b, "b1", 3)
    sources = [(n, a.url(f"/{n}.xml")) for n in names_a] + [(n, b.url(f"/{n}.xml")) for n in names_b]
    with unique_prefix(url) as prefix:
        config = write_config(tmp_path / "k.toml", broker=url, prefix=prefix, sources=sources,
                              extra="min_delay_s = 0.3\nmax_retries = 2\nconcurrency_per_host = 1\n")
        workers = [start(f"w{i}", config, "worker", "--queues", "crawl", "--concurrency", "2", "--name",
                         f"w{i}@test") for i in range(3)]
        wait_until(lambda: all(w.ready() for w in workers), STARTUP_S, "three workers ready", workers)
        leader = start("run", config, "run")
        procs = [*workers, leader]
        db = Database(db_url)
        try:
            wait_until(lambda: len([r for r in runs(db) if r[1] == "ok"]) == 6, STARTUP_S,
                       "six crawls done", procs)
            history = runs(db)
            status = workers_status(_config(config, db_url), timeout_s=1.0)
            with db.session() as session:
                posts = session.scalar(select(func.count(Post.id)))
                distinct = session.scalar(select(func.count(func.distinct(Post.external_id))))
        finally:
            db.dispose()
    assert sorted(name for name, _, _ in history) == sorted(names_a + names_b)  # every source once
    assert {status for _, status, _ in history} == {"ok"}
    assert {worker for _, _, worker in history} <= {"w0@test", "w1@test", "w2@test"}
    assert len({worker for _, _, worker in history}) >= 2  # the crawls were spread over the workers
    assert posts == distinct == 18
    assert status is not None and status.error is None
    assert sorted((w.name, w.queues) for w in status.workers) == [(f"w{i}@test", ["crawl"]) for i in range(3)]
    assert next(q.depth for q in status.queues if q.name == "crawl") == 0
    # one host, four sources on three workers: arrivals >= Crawl-delay (0.5 > min_delay_s) apart once it is known,
    # min_delay_s before (each worker may fetch robots.txt once)
    t0 = a.hits[0].t
    assert len(a.hits) >= 5 and min(gaps(a.hits)) >= 0.3 - JITTER, [(h.path, round(h.t - t0, 3)) for h in a.hits]
    pages = [h for h in a.hits if h.path != "/robots.txt"]
    assert min(gaps(pages)) >= 0.5 - JITTER, [(h.path, round(h.t - t0, 3)) for h in a.hits]
    assert min(gaps(b.hits)) >= 0.3 - JITTER, gaps(b.hits)
    # the 429 paused host b for every worker: nothing reached it in the 2 s after
    limited = next(h.t for h in b.hits_for("/b0.xml"))
    assert not [h for h in b.hits if limited < h.t < limited + 2.0 - 0.1], [(h.path, h.t - limited) for h in b.hits]
    assert len(b.hits_for("/b0.xml")) == 2


def test_killed_worker_and_restarted_redis_lose_nothing(tmp_path, servers, start, db_url):
    a, _ = servers
    redis_server = PrivateRedis(tmp_path)
    redis_server.start()
    hits_seen = threading.Event()
    state = {"items": 5, "slow": 6.0}

    def feed(hit: Hit) -> Resp:
        hits_seen.set()
        resp = rss(a, "slow", state["items"])
        resp.delay, state["slow"] = state["slow"], 0.0
        return resp

    a.routes["/robots.txt"] = Resp(404, "", content_type="text/plain")
    a.routes["/slow.xml"] = feed
    try:
        config = write_config(tmp_path / "k.toml", broker=redis_server.url, prefix="kiemtin:",
                              sources=[("slow", a.url("/slow.xml"))],
                              extra="min_delay_s = 0.0\nmax_retries = 0\ntask_visibility_timeout_s = 3\n")
        workers = {name: start(name, config, "worker", "--concurrency", "1", "--name", f"{name}@test")
                   for name in ("w1", "w2")}
        wait_until(lambda: all(w.ready() for w in workers.values()), STARTUP_S, "two workers ready",
                   list(workers.values()))
        leader = start("run", config, "run")
        procs = [*workers.values(), leader]
        db = Database(db_url)
        rt = Runtime.open(_config(config, db_url), migrate=False)
        try:
            wait_until(hits_seen.is_set, STARTUP_S, "a worker is crawling", procs)
            crawling = wait_until(lambda: next((w for _, status, w in runs(db) if status == "running"), None), 10,
                                  "the run names its worker", procs)
            victim = workers[crawling.split("@")[0]]
            victim.popen.kill()  # kill -9 while the feed is still answering
            victim.popen.wait(10)
            survivor = next(w for w in workers.values() if w is not victim)
            done = wait_until(lambda: [r for r in runs(db) if r[1] == "ok"], STARTUP_S, "the crawl done elsewhere",
                              procs)
            assert done == [("slow", "ok", f"{survivor.tag}@test")]  # the same run, finished by the other worker
            assert len(runs(db)) == 1

            def scored() -> bool:
                with db.session() as session:
                    return session.scalar(select(func.count(Verdict.id))) == 5

            wait_until(scored, STARTUP_S, "the new posts scored", procs)

            # Redis stopped and started again, empty, in the middle of a crawl
            hits_seen.clear()
            state.update(items=6, slow=3.0)
            request_run(rt, CONSOLE_ACTOR, "slow")
            wait_until(hits_seen.is_set, 30, "the second crawl started", procs)
            redis_server.stop()
            redis_server.start()
            wait_until(lambda: len([r for r in runs(db) if r[1] == "ok"]) == 2, 60, "the crawl finished", procs)
            state.update(items=7)
            request_run(rt, CONSOLE_ACTOR, "slow")
            wait_until(lambda: len([r for r in runs(db) if r[1] == "ok"]) == 3, 60,
                       "a run-now request served after the restart", procs)
            with db.session() as session:
                ids = list(session.scalars(select(Post.external_id)))
        finally:
            rt.close()
            db.dispose()
    finally:
        redis_server.stop()
    assert sorted(ids) == sorted(f"slow-{k}" for k in range(1, 8))  # nothing lost, nothing twice


def _config(path: Path, db_url: str):  # noqa: ANN202
    from config import load_config

    config = load_config(path)
    config.settings.database_url = db_url
    return config


def test_rabbitmq_broker_with_redis_for_the_shared_state(tmp_path, servers, start, db_url):
    """The same worker on RabbitMQ (``amqp://``) as broker, Redis (``redis_url``) for politeness and locks."""
    import socket

    url = shared_redis_or_skip()
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=1).close()
    except OSError as exc:
        pytest.skip(f"no RabbitMQ at 127.0.0.1:5672: {exc}")
    a, _ = servers
    a.routes["/robots.txt"] = Resp(404, "", content_type="text/plain")
    a.routes["/r.xml"] = rss(a, "r", 4)
    with unique_prefix(url) as prefix:
        config = write_config(tmp_path / "k.toml", broker="amqp://guest:guest@127.0.0.1:5672//", prefix=prefix,
                              sources=[("r", a.url("/r.xml"))],
                              extra=f'redis_url = "{url}"\nmin_delay_s = 0.0\nmax_retries = 0\n')
        worker = start("w", config, "worker", "--queues", "crawl", "--concurrency", "1", "--name", "rabbit@test")
        wait_until(worker.ready, STARTUP_S, "the worker ready", [worker])
        leader = start("run", config, "run")
        db = Database(db_url)
        try:
            wait_until(lambda: runs(db) == [("r", "ok", "rabbit@test")], STARTUP_S, "the crawl done", [worker, leader])
            with db.session() as session:
                assert session.scalar(select(func.count(Post.id))) == 4
        finally:
            db.dispose()
