"""Operators' pages: sources (add, edit schedule, quiet hours and politeness, pause, resume, run now, remove),
one source's run history, and the health page. Every change is a ``service.sources`` action done by the
signed-in person: it checks the role, validates first (nothing changes on error) and writes the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from config.i18n import N_
from crawler import KNOWN_KINDS
from review.errors import NotFound
from service.health import daily_counts, health_summary, run_history
from service.source_toml import parse_option_pairs
from service.sources import (
    SourceError,
    add_source,
    edit_source,
    pause_source,
    remove_source,
    request_run,
    resume_source,
)
from store.models import Source
from web.chart import grouped_bar_chart
from web.deps import CurrentUser, DbSession, HealthViewer, RuntimeDep, SourceViewer
from web.params import RowId
from web.render import Confirmation, confirm_page, render, translator
from web.security import AuthUser

router = APIRouter(include_in_schema=False)

FORM_FIELDS = ("name", "kind", "url", "schedule_type", "every", "cron", "jitter_s", "quiet_hours", "min_delay_s",
               "concurrency", "user_agent", "options", "enabled")
EDIT_FIELDS = ("url", "schedule", "jitter_s", "quiet_hours", "min_delay_s", "concurrency", "user_agent")
DONE_MESSAGES = {
    "created": N_("Source %(name)s added; the scheduler picks it up within seconds."),
    "updated": N_("Source %(name)s saved: %(fields)s."),
    "unchanged": N_("Nothing to change on %(name)s."),
    "paused": N_("Paused %(name)s: no scheduled runs until it is resumed."),
    "resumed": N_("Resumed %(name)s: its first run starts at once."),
    "run": N_("Run of %(name)s requested: the scheduler's leader starts it within seconds."),
    "removed": N_("Removed %(name)s and its run history (its posts stay)."),
}


def _number(raw: str, kind: type) -> Any:
    """'' -> None; a number when it reads as one; else the text (validation then says what is wrong)."""
    text = raw.strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        return text


def schedule_text(form: Mapping[str, str]) -> str:
    """The schedule from the form: 'every <n><unit>' or 'cron <5 fields>'."""
    if form.get("schedule_type") == "cron":
        value = form.get("cron", "").strip()
        return value if value.lower().startswith("cron ") else f"cron {value}"
    value = form.get("every", "").strip()
    return value if value.lower().startswith("every ") else f"every {value}"


def split_schedule(schedule: str) -> dict[str, str]:
    if schedule.startswith("cron "):
        return {"schedule_type": "cron", "cron": schedule[5:], "every": ""}
    return {"schedule_type": "every", "every": schedule.removeprefix("every "), "cron": ""}


def form_values(form: Mapping[str, str]) -> dict[str, Any]:
    """Schedule, jitter, quiet hours and politeness from a form, as source fields (None clears)."""
    jitter = _number(form.get("jitter_s", ""), int)
    return {
        "url": form.get("url", "").strip(),
        "schedule": schedule_text(form),
        "jitter_s": 0 if jitter is None else jitter,
        "quiet_hours": form.get("quiet_hours", "").strip() or None,
        "min_delay_s": _number(form.get("min_delay_s", ""), float),
        "concurrency": _number(form.get("concurrency", ""), int),
        "user_agent": form.get("user_agent", "").strip() or None,
    }


def source_form(source: Source) -> dict[str, str]:
    """A stored source as form values, for the edit form."""
    return {
        "name": source.name, "kind": source.kind, "url": source.url, **split_schedule(source.schedule),
        "jitter_s": str(source.jitter_s or 0), "quiet_hours": source.quiet_hours or "",
        "min_delay_s": "" if source.min_delay_s is None else f"{source.min_delay_s:g}",
        "concurrency": "" if source.concurrency is None else str(source.concurrency),
        "user_agent": source.user_agent or "",
    }


async def read_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(form.get(k, ""))[:2000] for k in FORM_FIELDS}


def load_source(session: Session, source_id: int) -> Source:
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound("There is no source #%(id)s.", id=source_id)
    return source


def _done(request: Request, user: AuthUser, params: Mapping[str, str]) -> str | None:
    key = params.get("done", "")
    if key not in DONE_MESSAGES:
        return None
    _ = translator(request, user)
    return _(DONE_MESSAGES[key], name=params.get("source", "")[:100], fields=params.get("fields", "")[:200])


def _sources_page(request: Request, user: AuthUser, runtime: Any, *, form: dict[str, str] | None = None,
                  form_errors: list[str] | None = None, status_code: int = 200) -> Response:
    with runtime.db.session() as session:
        summary = health_summary(session=session)
    context = {
        "summary": summary, "kinds": sorted(KNOWN_KINDS), "form_errors": form_errors or [],
        "form": form or {"schedule_type": "every", "every": "15m", "jitter_s": "0", "kind": "rss"},
        "flash": _done(request, user, request.query_params),
    }
    return render(request, "sources.html", context, user=user, status_code=status_code)


@router.get("/sources")
def sources_page(request: Request, user: SourceViewer, runtime: RuntimeDep) -> Response:
    return _sources_page(request, user, runtime)


@router.post("/sources")
async def add_source_form(request: Request, user: CurrentUser, runtime: RuntimeDep) -> Response:
    form = await read_form(request)
    values: dict[str, Any] = {"name": form["name"].strip(), "kind": form["kind"].strip(), **form_values(form),
                              "enabled": form.get("enabled", "") in ("1", "on")}
    try:
        values["options"] = parse_option_pairs(line for line in form["options"].splitlines() if line.strip())
        name = add_source(runtime, user.actor, values).name
    except SourceError as exc:
        return _sources_page(request, user, runtime, form=form, form_errors=str(exc).splitlines(),
                             status_code=422)
    return RedirectResponse(f"/sources?done=created&source={name}", status_code=303)


def _detail(request: Request, user: AuthUser, runtime: Any, source_id: int, *, form: dict[str, str] | None = None,
            form_errors: list[str] | None = None, status_code: int = 200) -> Response:
    with runtime.db.session() as session:
        source = load_source(session, source_id)
        health = next((s for s in health_summary(session=session).sources if s.id == source_id), None)
        runs = run_history(session=session, source=source.name, limit=50)
        context = {"source": source, "health": health, "runs": runs, "form": form or source_form(source),
                   "form_errors": form_errors or [], "flash": _done(request, user, request.query_params)}
        return render(request, "source.html", context, user=user, status_code=status_code)


@router.get("/sources/{source_id}")
def source_page(request: Request, source_id: RowId, user: SourceViewer, runtime: RuntimeDep) -> Response:
    return _detail(request, user, runtime, source_id)


@router.post("/sources/{source_id}")
async def edit_source_form(request: Request, source_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> Response:
    form = await read_form(request)
    try:
        name, diff = edit_source(runtime, user.actor, source_id, form_values(form))
    except SourceError as exc:
        return _detail(request, user, runtime, source_id, form=form,
                       form_errors=str(exc).splitlines(), status_code=422)
    done = f"done=updated&fields={','.join(diff)}" if diff else "done=unchanged"
    return RedirectResponse(f"/sources/{source_id}?{done}&source={name}", status_code=303)


def _back(source_id: int, where: str, done: str, name: str) -> Response:
    target = f"/sources/{source_id}" if where == "detail" else "/sources"
    return RedirectResponse(f"{target}?done={done}&source={name}", status_code=303)


async def _where(request: Request) -> str:
    form = await request.form()
    return str(form.get("back", ""))


@router.post("/sources/{source_id}/pause")
async def pause(request: Request, source_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> Response:
    where = await _where(request)
    name, _changed = pause_source(runtime, user.actor, source_id, reason="paused on the Sources page")
    return _back(source_id, where, "paused", name)


@router.post("/sources/{source_id}/resume")
async def resume(request: Request, source_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> Response:
    where = await _where(request)
    name, _changed = resume_source(runtime, user.actor, source_id)
    return _back(source_id, where, "resumed", name)


@router.post("/sources/{source_id}/run")
async def run_now(request: Request, source_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> Response:
    where = await _where(request)
    name, _request_id = request_run(runtime, user.actor, source_id)
    return _back(source_id, where, "run", name)


@router.get("/sources/{source_id}/remove")
def remove_confirm(request: Request, source_id: RowId, user: SourceViewer, session: DbSession) -> Response:
    source = load_source(session, source_id)
    _ = translator(request, user)
    return confirm_page(request, Confirmation(
        "confirm-remove", _("Remove %(name)s?", name=source.name),
        _("Its schedule and run history are deleted; the posts already crawled stay, without a source. The "
          "configuration file will not bring it back. The audit log keeps its full configuration."),
        f"/sources/{source.id}/remove", _("Remove %(name)s", name=source.name), f"/sources/{source.id}"), user=user)


@router.post("/sources/{source_id}/remove")
async def remove(request: Request, source_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> Response:
    form = await request.form()
    if form.get("confirm") != "yes":
        return RedirectResponse(f"/sources/{source_id}/remove", status_code=303)
    name = remove_source(runtime, user.actor, source_id).name
    return RedirectResponse(f"/sources?done=removed&source={name}", status_code=303)


@router.get("/health")
def health_page(request: Request, user: HealthViewer, session: DbSession, runtime: RuntimeDep) -> Response:
    from service.retention import storage_facts
    from service.worker_status import workers_status

    summary = health_summary(session=session)
    counts = daily_counts(session=session, days=14)
    charts = []
    _ = translator(request, user)
    for name in sorted(set(counts.posts) | set(counts.flags)):
        posts, flags = counts.posts.get(name, []), counts.flags.get(name, [])
        charts.append((name, sum(posts), sum(flags), grouped_bar_chart(
            counts.days, {_("posts"): posts, _("flags"): flags}, width=560, height=180, tick_every=7,
            title=_("%(name)s: posts and flags per day over the last %(n)s days", name=name, n=len(counts.days)))))
    scheduled = [(s.next_run_at, s) for s in summary.sources if s.next_run_at is not None]
    upcoming = [s for _, s in sorted(scheduled, key=lambda pair: pair[0])]
    problems = [s for s in summary.sources if s.enabled and (s.failing or s.stale)]
    return render(request, "health.html", {"summary": summary, "charts": charts, "upcoming": upcoming,
                                           "problems": problems, "days": len(counts.days),
                                           "storage": storage_facts(runtime),
                                           "retention_days": runtime.config.settings.retention_days,
                                           "workers": workers_status(runtime.config, timeout_s=0.5)}, user=user)
