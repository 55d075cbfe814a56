"""JSON API for operators (sources, health) and reviewers (exports): the same actions as the pages, signed in
the same way (session cookie; X-CSRF-Token header on unsafe methods), the same role checks and audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from review.errors import NotFound
from review.exports import (
    ExportInfo,
    ProfileInfo,
    delete_profile,
    get_export,
    list_exports,
    list_profiles,
    preview_export,
    run_export,
    save_profile,
)
from service.health import RunView, SourceHealth, health_summary, run_history
from service.sources import add_source, edit_source, pause_source, remove_source, request_run, resume_source
from store.models import Source
from web.deps import CurrentUser, DbSession, Exporter, HealthViewer, RuntimeDep, SourceViewer
from web.params import RowId
from web.routes.exports import serve_file
from web.templating import safe_href

router = APIRouter(prefix="/api")


# --- operators ----------------------------------------------------------------------------------------------

class RunOut(BaseModel):
    id: int
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    status: str
    http_status_counts: dict[str, Any]
    fetched: int
    new: int
    updated: int
    flagged: int
    errors: list[Any]


class SourceOut(BaseModel):
    id: int
    name: str
    kind: str
    url: str
    link: str | None = Field(description="the URL when it is http(s), else null")
    schedule: str
    jitter_s: int
    quiet_hours: str | None
    enabled: bool
    min_delay_s: float | None
    concurrency: int | None
    user_agent: str | None
    marker: str = Field(description="paused, FAILING, STALE, running, never-run or ok")
    failing: bool
    stale: bool
    missed_runs: int
    last_run: RunOut | None
    last_success_at: datetime | None
    last_error: str | None
    next_run_at: datetime | None
    runs_requested: int
    posts_24h: int
    flags_24h: int


class SourceDetail(SourceOut):
    runs: list[RunOut]


class SourceIn(BaseModel):
    name: str
    kind: str
    url: str
    schedule: str = Field("every 15m", description="'every 15m' or 'cron MIN HOUR DOM MON DOW' (Vietnam time)")
    enabled: bool = True
    jitter_s: int = 0
    quiet_hours: str | None = Field(None, description="e.g. 23:00-06:00 (Vietnam time)")
    min_delay_s: float | None = None
    concurrency: int | None = None
    user_agent: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class SourceChanges(BaseModel):
    """Only the fields given change; null clears an optional field."""

    name: str | None = None
    url: str | None = None
    schedule: str | None = None
    enabled: bool | None = None
    jitter_s: int | None = None
    quiet_hours: str | None = None
    min_delay_s: float | None = None
    concurrency: int | None = None
    user_agent: str | None = None
    options: dict[str, Any] | None = None


class Changed(BaseModel):
    source: str
    changed: dict[str, tuple[Any, Any]] = Field(description="field -> [before, after]")


class Done(BaseModel):
    source: str
    changed: bool = Field(description="false when it already was in that state")


class RunRequested(BaseModel):
    source: str
    request_id: int


class HealthOut(BaseModel):
    generated_at: datetime
    healthy: bool
    leader: str | None
    leader_until: datetime | None
    stale_after: int
    failing: list[str]
    stale: list[str]
    sources: list[SourceOut]


def _run(run: RunView | None) -> RunOut | None:
    return None if run is None else _run_out(run)


def _run_out(run: RunView) -> RunOut:
    return RunOut(id=run.id, trigger=run.trigger, started_at=run.started_at, finished_at=run.finished_at,
                  duration_s=run.duration_s, status=run.status, http_status_counts=run.http_status_counts,
                  fetched=run.fetched, new=run.new, updated=run.updated, flagged=run.flagged, errors=run.errors)


def _source(s: SourceHealth) -> dict[str, Any]:
    return dict(
        id=s.id, name=s.name, kind=s.kind, url=s.url, link=safe_href(s.url), schedule=s.schedule,
        jitter_s=s.jitter_s, quiet_hours=s.quiet_hours, enabled=s.enabled, min_delay_s=s.min_delay_s,
        concurrency=s.concurrency, user_agent=s.user_agent, marker=s.marker, failing=s.failing, stale=s.stale,
        missed_runs=s.missed_runs, last_run=_run(s.last_run), last_success_at=s.last_success_at,
        last_error=s.last_error, next_run_at=s.next_run_at, runs_requested=s.runs_requested,
        posts_24h=s.posts_24h, flags_24h=s.flags_24h)


def _name(session: Any, source_id: int) -> str:
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound("no source #%(id)s", id=source_id)
    return str(source.name)


@router.get("/sources", response_model=list[SourceOut], tags=["operators"], summary="Every source with its health")
def api_sources(user: SourceViewer, session: DbSession) -> list[SourceOut]:
    return [SourceOut(**_source(s)) for s in health_summary(session=session).sources]


@router.post("/sources", response_model=SourceOut, status_code=201, tags=["operators"], summary="Add a source",
             responses={422: {"description": "invalid values (the message says which, one line each)"}})
def api_add_source(body: SourceIn, user: CurrentUser, runtime: RuntimeDep) -> SourceOut:
    return _one_source(runtime, add_source(runtime, user.actor, body.model_dump()).id)


def _one_source(runtime: Any, source_id: int, *, runs: bool = False) -> Any:
    with runtime.db.session() as session:
        name = _name(session, source_id)
        health = next(s for s in health_summary(session=session).sources if s.id == source_id)
        if runs:
            history = [_run_out(r) for r in run_history(session=session, source=name, limit=50)]
            return SourceDetail(**_source(health), runs=history)
        return SourceOut(**_source(health))


@router.get("/sources/{source_id}", response_model=SourceDetail, tags=["operators"],
            summary="One source with its run history (newest 50)")
def api_source(source_id: RowId, user: SourceViewer, runtime: RuntimeDep) -> SourceDetail:
    return _one_source(runtime, source_id, runs=True)  # type: ignore[no-any-return]


@router.patch("/sources/{source_id}", response_model=Changed, tags=["operators"],
              summary="Change schedule, quiet hours, politeness...; all or nothing",
              responses={422: {"description": "invalid values: nothing was changed"}})
def api_edit_source(source_id: RowId, body: SourceChanges, user: CurrentUser, runtime: RuntimeDep) -> Changed:
    name, diff = edit_source(runtime, user.actor, source_id, body.model_dump(exclude_unset=True))
    return Changed(source=name, changed=diff)


@router.post("/sources/{source_id}/pause", response_model=Done, tags=["operators"], summary="Pause scheduled runs")
def api_pause(source_id: RowId, user: CurrentUser, runtime: RuntimeDep,
              reason: Annotated[str, Query(max_length=500)] = "") -> Done:
    name, changed = pause_source(runtime, user.actor, source_id, reason=reason)
    return Done(source=name, changed=changed)


@router.post("/sources/{source_id}/resume", response_model=Done, tags=["operators"], summary="Resume scheduled runs")
def api_resume(source_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> Done:
    name, changed = resume_source(runtime, user.actor, source_id)
    return Done(source=name, changed=changed)


@router.post("/sources/{source_id}/run", response_model=RunRequested, tags=["operators"],
             summary="Ask the scheduler's leader for one run as soon as possible")
def api_run(source_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> RunRequested:
    name, request_id = request_run(runtime, user.actor, source_id)
    return RunRequested(source=name, request_id=request_id)


@router.delete("/sources/{source_id}", status_code=204, tags=["operators"],
               summary="Remove a source and its run history (its posts stay)")
def api_remove(source_id: RowId, user: CurrentUser, runtime: RuntimeDep) -> Response:
    remove_source(runtime, user.actor, source_id)
    return Response(status_code=204)


@router.get("/health", response_model=HealthOut, tags=["operators"],
            summary="Failing and stale sources, next runs, the scheduler leader and its lease")
def api_health(user: HealthViewer, session: DbSession) -> HealthOut:
    h = health_summary(session=session)
    return HealthOut(generated_at=h.generated_at, healthy=h.healthy, leader=h.leader, leader_until=h.leader_until,
                     stale_after=h.stale_after, failing=[s.name for s in h.failing], stale=[s.name for s in h.stale],
                     sources=[SourceOut(**_source(s)) for s in h.sources])


# --- reviewers: exports ---------------------------------------------------------------------------------------

Name = Annotated[str, Field(max_length=100)]
Names = Name | Annotated[list[Name], Field(max_length=50)] | None
ProfileName = Annotated[str, Path(max_length=100)]


class ExportFilterIn(BaseModel):
    platform: Names = None
    source: Names = None
    category: Names = None
    date_from: str | None = Field(None, max_length=40, description="YYYY-MM-DD (included) or ISO 8601")
    date_to: str | None = Field(None, max_length=40, description="YYYY-MM-DD (included) or ISO 8601")


class ExportIn(BaseModel):
    profile: str | None = Field(None, max_length=100)
    format: Literal["csv", "jsonl", "xlsx"] | None = None
    filters: ExportFilterIn = Field(default_factory=ExportFilterIn)
    since_last: bool | None = Field(None, description="null: since the last export with a profile, else all")


class PreviewOut(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]
    takedown_count: int
    retraction_count: int
    profile: str | None
    format: str
    filters: dict[str, Any]
    since_last: bool


class ExportOut(BaseModel):
    id: int
    profile: str | None
    recipient: str
    format: str
    created_at: datetime
    created_by: str | None
    filters: dict[str, Any]
    row_count: int
    retraction_count: int
    takedown_count: int
    sha256: str | None
    files: list[dict[str, Any]]
    downloads: dict[str, str]


class ProfileIn(BaseModel):
    recipient: str = Field("", max_length=200)
    format: Literal["csv", "jsonl", "xlsx"] = "csv"
    filters: ExportFilterIn = Field(default_factory=ExportFilterIn)


class ProfileOut(BaseModel):
    id: int
    name: str
    recipient: str
    format: str
    filters: dict[str, Any]
    created_at: datetime
    last_export_id: int | None
    last_export_at: datetime | None


def _export(e: ExportInfo) -> ExportOut:
    return ExportOut(id=e.id, profile=e.profile, recipient=e.recipient, format=e.format, created_at=e.created_at,
                     created_by=e.created_by, filters=e.filters, row_count=e.row_count,
                     retraction_count=e.retraction_count, takedown_count=e.takedown_count, sha256=e.sha256,
                     files=e.files, downloads={f["kind"]: f"/api/exports/{e.id}/files/{f['kind']}" for f in e.files})


def _profile(p: ProfileInfo) -> ProfileOut:
    return ProfileOut(id=p.id, name=p.name, recipient=p.recipient, format=p.format, filters=p.filters,
                      created_at=p.created_at, last_export_id=p.last_export_id, last_export_at=p.last_export_at)


def _args(body: ExportIn) -> dict[str, Any]:
    return {"profile": body.profile, "format": body.format, "since_last": body.since_last,
            "filters": body.filters.model_dump(exclude_none=True)}


@router.get("/exports/profiles", response_model=list[ProfileOut], tags=["exports"], summary="Saved profiles")
def api_profiles(user: Exporter, runtime: RuntimeDep) -> list[ProfileOut]:
    return [_profile(p) for p in list_profiles(runtime.db, actor=user.actor)]


@router.put("/exports/profiles/{name}", response_model=ProfileOut, tags=["exports"],
            summary="Create or replace a profile")
def api_save_profile(name: ProfileName, body: ProfileIn, user: Exporter, runtime: RuntimeDep) -> ProfileOut:
    return _profile(save_profile(runtime.db, actor=user.actor, name=name, recipient=body.recipient,
                                 format=body.format, filters=body.filters.model_dump(exclude_none=True),
                                 replace=True))


@router.delete("/exports/profiles/{name}", status_code=204, tags=["exports"], summary="Delete a profile")
def api_delete_profile(name: ProfileName, user: Exporter, runtime: RuntimeDep) -> Response:
    delete_profile(runtime.db, actor=user.actor, name=name)
    return Response(status_code=204)


@router.post("/exports/preview", response_model=PreviewOut, tags=["exports"],
             summary="What an export would hold now: counts and the first 50 rows (nothing is recorded as sent)")
async def api_preview(body: ExportIn, user: Exporter, runtime: RuntimeDep) -> PreviewOut:
    settings = runtime.config.settings
    p = await run_in_threadpool(lambda: preview_export(runtime.db, settings, actor=user.actor, limit=50,
                                                       **_args(body)))
    return PreviewOut(columns=list(p.columns), rows=p.rows, takedown_count=p.takedown_count,
                      retraction_count=p.retraction_count, profile=p.profile, format=p.format, filters=p.filters,
                      since_last=p.since_last)


@router.post("/exports", response_model=ExportOut, status_code=201, tags=["exports"],
             summary="Run an export: writes the files, records what was sent")
async def api_run_export(body: ExportIn, user: Exporter, runtime: RuntimeDep) -> ExportOut:
    settings = runtime.config.settings
    info = await run_in_threadpool(lambda: run_export(runtime.db, settings, actor=user.actor, **_args(body)))
    return _export(info)


@router.get("/exports", response_model=list[ExportOut], tags=["exports"], summary="Past exports, newest first")
def api_exports(user: Exporter, runtime: RuntimeDep, profile: str | None = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100,
                offset: Annotated[int, Query(ge=0)] = 0) -> list[ExportOut]:
    return [_export(e) for e in list_exports(runtime.db, actor=user.actor, profile=profile, limit=limit,
                                             offset=offset)]


@router.get("/exports/{export_id}", response_model=ExportOut, tags=["exports"], summary="One export")
def api_export(export_id: RowId, user: Exporter, runtime: RuntimeDep) -> ExportOut:
    return _export(get_export(runtime.db, actor=user.actor, export_id=export_id))


@router.get("/exports/{export_id}/files/{which}", tags=["exports"], response_class=Response,
            summary="Download a file (main or retractions), checked against its manifest SHA-256",
            responses={200: {"description": "the file"}, 409: {"description": "the kept file was changed"},
                       410: {"description": "the kept file is missing"}})
def api_export_file(request: Request, export_id: RowId, which: Literal["main", "retractions"], user: Exporter,
                    runtime: RuntimeDep) -> Response:
    return serve_file(request, user, runtime, export_id, which)
