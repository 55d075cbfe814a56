"""Scale-out: 200 hosts crawled end to end by 1, 2 and 4 ``kiemtin worker`` processes; politeness at the server.

    python bench/scale_bench.py [--hosts 200] [--latency 0.1] [--concurrency 2] [--delay 0.1]

A raw asyncio HTTP/1.1 server listens on ``--hosts`` ports of 127.0.0.1 (each port its own host, so its own
politeness slot) and answers every request after ``--latency`` seconds: robots.txt 404, one RSS feed of 5 posts.
For each worker count, that many real worker processes (``python -m pipeline worker --queues crawl``) start and
report ready; then one crawl per host is queued (``service.dispatch.Dispatcher``, as ``kiemtin run`` queues) and
the clock runs until every run is finished in the database (PostgreSQL when KIEMTIN_TEST_POSTGRES_URL names a
server, else a SQLite file). Each round has its own Redis key prefix (fresh politeness state) on the machine's
Redis (127.0.0.1:6379 db 0; only the round's own keys are deleted).

Printed per round: seconds, pages/s (feed requests), posts/s; then the speed-up of 4 workers over 1 (the peer
measured in the same run) and the politeness violations measured at the server: arrivals at one host closer
than ``--delay`` (minus 5 ms of clock slack), with the largest shortfall. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REDIS = "redis://127.0.0.1:6379/0"
SLACK_S = 0.005


class Hosts:
    """``count`` listening ports; records (round, port) -> arrival times."""

    def __init__(self, count: int, latency: float) -> None:
        self.count, self.latency = count, latency
        self.arrivals: dict[int, list[float]] = defaultdict(list)  # port -> arrival times
        self.feeds = 0
        self.ports: list[int] = []
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait(30)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)

        async def start() -> None:
            for _ in range(self.count):
                server = await asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=64)
                self.ports.append(server.sockets[0].getsockname()[1])

        self.loop.run_until_complete(start())
        ready.set()
        self.loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = writer.get_extra_info("sockname")[1]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                tag = path.split("/")[1]
                self.arrivals[port].append(time.monotonic())
                await asyncio.sleep(self.latency)
                if path.endswith("/feed.xml"):
                    self.feeds += 1
                    items = "".join(
                        f"<item><title>Tin {k}</title><link>http://127.0.0.1:{port}/{tag}/{k}</link>"
                        f'<guid isPermaLink="false">{tag}-{port}-{k}</guid><description>Bản tin số {k} của '
                        f"máy {port}: giá xăng, thời tiết và lịch nghỉ lễ hôm nay.</description></item>"
                        for k in range(5, 0, -1))
                    body = (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>h{port}'
                            f"</title><link>http://127.0.0.1:{port}/</link><description>b</description>{items}"
                            "</channel></rss>").encode()
                    head_out = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
                else:
                    body, head_out = b"not found", b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                writer.write(head_out + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def violations(self, since: float, until: float, delay: float) -> tuple[int, float]:
        """Arrivals at one host closer than ``delay`` (less clock slack) between ``since`` and ``until``."""
        count, worst = 0, 0.0
        for every in list(self.arrivals.values()):
            times = sorted(t for t in every if since <= t <= until)
            for a, b in zip(times, times[1:], strict=False):
                if b - a < delay - SLACK_S:
                    count, worst = count + 1, max(worst, delay - (b - a))
        return count, worst


def database_url(workdir: Path) -> tuple[str, object]:
    base = os.environ.get("KIEMTIN_TEST_POSTGRES_URL")
    if not base:
        return f"sqlite:///{workdir / 'bench.db'}", None
    sys.path.insert(0, str(ROOT / "tests"))
    from tests_support import fresh_postgres_database

    context = fresh_postgres_database(base, prefix="kiemtin_scale_bench")
    return context.__enter__(), context


def round_(hosts: Hosts, workers: int, args: argparse.Namespace, workdir: Path, db_url: str) -> dict[str, float]:
    import redis
    from sqlalchemy import func, select

    from config import load_config
    from service.dispatch import Dispatcher
    from service.runtime import Runtime
    from service.tasks import configure
    from store.models import CrawlRun, Post, Source

    tag = f"w{workers}"
    prefix = f"kiemtin-scale-bench-{uuid.uuid4().hex[:8]}:"
    config_path = workdir / f"{tag}.toml"
    config_path.write_text(
        "[settings]\n"
        'user_agent = "kiemtin-bench/0.1 (+https://example.org/contact; scale bench)"\n'
        f'broker_url = "{REDIS}"\nredis_key_prefix = "{prefix}"\nallow_networks = ["127.0.0.0/8"]\n'
        f"min_delay_s = {args.delay}\nconcurrency_per_host = 1\nmax_retries = 0\nrequest_timeout_s = 20\n",
        encoding="utf-8")
    config = load_config(config_path)
    config.settings.database_url = db_url
    runtime = Runtime.open(config)
    with runtime.db.write() as session:
        for port in hosts.ports:
            session.add(Source(name=f"{tag}-{port}", kind="rss", url=f"http://127.0.0.1:{port}/{tag}/feed.xml",
                               schedule="every 1h", enabled=False))
    with runtime.db.session() as session:
        ids = list(session.scalars(select(Source.id).where(Source.name.like(f"{tag}-%"))))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTIN_")}
    env.update(PYTHONPATH=str(ROOT), KIEMTIN_DATABASE_URL=db_url, KIEMTIN_MODELS_DIR=str(ROOT / "models"))
    procs, logs = [], []
    for i in range(workers):
        log = workdir / f"{tag}-{i}.log"
        logs.append(log)
        procs.append(subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "pipeline", "--config", str(config_path), "worker", "--queues", "crawl",
             "--concurrency", str(args.concurrency), "--name", f"{tag}-{i}@bench"],
            cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log.open("wb"), stderr=subprocess.STDOUT))
    try:
        deadline = time.monotonic() + 120
        while not all(" ready." in log.read_text(errors="replace") for log in logs if log.exists()) or \
                len([log for log in logs if log.exists()]) < workers:
            if time.monotonic() > deadline:
                raise SystemExit(f"workers not ready: {[log.read_text()[-500:] for log in logs]}")
            time.sleep(0.2)
        configure(config)
        dispatcher = Dispatcher(runtime)
        feeds_before = hosts.feeds
        start = time.monotonic()
        for source_id in ids:
            dispatcher.crawl(runtime, source_id, "run-now")
        while True:
            with runtime.db.session() as session:
                left = session.scalar(select(func.count(CrawlRun.id)).join(Source).where(
                    Source.name.like(f"{tag}-%"), CrawlRun.status.in_(("queued", "running"))))
            if not left:
                break
            if time.monotonic() - start > 600:
                raise SystemExit("round took more than 10 minutes")
            time.sleep(0.05)
        elapsed = time.monotonic() - start
        with runtime.db.session() as session:
            posts = session.scalar(select(func.count(Post.id)).join(Source, Post.source_id == Source.id)
                                   .where(Source.name.like(f"{tag}-%")))
            bad = session.scalar(select(func.count(CrawlRun.id)).join(Source).where(
                Source.name.like(f"{tag}-%"), CrawlRun.status != "ok"))
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        client = redis.Redis.from_url(REDIS)
        for key in client.scan_iter(match=f"{prefix}*", count=500):
            client.delete(key)
        runtime.close()
    pages = hosts.feeds - feeds_before
    count, worst = hosts.violations(start - 1.0, start + elapsed + 1.0, args.delay)
    print(f"{workers} worker(s) x {args.concurrency} threads: {elapsed:6.2f} s, {pages / elapsed:6.1f} pages/s, "
          f"{posts / elapsed:6.1f} posts/s, runs not ok {bad}, politeness violations {count} "
          f"(largest {worst * 1000:.1f} ms)", flush=True)
    return {"seconds": round(elapsed, 3), "pages_per_s": round(pages / elapsed, 2),
            "posts_per_s": round(posts / elapsed, 2), "posts": posts, "runs_not_ok": bad,
            "violations": count, "largest_violation_ms": round(worst * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=2, help="threads per worker process")
    parser.add_argument("--delay", type=float, default=0.1, help="min_delay_s per host")
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    hosts = Hosts(args.hosts, args.latency)
    with tempfile.TemporaryDirectory(prefix="kiemtin-scale-bench-") as tmp:
        workdir = Path(tmp)
        db_url, context = database_url(workdir)
        from store import Database

        Database(db_url).upgrade()
        print(f"{args.hosts} hosts, {args.latency * 1000:.0f} ms per response, min_delay_s {args.delay}, "
              f"database {db_url.split(':')[0]}", flush=True)
        try:
            results = {int(n): round_(hosts, int(n), args, workdir, db_url) for n in args.workers.split(",")}
        finally:
            if context is not None:
                context.__exit__(None, None, None)  # type: ignore[attr-defined]
    one, four = results.get(1), results.get(4)
    speedup = round(one["seconds"] / four["seconds"], 2) if one and four else None
    violations = sum(r["violations"] for r in results.values())
    largest = max(r["largest_violation_ms"] for r in results.values())
    print(f"speed-up of 4 workers over 1: {speedup} (target >= 3.2); politeness violations at the server: "
          f"{violations} (largest {largest} ms; must be 0)")
    print(json.dumps({**{f"workers_{n}": r for n, r in results.items()}, "speedup_4": speedup,
                      "politeness_violations": violations, "largest_violation_ms": largest,
                      "hosts": args.hosts, "latency_s": args.latency, "threads_per_worker": args.concurrency,
                      "min_delay_s": args.delay}))


if __name__ == "__main__":
    main()
