"""kiemtin's command line and the wiring of its stages: crawler -> store -> classifier -> review.

Every command reads ``kiemtin.toml`` (or ``--config``/``KIEMTIN_CONFIG``) and applies pending database
migrations before it starts.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from config import AppConfig, ConfigError, load_config
from service.ops_cli import register_ops_commands
from service.runtime import Runtime
from service.sources import seed_from_config

__all__ = ["app", "main"]

app = typer.Typer(help="kiemtin: flag possible misinformation in public Vietnamese posts for people to review.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
queue_app = typer.Typer(help="The review queue.", no_args_is_help=True)
users_app = typer.Typer(help="People who sign in to the web app.", no_args_is_help=True)
model_app = typer.Typer(help="Model versions.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(queue_app, name="queue")
app.add_typer(users_app, name="users")
app.add_typer(model_app, name="model")
from review.export_cli import export_app  # noqa: E402 - sub-app defined beside the exports package

app.add_typer(export_app, name="export")

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="configuration file (default kiemtin.toml or $KIEMTIN_CONFIG)")
]
_state: dict[str, Path | None] = {"config": None}


@app.callback()
def _main(config: ConfigOption = None,
          verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log debug details")] = False) -> None:
    _state["config"] = config
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S")
    for noisy in ("httpx", "httpcore", "apscheduler.executors", "apscheduler.scheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", fg="red", err=True)
    return typer.Exit(code)


def _config() -> AppConfig:
    try:
        return load_config(_state["config"])
    except ConfigError as exc:
        raise fail(str(exc)) from None


def _runtime(*, seed: bool = True) -> Runtime:
    config = _config()
    runtime = Runtime.open(config)
    if seed and config.sources:
        seed_from_config(runtime, config.sources)
    return runtime


register_ops_commands(app, lambda: _config())  # `kiemtin sources ...` and `kiemtin status`


# --- database -----------------------------------------------------------------------------------------

@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all database migrations (also done automatically by every command)."""
    runtime = Runtime.open(_config(), migrate=False)
    runtime.db.upgrade()
    typer.echo(f"database at revision {runtime.db.current_revision()} ({runtime.db.url.get_backend_name()})")


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision."""
    runtime = Runtime.open(_config(), migrate=False)
    typer.echo(runtime.db.current_revision() or "empty (run `kiemtin db upgrade`)")


# --- crawling -----------------------------------------------------------------------------------------

@app.command()
def crawl(source: Annotated[str | None, typer.Argument(help="source name; all enabled sources if omitted")] = None
          ) -> None:
    """Crawl once, now: store posts, score new text, queue what is flagged."""
    from service.crawl_job import run_source
    from store.models import Source

    runtime = _runtime()
    with runtime.db.session() as session:
        query = select(Source).where(Source.name == source) if source else select(Source).where(Source.enabled)
        targets = [(s.id, s.name) for s in session.scalars(query)]
    if not targets:
        raise fail(f"no source named {source!r}" if source else "no enabled sources; add some to kiemtin.toml")
    failed = 0
    for source_id, _name in targets:
        summary = run_source(runtime, source_id, trigger="manual")
        c = summary.counts
        typer.echo(f"{summary.source}: {summary.status}; fetched {c.fetched}, new {c.new}, updated {c.updated}, "
                   f"flagged {c.flagged}" + "".join(f"\n  error: {e}" for e in summary.errors))
        failed += summary.status == "error"
    raise typer.Exit(1 if failed == len(targets) else 0)


@app.command()
def run() -> None:
    """Run the scheduler until Ctrl-C: every enabled source on its schedule (one leader among processes)."""
    from service.scheduler import CrawlScheduler

    stop = _stop_on_sigterm()  # before anything starts: an early SIGTERM still stops cleanly
    runtime = _runtime()
    scheduler = CrawlScheduler(runtime)
    scheduler.start()
    typer.echo("scheduler started; Ctrl-C stops it")
    _wait_for_interrupt(stop)
    scheduler.stop()


def _stop_on_sigterm() -> threading.Event:
    """An event that SIGTERM sets (instead of killing the process)."""
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    return done


def _wait_for_interrupt(done: threading.Event) -> None:
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass


# --- model --------------------------------------------------------------------------------------------

@app.command()
def train(
    data: Annotated[Path, typer.Option(help="labelled CSV with ReINTEL columns")] = Path(
        "data/reintel/public_train.csv"),
    include_decisions: Annotated[bool, typer.Option(
        "--include-decisions", help="add reviewers' confirmed/dismissed decisions as labelled examples")] = False,
    seed: Annotated[int, typer.Option(help="random seed, for reproducible training")] = 13,
    activate: Annotated[bool, typer.Option(help="make the new version the active model")] = True,
    text_column: Annotated[str, typer.Option(help="column holding the post text")] = "post_message",
    label_column: Annotated[str, typer.Option(help="column holding the 0/1 label")] = "label",
) -> None:
    """Train a new model version beside the old ones, with its own model card."""
    from classifier import ClassifierError, read_labelled_csv, train_and_save
    from store.audit import record

    config = _config()
    try:
        examples = read_labelled_csv(data, text_column=text_column, label_column=label_column)
    except (ClassifierError, OSError) as exc:
        raise fail(str(exc)) from None
    notes = f"base data: {data}"
    runtime = None
    if include_decisions:
        from service.training_data import decision_examples

        runtime = Runtime.open(config)
        with runtime.db.session() as session:
            extra = decision_examples(session=session)
        typer.echo(f"adding {len(extra)} reviewer decisions ({sum(e.label for e in extra)} confirmed)")
        examples = [*examples, *extra]
        notes += f"; plus {len(extra)} reviewer decisions"
    report = train_and_save(examples, config.settings.models_dir, seed=seed, activate=activate, notes=notes)
    if activate:
        runtime = runtime or Runtime.open(config)
        with runtime.db.write() as session:
            record(session=session, actor="cli", action="model.activate", target_type="model",
                   target_id=report.version, reason="trained")
    typer.echo(json.dumps(dataclasses.asdict(report), default=str, ensure_ascii=False, indent=2))


@app.command()
def evaluate(
    data: Annotated[Path, typer.Option(help="CSV with a text column and a 0/1 label column")],
    text_column: Annotated[str, typer.Option(help="column holding the post text")] = "post_message",
    label_column: Annotated[str, typer.Option(help="column holding the 0/1 label")] = "label",
    model_version: Annotated[str | None, typer.Option(help="model version (default: the active one)")] = None,
) -> None:
    """Score a labelled CSV and print a JSON report (ROC-AUC, average precision, P/R/F1 at the threshold)."""
    from classifier import ClassifierError, load_model, read_labelled_csv
    from classifier import evaluate as evaluate_model

    config = _config()
    try:
        examples = read_labelled_csv(data, text_column=text_column, label_column=label_column)
        model = load_model(config.settings.models_dir, model_version)
    except (ClassifierError, OSError) as exc:
        raise fail(str(exc)) from None
    typer.echo(json.dumps(evaluate_model(model, examples), ensure_ascii=False, indent=2))


@model_app.command("list")
def model_list() -> None:
    """List model versions, their cross-validated metrics, and which is active."""
    from classifier import list_versions

    for info in list_versions(_config().settings.models_dir):
        metrics = ", ".join(f"{k} {v:.3f}" for k, v in info.metrics.items() if isinstance(v, int | float))
        typer.echo(f"{'*' if info.active else ' '} {info.version}  {info.created_at}  {metrics}")


@model_app.command("activate")
def model_activate(version: str,
                   reason: Annotated[str, typer.Option(help="why (kept in the audit log)")] = "") -> None:
    """Make VERSION the active model (recorded in the audit log; old verdicts keep their version)."""
    from classifier import ClassifierError, active_version, set_active_version
    from store.audit import record

    config = _config()
    previous = active_version(config.settings.models_dir)
    try:
        set_active_version(config.settings.models_dir, version)
    except ClassifierError as exc:
        raise fail(str(exc)) from None
    runtime = Runtime.open(config)
    with runtime.db.write() as session:
        record(session=session, actor="cli", action="model.activate", target_type="model", target_id=version,
               previous=previous, reason=reason)
    typer.echo(f"active model: {version} (was {previous})")


# --- queue and users ----------------------------------------------------------------------------------

@queue_app.command("list")
def queue_list(
    status: Annotated[str, typer.Option(help="pending, escalated, appealed, confirmed or dismissed")] = "pending",
    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many items")] = 20,
) -> None:
    """Print queued items, most urgent first: score, source, capture time, first words."""
    from review.policy import STATUSES
    from review.queue import list_queue

    if status not in STATUSES:
        raise fail(f"unknown status {status!r}; choose one of {', '.join(STATUSES)}")
    runtime = _runtime(seed=False)
    with runtime.db.session() as session:
        rows = list_queue(session=session, statuses=(status,), limit=limit)
        if not rows:
            typer.echo(f"no {status} items")
        for row in rows:
            source = row.post.source.name if row.post.source else row.post.platform
            words = " ".join(row.post.text.split())[:80]
            typer.echo(f"#{row.item.id:<6} {row.verdict.score:.3f}  {source:<18.18} "
                       f"{row.post.fetched_at:%Y-%m-%d %H:%M}  {words}")


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help="analyst, operator, reviewer or admin")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False,
) -> None:
    """Create a user (the password is asked for, hidden, unless --password-stdin)."""
    from store.users import UserError, create_user

    password = sys.stdin.readline().rstrip("\n") if password_stdin else typer.prompt(
        "password", hide_input=True, confirmation_prompt=True)
    runtime = _runtime(seed=False)
    try:
        with runtime.db.write() as session:
            user = create_user(session=session, username=name, password=password, role=role, actor="cli")
            typer.echo(f"created {user.role} {user.username} (pseudonym {user.pseudonym})")
    except UserError as exc:
        raise fail(str(exc)) from None


@users_app.command("list")
def users_list() -> None:
    """List users and their roles."""
    from store.users import list_users

    runtime = _runtime(seed=False)
    with runtime.db.session() as session:
        for user in list_users(session=session):
            typer.echo(f"{user.username:<20} {user.role:<9} {'active' if user.active else 'disabled'}")


# --- web app ------------------------------------------------------------------------------------------

@app.command()
def serve(host: Annotated[str | None, typer.Option(help="address (default settings.web_host)")] = None,
          port: Annotated[int | None, typer.Option(help="port (default settings.web_port)")] = None) -> None:
    """Serve the review web app (queue, items, decisions, dashboard, audit) until Ctrl-C."""
    from review.web.server import serve as serve_web

    serve_web(_runtime(), host=host, port=port)


# --- demo ---------------------------------------------------------------------------------------------

@app.command()
def demo(
    step_seconds: Annotated[float, typer.Option(help="seconds between new posts in the replay feed")] = 20.0,
    keep: Annotated[bool, typer.Option(help="keep the demo database from the last run")] = False,
) -> None:
    """Run the whole pipeline offline on a replay of real ReINTEL posts until Ctrl-C."""
    from service.demo import run_demo

    run_demo(step_seconds=step_seconds, keep=keep)


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
