"""Operator commands: ``kiemtin sources ...`` and ``kiemtin status``.

Thin adapters over the actions in :mod:`service.sources` (the web pages and the API call the same ones) and
the read-side :mod:`service.health`. Changes are audited as the console (``cli``), or as the person named with
``--as``.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import AsOption, actor_for, fail, load, moment, number, refusals, table
from cli.common import runtime as _runtime
from cli.common import translate as _
from cli.crawling import errors_lines, run_line
from config import SCHEDULE_ZONE
from config.i18n import N_
from review.errors import InvalidInput

__all__ = ["sources_app", "status"]

CLEARABLE = ("quiet_hours", "min_delay_s", "concurrency", "user_agent", "options")
#: a source's health in one word (``service.health.SourceHealth.marker``), as the table shows it
MARKERS = {"paused": N_("paused"), "FAILING": N_("FAILING"), "STALE": N_("STALE"), "running": N_("running"),
           "never-run": N_("never run"), "ok": N_("ok")}
#: what started a run
TRIGGERS = {"schedule": N_("schedule"), "run-now": N_("run-now"), "manual": N_("manual")}

sources_app = typer.Typer(help="Sources to crawl: list, add, edit, pause, resume, run now, remove, export, import.",
                          no_args_is_help=True)


# --- options shared by add and edit -----------------------------------------------------------------------

Schedule = Annotated[str | None, typer.Option(
    help="'every 15m' (s, m, h, d; at least 10s) or 'cron MIN HOUR DOM MON DOW' in Asia/Ho_Chi_Minh")]
Jitter = Annotated[int | None, typer.Option("--jitter", help="random delay of up to this many seconds per run")]
Quiet = Annotated[str | None, typer.Option(
    "--quiet-hours", help="daily window without crawls, Vietnam time, e.g. 23:00-06:00")]
MinDelay = Annotated[float | None, typer.Option("--min-delay", help="seconds between requests to one host")]
Concurrency = Annotated[int | None, typer.Option(help="concurrent requests per host (1-32)")]
UserAgent = Annotated[str | None, typer.Option("--user-agent", help="User-Agent for this source")]
Options = Annotated[list[str] | None, typer.Option(
    "--option", "-o", help="adapter option key=value (value read as JSON when it parses); repeatable")]


def _politeness_and_schedule(schedule: str | None, jitter: int | None, quiet: str | None, min_delay: float | None,
                             concurrency: int | None, user_agent: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {"schedule": schedule, "jitter_s": jitter, "min_delay_s": min_delay,
                              "concurrency": concurrency, "user_agent": user_agent}
    values = {k: v for k, v in values.items() if v is not None}
    if quiet is not None:
        values["quiet_hours"] = None if quiet.strip().lower() in ("", "none", "off") else quiet
    return values


# --- sources ------------------------------------------------------------------------------------------

@sources_app.command("list")
def sources_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """List sources with their schedule, quiet hours and politeness settings."""
    from service.sources import list_sources, source_config

    rt = _runtime()
    with rt.db.session() as session:
        configs = [source_config(s).model_dump() for s in list_sources(session=session)]
    if as_json:
        typer.echo(json.dumps(configs, ensure_ascii=False, indent=2))
        return
    if not configs:
        typer.echo(_("no sources; add one with `kiemtin sources add NAME --kind rss --url URL`"))
        return
    rows = [(c["name"], c["kind"], _("yes") if c["enabled"] else _("paused"), c["schedule"],
             number(c["jitter_s"]) if c["jitter_s"] else "-", c["quiet_hours"], number(c["min_delay_s"]),
             c["concurrency"], c["url"]) for c in configs]
    typer.echo(table((_("name"), _("kind"), _("enabled"), _("schedule"), _("jitter"), _("quiet"), _("delay"),
                      _("conc"), "url"), rows, (20, 6, 8, 22, 6, 11, 5, 4, 50)))


@sources_app.command("add")
def sources_add(
    name: str,
    kind: Annotated[str, typer.Option(help="adapter, e.g. rss")],
    url: Annotated[str, typer.Option(help="http(s) URL to crawl")],
    schedule: Schedule = None, jitter: Jitter = None, quiet_hours: Quiet = None, min_delay: MinDelay = None,
    concurrency: Concurrency = None, user_agent: UserAgent = None, option: Options = None,
    paused: Annotated[bool, typer.Option("--paused", help="add it paused (no runs until resumed)")] = False,
    as_user: AsOption = None,
) -> None:
    """Add a source (validated like kiemtin.toml); the running scheduler picks it up within seconds."""
    from service.source_toml import parse_option_pairs
    from service.sources import add_source

    rt = _runtime()
    with refusals():
        values: dict[str, Any] = {"name": name, "kind": kind, "url": url, "enabled": not paused,
                                  "options": parse_option_pairs(option or []),
                                  **_politeness_and_schedule(schedule, jitter, quiet_hours, min_delay, concurrency,
                                                             user_agent)}
        source = add_source(rt, actor_for(as_user), values)
    typer.echo(_("added %(name)s (%(kind)s, %(schedule)s)", name=source.name, kind=source.kind,
                 schedule=source.schedule) if source.enabled else
               _("added %(name)s (%(kind)s, %(schedule)s, paused)", name=source.name, kind=source.kind,
                 schedule=source.schedule))


@sources_app.command("edit")
def sources_edit(
    name: str,
    rename: Annotated[str | None, typer.Option(help="new name")] = None,
    kind: Annotated[str | None, typer.Option(help="adapter, e.g. rss")] = None,
    url: Annotated[str | None, typer.Option(help="http(s) URL to crawl")] = None,
    schedule: Schedule = None, jitter: Jitter = None, quiet_hours: Quiet = None, min_delay: MinDelay = None,
    concurrency: Concurrency = None, user_agent: UserAgent = None, option: Options = None,
    clear: Annotated[list[str] | None, typer.Option(
        help=f"reset a field to its default: {', '.join(CLEARABLE)}; repeatable")] = None,
    as_user: AsOption = None,
) -> None:
    """Change a source's schedule, quiet hours, politeness, URL or options. Nothing changes if any value is
    invalid; the running scheduler applies the change within seconds."""
    from service.source_toml import parse_option_pairs
    from service.sources import edit_source, get_source

    rt = _runtime()
    changes: dict[str, Any] = _politeness_and_schedule(schedule, jitter, quiet_hours, min_delay, concurrency,
                                                       user_agent)
    changes.update({k: v for k, v in {"name": rename, "kind": kind, "url": url}.items() if v is not None})
    with refusals():
        for field in clear or []:
            if field not in CLEARABLE:
                raise InvalidInput("--clear %(field)r: choose one of %(choices)s", field=field,
                                   choices=", ".join(CLEARABLE))
            changes[field] = {} if field == "options" else None
        if option:  # -o adds to (or, with --clear options, replaces) the current options
            with rt.db.session() as session:
                current = {} if "options" in changes else dict(get_source(session=session, name=name).options or {})
            changes["options"] = {**current, **parse_option_pairs(option)}
        if not changes:
            raise InvalidInput("nothing to change: give at least one option (see --help)")
        _old, diff = edit_source(rt, actor_for(as_user), name, changes)
    if not diff:
        typer.echo(_("%(name)s: already like that; nothing changed", name=name))
    for field, (before, after) in diff.items():
        typer.echo(f"{name}: {field}: {before!r} -> {after!r}")


@sources_app.command("pause")
def sources_pause(name: str,
                  reason: Annotated[str, typer.Option(help="why (kept in the audit log)")] = "",
                  as_user: AsOption = None) -> None:
    """Stop scheduled runs of a source (run-now still works)."""
    from service.sources import pause_source

    with refusals():
        _name, changed = pause_source(_runtime(), actor_for(as_user), name, reason=reason)
    typer.echo(_("%(name)s: paused", name=name) if changed else _("%(name)s: was already paused", name=name))


@sources_app.command("resume")
def sources_resume(name: str, as_user: AsOption = None) -> None:
    """Restart scheduled runs of a paused source (the first one at once)."""
    from service.sources import resume_source

    with refusals():
        _name, changed = resume_source(_runtime(), actor_for(as_user), name)
    typer.echo(_("%(name)s: resumed", name=name) if changed else _("%(name)s: was not paused", name=name))


@sources_app.command("run-now")
def sources_run_now(
    name: str,
    wait: Annotated[float, typer.Option(help="wait up to this many seconds for the run to finish and print it")
                    ] = 0.0,
    as_user: AsOption = None,
) -> None:
    """Ask the running scheduler (in whichever process leads) for one run as soon as possible."""
    from sqlalchemy import select

    from service.scheduler import current_leader
    from service.sources import get_source, request_run
    from store.models import CrawlRun, RunRequest

    rt = _runtime()
    with refusals():
        _name, request_id = request_run(rt, actor_for(as_user), name)
    with rt.db.session() as session:
        source_id = get_source(session=session, name=name).id
        leader = current_leader(session)
        request = session.get(RunRequest, request_id)
        requested_at = request.requested_at if request is not None else None
    typer.echo(_("%(name)s: run requested (request %(id)s)", name=name, id=request_id))
    if leader is None:
        typer.echo(_("note: no scheduler is running now; the run happens when `kiemtin run` starts "
                     "(or crawl at once with `kiemtin crawl %(name)s`)", name=name))
    if wait <= 0:
        return
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with rt.db.session() as session:
            run = session.scalar(select(CrawlRun).where(
                CrawlRun.source_id == source_id, CrawlRun.trigger == "run-now",
                CrawlRun.started_at >= requested_at, CrawlRun.finished_at.is_not(None))
                .order_by(CrawlRun.id.desc()).limit(1))
        if run is not None:
            typer.echo(run_line(name, run.status, run) + " " + _("(finished %(time)s)", time=moment(run.finished_at))
                       + errors_lines(run.errors or []))
            raise typer.Exit(1 if run.status == "error" else 0)
        time.sleep(0.5)
    raise fail(_("the run did not finish within %(n)s s (it may still happen)", n=number(wait)), code=1)


@sources_app.command("remove")
def sources_remove(name: str,
                   yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
                   as_user: AsOption = None) -> None:
    """Delete a source and its run history (its posts and flags stay). The audit log keeps its settings."""
    from service.sources import get_source, remove_source

    rt = _runtime()
    with refusals():
        with rt.db.session() as session:
            get_source(session=session, name=name)
        if not yes:
            typer.confirm(_("remove source %(name)r and its run history?", name=name), abort=True)
        remove_source(rt, actor_for(as_user), name)
    typer.echo(_("%(name)s: removed", name=name))
    if any(s.name == name for s in load().sources):
        typer.echo(_("note: %(name)s is still in the configuration file; it will not be re-created from there, "
                     "but remove it from the file too to avoid confusion", name=name))


@sources_app.command("export")
def sources_export(output: Annotated[Path | None, typer.Option("--output", "-o", help="file (default: stdout)")]
                   = None, as_user: AsOption = None) -> None:
    """Write every source as [[sources]] TOML (for kiemtin.toml, or `sources import` elsewhere)."""
    from service.sources import export_sources

    with refusals():
        text = export_sources(_runtime(), actor_for(as_user))
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(_("wrote %(n)s sources to %(path)s", n=number(text.count("[[sources]]")), path=output))


@sources_app.command("import")
def sources_import(
    file: Annotated[Path, typer.Argument(help="TOML file with [[sources]] tables (a kiemtin.toml is fine)")],
    update: Annotated[bool, typer.Option("--update", help="also overwrite existing sources that differ")] = False,
    as_user: AsOption = None,
) -> None:
    """Add the file's sources (all validated first: one bad entry and nothing is imported)."""
    from service.sources import import_sources

    rt = _runtime(seed=False)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(_("cannot read %(path)s: %(error)s", path=file, error=exc)) from None
    with refusals():
        result = import_sources(rt, actor_for(as_user), text, update=update, where=str(file))
    for label, names in ((N_("created: %(names)s"), result.created), (N_("updated: %(names)s"), result.updated),
                         (N_("unchanged: %(names)s"), result.unchanged),
                         (N_("differ, not updated (use --update): %(names)s"), result.skipped)):
        if names:
            typer.echo(_(label, names=", ".join(names)))



@sources_app.command("history")
def sources_history(name: str,
                    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many runs")] = 20) -> None:
    """A source's recent runs: start, duration, status, HTTP statuses, counts, first error."""
    from service.health import run_history

    rt = _runtime()
    with refusals(), rt.db.session() as session:
        runs = run_history(session=session, source=name, limit=limit)
    if not runs:
        typer.echo(_("%(name)s: no runs yet", name=name))
        return
    rows = [(moment(r.started_at, year=False, seconds=True),
             "-" if r.duration_s is None else f"{number(r.duration_s, 1)} s", _(TRIGGERS.get(r.trigger, r.trigger)),
             _(r.status),
             " ".join(f"{k}:{v}" for k, v in sorted(r.http_status_counts.items())), number(r.fetched), number(r.new),
             number(r.updated), number(r.flagged), r.errors[0] if r.errors else "") for r in runs]
    typer.echo(table((_("started (VN)"), _("took"), _("trigger"), _("status"), "http", _("fetched"), _("new"),
                      _("upd"), _("flag"), _("error")), rows, (14, 7, 8, 11, 14, 7, 5, 5, 4, 50)))


# --- status -------------------------------------------------------------------------------------------

def _workers_lines(workers: Any) -> str:
    """The broker's workers and queues as text (``service.worker_status.WorkersStatus``)."""
    if workers.error:
        return _("broker %(broker)s: NOT REACHABLE (%(error)s)", broker=workers.broker, error=workers.error)
    queues = ", ".join(
        _("%(name)s %(n)s waiting (oldest %(s)s s)", name=q.name, n=number(q.depth), s=number(q.oldest_wait_s, 0))
        if q.oldest_wait_s is not None else _("%(name)s %(n)s waiting", name=q.name, n=number(q.depth))
        for q in workers.queues)
    lines = [_("broker %(broker)s: %(n)s worker(s) alive; queues: %(queues)s", broker=workers.broker,
               n=number(len(workers.workers)), queues=queues or "-")]
    lines += ["  " + _("worker %(name)s: queues %(queues)s, %(n)s task(s) running", name=w.name,
                       queues=",".join(w.queues) or "-", n=number(w.running)) for w in workers.workers]
    return "\n".join(lines)


def _clock(value: datetime | None) -> str:
    """The hour of a moment in Vietnam time, "23:30:05" (the same in every language)."""
    return "-" if value is None else (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(
        SCHEDULE_ZONE).strftime("%H:%M:%S")


def status(
    stale_after: Annotated[int, typer.Option(min=1, help="stale after this many planned runs without success")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Source health: last run, next run, posts and flags in 24h, failing or stale sources (exit 1 if any)."""
    from dataclasses import asdict

    from service.health import health_summary
    from service.retention import storage_facts
    from service.worker_status import workers_status

    rt = _runtime()
    with rt.db.session() as session:
        summary = health_summary(session=session, stale_after=stale_after)
    storage, workers = storage_facts(rt), workers_status(rt.config)
    if as_json:
        typer.echo(json.dumps({**asdict(summary), "failing": [s.name for s in summary.failing],
                               "stale": [s.name for s in summary.stale], "storage": asdict(storage),
                               "workers": None if workers is None else asdict(workers)},
                              default=str, ensure_ascii=False, indent=2))
        raise typer.Exit(0 if summary.healthy else 1)
    size = "-" if storage.database_bytes is None else f"{number(storage.database_bytes / 1e6, 1)} MB"
    typer.echo(_("database: %(size)s, %(posts)s posts, oldest kept post first seen %(time)s (retention %(days)s days)",
                 size=size, posts=number(storage.posts), time=moment(storage.oldest_post_seen_at),
                 days=number(rt.config.settings.retention_days)))
    if workers is not None:
        typer.echo(_workers_lines(workers))
    leader = (_("scheduler leader: %(name)s (lease until %(time)s)", name=summary.leader,
                time=_clock(summary.leader_until))
              if summary.leader else _("scheduler: not running (start it with `kiemtin run`)"))
    typer.echo(_("%(leader)s; times are Asia/Ho_Chi_Minh", leader=leader))
    rows = []
    for s in summary.sources:
        last = "-" if s.last_run is None else f"{_(s.last_run.status)} {moment(s.last_run.started_at, year=False)}"
        next_run = moment(s.next_run_at, year=False) if s.enabled else "-"
        if s.runs_requested:
            next_run = _("now (run-now)")
        rows.append((s.name, s.kind, s.schedule, _("yes") if s.enabled else _("no"), last, next_run,
                     number(s.posts_24h), number(s.flags_24h), _(MARKERS.get(s.marker, s.marker))))
    if not rows:
        typer.echo(_("no sources"))
        return
    typer.echo(table((_("source"), _("kind"), _("schedule"), _("enabled"), _("last run"), _("next run"),
                      _("posts 24h"), _("flags 24h"), _("health")), rows, (20, 6, 22, 7, 18, 13, 9, 9, 9)))
    for s in summary.failing:
        typer.echo(_("FAILING %(name)s: %(error)s", name=s.name, error=s.last_error or _("error")))
    for s in summary.stale:
        typer.echo(_("STALE %(name)s: no successful run for %(n)s+ planned runs (last success: %(time)s)",
                     name=s.name, n=s.missed_runs,
                     time=moment(s.last_success_at) if s.last_success_at else _("never")))

    raise typer.Exit(0 if summary.healthy else 1)
