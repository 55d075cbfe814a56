"""The scheduler with real threads on a real database: live schedule changes, pause/resume/run-now from the
CLI, one leader among several, takeover after a crash, one catch-up run after downtime, real crawl records."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select
from typer.testing import CliRunner

from config import SCHEDULE_ZONE, AppConfig, Settings
from crawlkit import LocalServer, Resp
from pipeline import app
from review.actors import CONSOLE_ACTOR
from service.health import health_summary
from service.runtime import Runtime
from service.scheduler import JOBS_TABLE, CrawlScheduler, job_id, read_job_times
from service.sources import add_source
from store import Database
from store.models import CrawlRun, Source
from tests_support import wait_until

LEASE_S = 5


class Recorder:
    """A crawl function that records its calls instead of crawling."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str, float]] = []
        self.lock = threading.Lock()

    def __call__(self, runtime: Runtime, source_id: int, trigger: str) -> None:
        with self.lock:
            self.calls.append((source_id, trigger, time.monotonic()))

    def count(self, source_id: int | None = None, trigger: str | None = None) -> int:
        with self.lock:
            return sum(1 for s, t, _ in self.calls if (source_id in (None, s)) and (trigger in (None, t)))


@pytest.fixture
def make_runtime(database_url: str) -> Iterator[Callable[[], Runtime]]:
    made: list[Runtime] = []

    def make() -> Runtime:
        rt = Runtime.open(AppConfig(settings=Settings(
            database_url=database_url, lease_seconds=LEASE_S, allow_networks=["127.0.0.0/8"], min_delay_s=0.0,
            request_timeout_s=3.0)))
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.close()


@pytest.fixture
def schedulers() -> Iterator[list[CrawlScheduler]]:
    """Schedulers to stop at the end of a test, whatever happens."""
    started: list[CrawlScheduler] = []
    yield started
    for scheduler in started:
        scheduler.stop()


def _start(schedulers: list[CrawlScheduler], runtime: Runtime, recorder: Callable | None = None,
           **kw: object) -> CrawlScheduler:
    scheduler = CrawlScheduler(runtime, crawl=recorder, sync_every_s=0.3, **kw)  # type: ignore[arg-type]
    schedulers.append(scheduler)
    scheduler.start()
    return scheduler


def _add(runtime: Runtime, name: str, schedule: str = "every 1h", **values: object) -> int:
    return add_source(runtime, CONSOLE_ACTOR, {"name": name, "kind": "rss", "url": f"http://127.0.0.1:9/{name}.xml",
                                               "schedule": schedule, **values}).id


def _next_run(runtime: Runtime, source_id: int) -> datetime | None:
    with runtime.db.session() as s:
        return read_job_times(s).next_run.get(source_id)


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KIEMTIN_DATABASE_URL", database_url)
    monkeypatch.setenv("KIEMTIN_UI_LANGUAGE", "en")  # these tests read the English messages
    runner = CliRunner()

    def invoke(*args: str) -> str:

        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


@pytest.fixture
def utc_host() -> Iterator[None]:
    """This process's local zone is UTC, like a server configured in UTC."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_schedule_changes_from_the_cli_reach_the_running_scheduler(make_runtime, schedulers, cli, utc_host) -> None:
    assert time.strftime("%Z") == "UTC"
    runtime = make_runtime()
    source_id = _add(runtime, "feed", "every 1h")
    recorder = Recorder()
    _start(schedulers, runtime, recorder)
    wait_until(lambda: recorder.count(source_id) == 1, 15, "the first run of a new source")
    wait_until(lambda: (_next_run(runtime, source_id) or datetime.min.replace(tzinfo=UTC))
               > datetime.now(UTC) + timedelta(minutes=55), 10, "next run about an hour away")

    cli("sources", "edit", "feed", "--schedule", "every 3h")
    took = wait_until(lambda: (_next_run(runtime, source_id) or datetime.max.replace(tzinfo=UTC))
                      > datetime.now(UTC) + timedelta(hours=2, minutes=55), 10, "next run moved to ~3h away")
    assert took < 10

    cli("sources", "edit", "feed", "--schedule", "cron 30 4 * * *")
    now_vn = datetime.now(SCHEDULE_ZONE)
    expected = now_vn.replace(hour=4, minute=30, second=0, microsecond=0)
    if expected <= now_vn:
        expected += timedelta(days=1)
    wait_until(lambda: _next_run(runtime, source_id) == expected.astimezone(UTC), 10,
               f"next run at 04:30 Vietnam time ({expected.astimezone(UTC):%H:%M} UTC) on a UTC host")
    assert recorder.count() == 1  # rescheduling does not trigger runs


def test_pause_stops_runs_run_now_runs_once_resume_restarts(make_runtime, schedulers, cli) -> None:
    runtime = make_runtime()
    source_id = _add(runtime, "fast", "every 10s")
    recorder = Recorder()
    _start(schedulers, runtime, recorder)
    wait_until(lambda: recorder.count(source_id) == 1, 15, "the first run")
    first_run = time.monotonic()
    cli("sources", "pause", "fast")
    def dropped() -> bool:
        with runtime.db.session() as s:
            return source_id not in read_job_times(s).next_run

    wait_until(dropped, 5, "the job dropped after pause")

    cli("sources", "run-now", "fast")  # runs even though paused, once
    wait_until(lambda: recorder.count(source_id, "run-now") == 1, 10, "the run-now run")
    # Past the time the next scheduled run would have come: nothing more ran.
    time.sleep(max(0.0, first_run + 11.5 - time.monotonic()))
    assert recorder.count(source_id, "schedule") == 1
    assert recorder.count(source_id, "run-now") == 1

    cli("sources", "resume", "fast")
    wait_until(lambda: recorder.count(source_id, "schedule") == 2, 10, "a run right after resume")
    assert _next_run(runtime, source_id) is not None
    assert recorder.count(source_id, "run-now") == 1


def test_only_one_scheduler_leads_and_another_takes_over_after_a_crash(make_runtime, schedulers) -> None:
    runtime_a, runtime_b = make_runtime(), make_runtime()
    ids = [_add(runtime_a, "one"), _add(runtime_a, "two")]
    rec_a, rec_b = Recorder(), Recorder()
    a = _start(schedulers, runtime_a, rec_a, holder="process-a")
    b = _start(schedulers, runtime_b, rec_b, holder="process-b")
    wait_until(lambda: a.is_leader or b.is_leader, 10, "a leader")
    time.sleep(2)  # several lease rounds
    assert [a.is_leader, b.is_leader].count(True) == 1
    leader, follower = (a, b) if a.is_leader else (b, a)
    rec_leader, rec_follower = (rec_a, rec_b) if a.is_leader else (rec_b, rec_a)
    wait_until(lambda: rec_leader.count() == 2, 10, "both sources crawled once by the leader")
    assert rec_follower.count() == 0

    crashed_at = time.monotonic()
    schedulers.remove(leader)
    leader.stop(release=False)  # like a killed process: the lease is left to expire
    took = wait_until(lambda: follower.is_leader, LEASE_S + 10, "takeover by the other process")
    assert time.monotonic() - crashed_at >= LEASE_S - 1.5  # it waited for the lease to expire
    assert took <= LEASE_S + 5
    with runtime_a.db.session() as s:
        summary = health_summary(session=s)
    assert summary.leader == follower.holder
    # The new leader found the jobs in the database (next runs an hour away): no extra crawls.
    time.sleep(1)
    assert rec_follower.count() == 0
    assert set(follower.next_run_times()) == set(ids)

    # A graceful stop releases the lease: the other process takes over at once (well within the lease time).
    c = _start(schedulers, make_runtime(), Recorder(), holder="process-c")
    time.sleep(1)
    assert not c.is_leader
    released_at = time.monotonic()
    schedulers.remove(follower)
    follower.stop()
    wait_until(lambda: c.is_leader, LEASE_S, "takeover after a graceful stop")
    assert time.monotonic() - released_at < LEASE_S


def _push_jobs_into_the_past(database_url: str, hours: float, grace: int | None, only: str | None = None) -> None:
    """Simulate downtime: every job's (or job ``only``'s) next run time becomes ``hours`` ago, as if the scheduler
    had been off."""
    jobs_db = Database(database_url)
    store = SQLAlchemyJobStore(engine=jobs_db.engine, tablename=JOBS_TABLE)
    store.start(BackgroundScheduler(timezone=UTC), "default")  # the store only; no scheduler runs
    past = datetime.now(UTC) - timedelta(hours=hours)
    for job in store.get_all_jobs():
        if only not in (None, job.id):
            continue
        job._modify(next_run_time=past, misfire_grace_time=grace)
        store.update_job(job)
    jobs_db.dispose()


@pytest.mark.parametrize(("grace", "expected_runs"), [(None, 1), (60, 0)])
def test_restart_after_downtime_runs_one_catch_up_per_source(make_runtime, schedulers, database_url,
                                                             grace, expected_runs) -> None:
    """With coalesce and no misfire limit (our setting) a long downtime gives exactly one catch-up run per
    source; a finite grace time would skip it (the last missed time is older than the grace)."""
    runtime = make_runtime()
    ids = [_add(runtime, "one", "every 1h"), _add(runtime, "two", "every 10m"), _add(runtime, "three",
                                                                                       "cron 0 * * * *")]
    first = Recorder()
    s1 = _start(schedulers, runtime, first)
    wait_until(lambda: first.count() == 3, 15, "the first runs")
    schedulers.remove(s1)
    s1.stop()

    # ~10 missed hourly runs, ~63 ten-minute runs, ~10 cron runs; the last missed one minutes ago, not seconds.
    _push_jobs_into_the_past(database_url, hours=10.55, grace=grace)
    with runtime.db.session() as s:
        assert all(t < datetime.now(UTC) - timedelta(hours=9) for t in read_job_times(s).next_run.values())

    second = Recorder()
    _start(schedulers, runtime, second, misfire_grace_time=grace)
    time.sleep(3)
    assert [second.count(i) for i in ids] == [expected_runs] * 3
    with runtime.db.session() as s:
        next_runs = read_job_times(s).next_run
    assert all(next_runs[i] > datetime.now(UTC) for i in ids)  # back on schedule, in the future


def test_jobs_due_while_a_leader_stops_are_left_to_the_next_leader(make_runtime, schedulers, database_url) -> None:
    """A clean stop waits for running crawls. apscheduler goes on processing due jobs meanwhile (and once more
    after), and would consume them where they can no longer run; they must stay due for the next leader."""
    runtime = make_runtime()
    slow_id, other_id = _add(runtime, "slow"), _add(runtime, "other")
    recorder, release = Recorder(), threading.Event()

    def crawl(rt: Runtime, source_id: int, trigger: str) -> None:
        recorder(rt, source_id, trigger)
        if source_id == slow_id:
            release.wait(60)

    first = _start(schedulers, runtime, crawl)
    wait_until(lambda: recorder.count() == 2, 15, "the first runs (the slow one still going)")
    schedulers.remove(first)
    stopping = threading.Thread(target=first.stop)
    stopping.start()
    try:
        wait_until(lambda: first._scheduler is None, 10, "the stop to wait for the slow crawl")
        _push_jobs_into_the_past(database_url, hours=0.1, grace=None, only=job_id(other_id))
    finally:
        release.set()
        stopping.join(60)
    assert not stopping.is_alive()
    with runtime.db.session() as s:
        assert read_job_times(s).next_run[other_id] < datetime.now(UTC)  # still due, not consumed
    second = Recorder()
    _start(schedulers, runtime, second)
    wait_until(lambda: second.count(other_id) == 1, 15, "the next leader runs the job that came due")
    assert recorder.count(other_id) == 1 and second.count(slow_id) == 0


def test_a_real_crawl_run_is_recorded_with_http_statuses_and_errors(make_runtime, schedulers, cli) -> None:
    server = LocalServer()
    server.routes["/gone.xml"] = Resp(404, b"not here", content_type="text/plain")
    server.thread.start()
    try:
        runtime = make_runtime()
        source_id = add_source(runtime, CONSOLE_ACTOR, {"name": "gone", "kind": "rss", "url": server.url("/gone.xml"),
                                                        "schedule": "every 1h", "enabled": False}).id
        _start(schedulers, runtime)  # the real crawl function
        cli("sources", "run-now", "gone")

        def finished() -> CrawlRun | None:
            with runtime.db.session() as s:
                return s.scalar(select(CrawlRun).where(CrawlRun.source_id == source_id,
                                                       CrawlRun.finished_at.is_not(None)))

        wait_until(finished, 20, "the requested crawl to finish")
        run = finished()
        assert run is not None
        assert (run.trigger, run.status, run.fetched) == ("run-now", "error", 0)
        assert run.http_status_counts.get("404", 0) >= 1
        assert any("404" in str(e) for e in run.errors)
        assert run.finished_at >= run.started_at
        with runtime.db.write() as s:
            s.get(Source, source_id).enabled = True
        with runtime.db.session() as s:
            health = {h.name: h for h in health_summary(session=s).sources}["gone"]
        assert health.failing and health.marker == "FAILING" and "404" in (health.last_error or "")
        status = CliRunner().invoke(app, ["status"], catch_exceptions=False)
        assert status.exit_code == 1 and "FAILING gone" in status.output
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def test_end_to_end_crawl_scores_and_flags(make_runtime, schedulers) -> None:
    try:
        import classifier  # noqa: F401
        from classifier import load_model
    except ImportError as exc:
        print(f"skipped: the classifier package is not importable here ({exc}); the lead runs this after merging")
        pytest.skip(f"classifier not importable: {exc}")
    from service.replay import ReplayServer, load_replay_posts
    from tests_support import TEXT  # noqa: F401

    runtime = make_runtime()
    runtime.config.settings.models_dir = Path(__file__).resolve().parents[2] / "models"
    try:
        load_model(runtime.models_dir)
    except Exception as exc:
        print(f"skipped: no trained model in {runtime.models_dir} ({exc})")
        pytest.skip(f"no trained model: {exc}")
    data = Path(__file__).resolve().parents[2] / "data" / "reintel" / "public_test.csv"
    server = ReplayServer(load_replay_posts([data], limit=20), initial=20, step_s=3600).start()
    try:
        source_id = add_source(runtime, CONSOLE_ACTOR, {"name": "replay", "kind": "rss", "url": server.feed_url,
                                                        "schedule": "every 1h"}).id
        _start(schedulers, runtime)

        def finished() -> CrawlRun | None:
            with runtime.db.session() as s:
                return s.scalar(select(CrawlRun).where(CrawlRun.source_id == source_id,
                                                       CrawlRun.finished_at.is_not(None)))

        wait_until(finished, 60, "the first scheduled crawl")
        run = finished()
        assert run is not None and run.status == "ok", run.errors
        assert run.fetched == 20 and run.new == 20
        with runtime.db.session() as s:
            assert {h.name: h for h in health_summary(session=s).sources}["replay"].posts_24h == 20
    finally:
        server.stop()
