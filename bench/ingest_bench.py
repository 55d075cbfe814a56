"""Ingest end to end: the real ``run_source`` path (fetch, parse, store, score, queue) from a local server.

    python bench/ingest_bench.py [--posts N] [--postgres URL] [--no-json] [--no-recrawl] [--sizes 10000,100000]

Serves the unlabelled ReINTEL posts (public_test + private_test, text only; cycled with new ids when --posts is
larger) as one RSS feed (``service.replay.ReplayServer``) and as a Mastodon-style JSON API (pages of 40) on
127.0.0.1, and crawls each with ``service.crawl_job.run_source`` into a fresh SQLite file and, when a PostgreSQL
URL is given (--postgres or ``KIEMTIN_TEST_POSTGRES_URL``), into a throwaway PostgreSQL database. Then a
re-crawl of the same unchanged feed (cursor and HTTP validators cleared, so every post is fetched, parsed and
compared again). Prints posts/s end to end *to queued* (every post stored, scored, flags queued; the
explanations that follow are excluded), the explanation step apart (flagged posts explained per second, and
the seconds until every flagged post has its evidence, from the start of the run), the share of time per
stage, the model alone on the same posts (without explanations, and with ``explain="flagged"``) and the
ratio, peak RSS of this process and of the model's worker processes; the last line is ONE JSON object.

The feed is rendered before timing (the server's work is not the crawler's). Before each database's runs the
model is loaded and its worker processes started with one batch of made-up texts
(none of the feed's), as in a long-running worker.

Stages are timed by wrapping the functions on the path: parse = ``crawler.rss.parse_feed`` (the JSON source
parses in its fetch), store = ``store_page``, score = the model's ``score`` inside scoring, queue = the rest of
``score_batch`` (finding unscored snapshots is not in it; writing verdicts and queue items is), tail = the
scoring left when the crawl has ended (``ScoreAlongside.finish``), explain = ``explain_pending`` after the run
(``service.explain``), fetch = the crawl's time outside parse and store (fetching, reading entries, bookkeeping).
Scoring runs alongside the crawl (``service.ingest.ScoreAlongside``): score and queue overlap fetch and store,
so the shares can add up to more than 100 %.

``--sizes 10000,100000`` adds the memory check: for each size a fresh process crawls that many posts from a
paginated Mastodon-style JSON API (pages of 40, the adapter's maximum; texts synthesised from the ReINTEL posts
with unique ids, the later copies each joined to another post's text so they are not all near-duplicates) into
a fresh SQLite file, and prints its peak RSS (and its worker processes'): it should not grow with the size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, delete, func, select, text  # noqa: E402

import crawler.rss  # noqa: E402
import service.crawl_job  # noqa: E402
import service.ingest  # noqa: E402
from config import AppConfig, Settings  # noqa: E402
from service.replay import ReplayPost, ReplayServer, load_replay_posts  # noqa: E402
from service.runtime import Runtime  # noqa: E402
from store.db import normalise_database_url  # noqa: E402
from store.models import HttpValidator, Post, QueueItem, Source, Verdict  # noqa: E402

STAGES = ("fetch", "parse", "store", "score", "queue", "tail", "explain")


def base_posts() -> list[ReplayPost]:
    return load_replay_posts([REPO / "data/reintel/public_test.csv", REPO / "data/reintel/private_test.csv"])


def synthetic_post(base: list[ReplayPost], i: int) -> ReplayPost:
    """Post ``i`` of a stream longer than ``base``: the originals first, then copies with new ids, each later copy
    joined to another post's text (a different one per round) so the copies are not all near-duplicates."""
    p = base[i % len(base)]
    rounds = i // len(base)
    if rounds == 0:
        return p
    other = base[(i * 7919 + rounds * 104_729) % len(base)]
    return ReplayPost(f"{p.id}-r{rounds}", f"{p.text}\n\n{other.text}", "", "", "")


def read_posts(n: int | None) -> list[ReplayPost]:
    base = base_posts()
    if n is None or n <= len(base):
        return base[: n or len(base)]
    return [ReplayPost(f"{p.id}-r{i // len(base)}", p.text, "", "", "")
            for i, p in ((i, base[i % len(base)]) for i in range(n))]


class JsonApiServer:
    """A Mastodon-like public timeline: ``/api/v1/timelines/public?limit=40[&max_id=K]``, newest first. With
    ``count``, statuses are made on request from ``synthetic_post`` (a long stream without holding it)."""

    def __init__(self, posts: list[ReplayPost], count: int | None = None) -> None:
        import html

        def status(i: int, p: ReplayPost) -> dict[str, Any]:
            return {"id": str(i + 1), "uri": f"bench:{p.id}", "url": f"http://127.0.0.1/s/{i + 1}",
                    "content": "<p>" + html.escape(p.text) + "</p>", "visibility": "public", "language": "vi",
                    "created_at": "2020-03-01T00:00:00Z", "account": {"acct": "bench"}}

        self.total = len(posts) if count is None else count
        self.status = (lambda i: status(i, posts[i])) if count is None else (
            lambda i: status(i, synthetic_post(posts, i)))
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                if parts.path == "/robots.txt":
                    body, kind = b"User-agent: *\nAllow: /\n", "text/plain"
                else:
                    q = parse_qs(parts.query)
                    limit = int(q.get("limit", ["40"])[0])
                    top = int(q.get("max_id", [str(server.total + 1)])[0]) - 1
                    floor = int(q.get("since_id", ["0"])[0])
                    chosen = [server.status(i - 1) for i in range(top, max(floor, top - limit), -1)]
                    body, kind = json.dumps(chosen).encode(), "application/json"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> JsonApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class StageClock:
    """Seconds spent in each wrapped function (summed over calls; score and queue run in a thread of their own,
    alongside the crawl)."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(STAGES, 0.0)

    def wrap(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - started
        return timed


@contextmanager
def instrumented(runtime: Runtime, clock: StageClock) -> Iterator[None]:
    """Wrap parse, store, scoring, its tail, explaining and the model's score for one run; restore afterwards."""
    model = runtime.model()
    originals = (crawler.rss.parse_feed, service.crawl_job.store_page, service.ingest.score_batch,
                 service.ingest.ScoreAlongside.finish, service.crawl_job.explain_pending, model.score)
    crawler.rss.parse_feed = clock.wrap("parse", originals[0])
    service.crawl_job.store_page = clock.wrap("store", originals[1])
    service.ingest.score_batch = clock.wrap("queue", originals[2])  # minus the model, below
    service.ingest.ScoreAlongside.finish = clock.wrap("tail", originals[3])  # type: ignore[method-assign]
    service.crawl_job.explain_pending = clock.wrap("explain", originals[4])
    scoring = clock.wrap("score", originals[5])

    def score(*args: Any, **kwargs: Any) -> Any:  # the model inside explain_pending counts as "explain"
        return originals[5](*args, **kwargs) if kwargs.get("explain") is True else scoring(*args, **kwargs)

    model.score = score  # type: ignore[method-assign]
    try:
        yield
    finally:
        (crawler.rss.parse_feed, service.crawl_job.store_page, service.ingest.score_batch,
         finish, service.crawl_job.explain_pending, scored) = originals
        service.ingest.ScoreAlongside.finish = finish  # type: ignore[method-assign]
        model.score = scored  # type: ignore[method-assign]


@dataclass
class RunFigures:
    posts: int
    seconds: float  # until every post is stored, scored and its flag queued (explanations excluded)
    stages: dict[str, float]
    new: int
    flagged: int
    explained: int = 0
    evidence_seconds: float = 0.0  # from the start until every flagged post has its evidence

    @property
    def rate(self) -> float:
        return self.posts / self.seconds if self.seconds else 0.0

    @property
    def explain_rate(self) -> float | None:
        return self.explained / self.stages["explain"] if self.explained and self.stages["explain"] else None

    def line(self, label: str) -> str:
        total = self.evidence_seconds or self.seconds or 1.0
        shares = "  ".join(f"{k} {100 * v / total:4.1f}%" for k, v in self.stages.items())
        explained = (f"   explained {self.explained:,} at {self.explain_rate:,.0f}/s, all evidence at "
                     f"{self.evidence_seconds:.2f} s" if self.explain_rate else "")
        return (f"{label:<28} {self.posts:>7,} posts {self.seconds:7.2f} s {self.rate:9,.0f} posts/s to queued   "
                f"new {self.new:,} flagged {self.flagged:,}{explained}\n{'':<28} time: {shares}")


def crawl_once(runtime: Runtime, source_id: int, expected: int) -> RunFigures:
    clock = StageClock()
    with instrumented(runtime, clock):
        started = time.perf_counter()
        summary = service.crawl_job.run_source(runtime, source_id, trigger="manual")
        seconds = time.perf_counter() - started
    if summary.errors:
        raise SystemExit(f"crawl failed: {summary.errors}")
    if summary.counts.fetched != expected:
        raise SystemExit(f"expected {expected} posts, the run fetched {summary.counts.fetched}")
    stages = dict(clock.seconds)
    stages["queue"] = max(0.0, stages["queue"] - stages["score"])
    stages["fetch"] = max(0.0, seconds - sum(stages[s] for s in ("parse", "store", "tail", "explain")))
    return RunFigures(summary.counts.fetched, seconds - stages["explain"], stages, summary.counts.new,
                      summary.counts.flagged, summary.counts.explained, seconds)


def add_source(runtime: Runtime, *, name: str, kind: str, url: str, options: dict[str, Any]) -> int:
    with runtime.db.write() as session:
        source = Source(name=name, kind=kind, url=url, schedule="every 1h", options=options, min_delay_s=0.0)
        session.add(source)
        session.flush()
        return source.id


def forget_cursor(runtime: Runtime, source_id: int) -> None:
    """So the next run fetches, parses and compares every post again (a re-crawl of unchanged posts)."""
    with runtime.db.write() as session:
        source = session.get(Source, source_id)
        assert source is not None  # noqa: S101
        source.cursor = None
        session.execute(delete(HttpValidator))


def check_database(runtime: Runtime, posts: int) -> None:
    with runtime.db.session() as session:
        stored = session.scalar(select(func.count()).select_from(Post))
        verdicts = session.scalar(select(func.count()).select_from(Verdict))
        flagged = session.scalar(select(func.count()).select_from(Verdict).where(Verdict.label.is_(True)))
        queued = session.scalar(select(func.count()).select_from(QueueItem))
        unexplained = session.scalar(select(func.count()).select_from(Verdict).where(Verdict.explain_pending))
    if not (stored == verdicts == posts and flagged == queued) or unexplained:
        raise SystemExit(f"inconsistent result: {stored} posts, {verdicts} verdicts, {flagged} flagged, "
                         f"{queued} queued, {unexplained} without evidence (expected {posts} posts)")


def warm_up(runtime: Runtime) -> None:
    """The model loaded and its worker processes started before timing, as in a long-running worker: one batch of
    made-up texts (none of the feed's, so no cache holds a text the run will score)."""
    from classifier import PostInput
    from classifier.model import PARALLEL_MIN_BATCH

    texts = [f"bài khởi động số {i}: giá xăng hôm nay {i % 7} nghìn đồng một lít" for i in range(PARALLEL_MIN_BATCH)]
    runtime.model().score([PostInput(text=t) for t in texts], explain=False)


def run_database(url: str, label: str, posts: list[ReplayPost], feed_url: str, api_url: str | None,
                 recrawl: bool) -> dict[str, RunFigures]:
    config = AppConfig(settings=Settings(database_url=url, models_dir=REPO / "models", allow_networks=["127.0.0.0/8"],
                                         min_delay_s=0.0, request_timeout_s=60.0))
    runtime = Runtime.open(config)
    warm_up(runtime)
    out: dict[str, RunFigures] = {}
    try:
        rss = add_source(runtime, name="bench-rss", kind="rss", url=feed_url, options={})
        out["rss"] = crawl_once(runtime, rss, len(posts))
        print(out["rss"].line(f"{label} RSS"), flush=True)
        check_database(runtime, len(posts))
        if recrawl:
            forget_cursor(runtime, rss)
            out["recrawl"] = crawl_once(runtime, rss, len(posts))
            print(out["recrawl"].line(f"{label} RSS re-crawl"), flush=True)
            check_database(runtime, len(posts))
        if api_url is not None:
            api = add_source(runtime, name="bench-json", kind="mastodon", url=api_url,
                             options={"timeline": "public", "max_pages": 100_000})
            out["json"] = crawl_once(runtime, api, len(posts))
            print(out["json"].line(f"{label} JSON API"), flush=True)
    finally:
        runtime.close()
    return out


@contextmanager
def postgres_database(base_url: str) -> Iterator[str]:
    admin_url = normalise_database_url(base_url)
    name = f"kiemtin_ingest_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))  # generated name, never input
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n "
                              "AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def model_alone(posts: list[ReplayPost]) -> tuple[float, float]:
    """The model's own posts/s on the same texts (text only): without explanations, and with explanations for
    the flagged ones."""
    from classifier import PostInput, load_model

    model = load_model(REPO / "models")
    inputs = [PostInput(text=p.text) for p in posts]
    model.score(inputs[:200], explain="flagged")  # start the worker processes
    rates = []
    for explain in (False, "flagged"):
        started = time.perf_counter()
        model.score(inputs, explain=explain)
        rates.append(len(inputs) / (time.perf_counter() - started))
    model.close()
    return rates[0], rates[1]


def memory_run(size: int, api_url: str) -> None:
    """In a fresh process: crawl ``size`` posts from the JSON API into a fresh SQLite file; print one JSON line."""
    with tempfile.TemporaryDirectory() as tmp:
        config = AppConfig(settings=Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}",
                                             models_dir=REPO / "models", allow_networks=["127.0.0.0/8"],
                                             min_delay_s=0.0, request_timeout_s=60.0))
        runtime = Runtime.open(config)
        runtime.model()
        crawl_settings = runtime.crawl_settings  # a long stream takes longer than a source's usual time cap
        runtime.crawl_settings = lambda: replace(crawl_settings(), max_total_s=24 * 3600.0)  # type: ignore[method-assign]
        try:
            api = add_source(runtime, name="bench-json", kind="mastodon", url=api_url,
                             options={"timeline": "public", "max_pages": 100_000})
            figures = crawl_once(runtime, api, size)
            check_database(runtime, size)
        finally:
            runtime.model().close()  # its worker processes end, so their peak RSS is counted below
            runtime.close()
    print(json.dumps({"size": size, "posts_per_s": round(figures.rate, 1),
                      "explain_per_s": None if figures.explain_rate is None else round(figures.explain_rate, 1),
                      "evidence_s": round(figures.evidence_seconds, 1),
                      "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      "peak_worker_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}))


def memory_check(sizes: list[int]) -> list[dict[str, Any]]:
    """Peak RSS per size, each size crawled by a fresh process (peak RSS only ever grows within one)."""
    out = []
    base = base_posts()
    for size in sizes:
        api = JsonApiServer(base, count=size).start()
        try:
            done = subprocess.run([sys.executable, __file__, "--memory-run", str(size), "--api-url", api.base_url],
                                  check=False, stdout=subprocess.PIPE, text=True)
        finally:
            api.stop()
        if done.returncode:
            raise SystemExit(f"the memory run of {size:,} posts failed (exit {done.returncode}): {done.stdout[-2000:]}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"memory: {size:>9,} posts (JSON API, SQLite) peak RSS {figures['peak_mb']:,.0f} MB, workers "
              f"{figures['peak_worker_mb']:,.0f} MB; {figures['posts_per_s']:,.0f} posts/s to queued, "
              f"all evidence after {figures['evidence_s']:,.1f} s", flush=True)
        out.append(figures)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=None, help="posts to serve (default: the 3,288 unlabelled)")
    parser.add_argument("--postgres", default=os.environ.get("KIEMTIN_TEST_POSTGRES_URL"),
                        help="PostgreSQL server URL (a throwaway database is created there); "
                             "default $KIEMTIN_TEST_POSTGRES_URL")
    parser.add_argument("--no-json", action="store_true", help="skip the JSON API source")
    parser.add_argument("--no-recrawl", action="store_true", help="skip the re-crawl of the unchanged feed")
    parser.add_argument("--sizes", default="", help="memory check: comma-separated post counts, e.g. 10000,100000")
    parser.add_argument("--memory-run", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_run is not None:
        memory_run(args.memory_run, args.api_url)
        return

    posts = read_posts(args.posts)
    print(f"posts: {len(posts):,} (unlabelled ReINTEL, text only), cores: {os.cpu_count()}", flush=True)
    score_rate, model_rate = model_alone(posts)
    print(f"model alone: {score_rate:,.0f} posts/s scoring, {model_rate:,.0f} posts/s with explanations of the "
          f"flagged", flush=True)

    replay = ReplayServer(posts, initial=len(posts), step_s=0, metadata=False).start()
    replay.feed_xml()  # rendered once before timing, as a site serves a feed it has already written
    api = None if args.no_json else JsonApiServer(posts).start()
    results: dict[str, dict[str, RunFigures]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlite"] = run_database(f"sqlite:///{Path(tmp) / 'bench.db'}", "SQLite", posts,
                                             replay.feed_url, None if api is None else api.base_url,
                                             not args.no_recrawl)
        if args.postgres:
            with postgres_database(args.postgres) as url:
                results["postgres"] = run_database(url, "PostgreSQL", posts, replay.feed_url,
                                                   None if api is None else api.base_url, not args.no_recrawl)
    finally:
        replay.stop()
        if api is not None:
            api.stop()

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    sqlite_rate = results["sqlite"]["rss"].rate
    print(f"end to end to queued / model scoring alone (SQLite, RSS): {sqlite_rate / score_rate:.2f}")
    print(f"peak RSS: {own:,.0f} MB (this process), {children:,.0f} MB (largest worker process)")
    memory = memory_check([int(n) for n in args.sizes.split(",") if n.strip()]) if args.sizes else []

    def rate(db: str, run: str) -> float | None:
        figures = results.get(db, {}).get(run)
        return None if figures is None else round(figures.rate, 1)

    def shares(db: str) -> dict[str, float] | None:
        figures = results.get(db, {}).get("rss")
        if figures is None:
            return None
        return {k: round(v / figures.evidence_seconds, 3) for k, v in figures.stages.items()}

    def explained(db: str, key: str) -> float | None:
        figures = results.get(db, {}).get("rss")
        value = None if figures is None else getattr(figures, key)
        return None if value is None else round(value, 1 if key == "explain_rate" else 2)

    print(json.dumps({
        "posts": len(posts), "sqlite_posts_per_s": rate("sqlite", "rss"),
        "postgres_posts_per_s": rate("postgres", "rss"), "model_posts_per_s": round(model_rate, 1),
        "model_score_posts_per_s": round(score_rate, 1),
        "ratio_sqlite": round(sqlite_rate / score_rate, 3),
        "ratio_postgres": None if "postgres" not in results else round(results["postgres"]["rss"].rate / score_rate, 3),
        "sqlite_explained_per_s": explained("sqlite", "explain_rate"),
        "postgres_explained_per_s": explained("postgres", "explain_rate"),
        "sqlite_evidence_s": explained("sqlite", "evidence_seconds"),
        "postgres_evidence_s": explained("postgres", "evidence_seconds"),
        "memory": memory,
        "sqlite_json_posts_per_s": rate("sqlite", "json"), "postgres_json_posts_per_s": rate("postgres", "json"),
        "sqlite_recrawl_posts_per_s": rate("sqlite", "recrawl"),
        "postgres_recrawl_posts_per_s": rate("postgres", "recrawl"),
        "sqlite_stage_share": shares("sqlite"), "postgres_stage_share": shares("postgres"),
        "peak_mb": round(own, 1), "peak_worker_mb": round(children, 1),
    }))


if __name__ == "__main__":
    main()
