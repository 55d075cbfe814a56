"""``kiemtin demo``: the whole pipeline, offline, on a replay of real ReINTEL posts, with the review web app
and demo sign-ins whose fresh random passwords are printed on the console (demo only)."""

from __future__ import annotations

import ipaddress
import secrets
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer
from sqlalchemy import select, true

from cli.common import number
from cli.common import translate as _
from cli.crawling import stop_on_sigterm
from config import AppConfig, Settings, SourceConfig
from service.replay import ReplayServer, load_replay_posts
from service.runtime import Runtime
from service.scheduler import CrawlScheduler
from service.sources import seed_sources
from store.audit import record
from store.models import Post, QueueItem, User, Verdict
from store.users import create_user, hash_password

if TYPE_CHECKING:
    from web.server import BackgroundServer

__all__ = ["DEMO_ACCOUNTS", "DEMO_DIR", "demo", "demo_config", "demo_users", "run_demo"]

DEMO_ACCOUNTS = (("demo-analyst", "analyst"), ("demo-analyst2", "analyst"), ("demo-reviewer", "reviewer"),
                 ("demo-admin", "admin"))

DEMO_DIR = Path("data/demo")
REPLAY_FILES = (Path("data/reintel/public_test.csv"), Path("data/reintel/private_test.csv"))


def demo_config(feed_url: str, *, database_url: str, step_seconds: float) -> AppConfig:
    """A configuration for the offline demo: one RSS source on the local replay server.

    The crawler may reach the replay server's own address and nothing else that is not public: a source
    an operator adds on a LAN address during the demo is refused."""
    interval = max(10, int(step_seconds))
    replay_address = str(ipaddress.ip_network(urlsplit(feed_url).hostname or ""))
    return AppConfig(
        settings=Settings(database_url=database_url, allow_networks=[replay_address], min_delay_s=0.0),
        sources=[SourceConfig(name="reintel-replay", kind="rss", url=feed_url, schedule=f"every {interval}s")],
    )


def demo_users(runtime: Runtime) -> list[tuple[str, str, str]]:
    """Create (or reset the passwords of) the demo accounts; returns (username, role, password)."""
    out = []
    with runtime.db.write() as session:
        for name, role in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(9)
            user = session.scalar(select(User).where(User.username == name))
            if user is None:
                create_user(session=session, username=name, password=password, role=role, actor="demo")
            else:
                user.password_hash, user.active = hash_password(password), True
                record(session=session, actor="demo", action="user.password_reset", target_type="user",
                       target_id=user.id)
            out.append((name, role, password))
    return out


def _print_new_flags(runtime: Runtime, seen: set[int]) -> None:
    with runtime.db.session() as session:
        rows = session.execute(
            select(QueueItem.id, Verdict.score, Verdict.features, Post.text)
            .join(Verdict, Verdict.id == QueueItem.verdict_id).join(Post, Post.id == QueueItem.post_id)
            .where(QueueItem.id.not_in(seen) if seen else true()).order_by(QueueItem.id)
        ).all()
    for item_id, score, features, text in rows:
        seen.add(item_id)
        words = ", ".join(f["term"] for f in (features or [])[:3])
        typer.echo("  " + _("queued #%(id)s score %(score)s [%(words)s] %(text)s", id=item_id,
                            score=number(score, 2), words=words, text=" ".join(text.split())[:70]))


def _start_web(runtime: Runtime) -> BackgroundServer | None:
    """The review web app on 127.0.0.1 with demo sign-ins (demo only: passwords are printed)."""
    from web.server import BackgroundServer  # noqa: F811 - imported here to keep the demo's start light

    try:
        web = BackgroundServer(runtime, host="127.0.0.1", port=runtime.config.settings.web_port).start()
    except RuntimeError as exc:
        typer.echo(_("web app not started: %(error)s (is the port taken?)", error=exc))
        return None
    typer.echo(_("review web app: %(url)s/  — demo sign-ins (this run only):", url=web.url))
    for name, role, password in demo_users(runtime):
        typer.echo(f"  {_(role):<9} {name:<15} " + _("password %(password)s", password=password))
    return web


def run_demo(*, step_seconds: float = 20.0, keep: bool = False) -> None:
    if not keep and DEMO_DIR.exists():
        shutil.rmtree(DEMO_DIR)
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    posts = load_replay_posts(REPLAY_FILES)
    replay = ReplayServer(posts, step_s=step_seconds).start()
    config = demo_config(replay.feed_url, database_url=f"sqlite:///{DEMO_DIR}/kiemtin-demo.db",
                         step_seconds=step_seconds)
    runtime = Runtime.open(config)
    seed_sources(runtime, config.sources)
    typer.echo(_("replaying %(n)s unlabelled ReINTEL posts (Le et al., VLSP 2020) at %(url)s", n=number(len(posts)),
                 url=replay.feed_url))
    typer.echo(_("database: %(url)s; model: %(version)s, threshold %(threshold)s", url=config.settings.database_url,
                 version=runtime.model().version, threshold=number(runtime.threshold(), 2)))
    scheduler = CrawlScheduler(runtime, sync_every_s=2.0)
    scheduler.start()
    typer.echo(_("scheduler, crawler, classifier and queue running; Ctrl-C stops the demo"))
    web = _start_web(runtime)
    done = stop_on_sigterm()
    seen: set[int] = set()
    try:
        while not done.wait(3.0):
            _print_new_flags(runtime, seen)
    except KeyboardInterrupt:
        pass
    typer.echo(_("stopping..."))

    scheduler.stop()
    if web is not None:
        web.stop()
    replay.stop()
    runtime.close()


def demo(
    step_seconds: Annotated[float, typer.Option(help="seconds between new posts in the replay feed")] = 20.0,
    keep: Annotated[bool, typer.Option(help="keep the demo database from the last run")] = False,
) -> None:
    """Run the whole pipeline offline on a replay of real ReINTEL posts until Ctrl-C."""
    run_demo(step_seconds=step_seconds, keep=keep)
