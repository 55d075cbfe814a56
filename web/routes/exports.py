"""Reviewers' export page: profiles (add, change, delete), a preview of the first rows, running an export and
downloading its files (checked against the manifest's SHA-256 on every download).

Everything goes through ``review.exports``, which only ever exports confirmed decisions, checks the role again
and writes the audit log. ``run_export`` holds the database's write lock for seconds on big exports, so it runs
in a worker thread. Dates typed on the page are days in the display zone, passed on as the exact UTC instants
where they start and end (``web.localtime``); the API keeps plain dates as UTC days.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from config.i18n import N_
from review.errors import ActionError
from review.exports import (
    FORMATS,
    ExportError,
    ExportNotFound,
    ExportPreview,
    delete_profile,
    get_profile,
    list_exports,
    list_profiles,
    open_export_file,
    preview_export,
    run_export,
    save_profile,
)
from web.deps import Exporter, RuntimeDep
from web.errors import status_for
from web.localtime import describe_bound, page_day_bound, shown_day
from web.params import RowId
from web.render import Confirmation, confirm_page, render, translator
from web.routes.queue import cached_filter_options
from web.security import AuthUser

router = APIRouter(include_in_schema=False)

FILTER_FIELDS = ("platform", "source", "category", "date_from", "date_to")
FORM_FIELDS = ("name", "recipient", "format", "profile", "since", *FILTER_FIELDS)
FILE_KINDS = ("main", "retractions")


def filters_from(form: Mapping[str, Any], zone: tzinfo) -> dict[str, str]:
    """The filter fields that are set (an empty field means "any"); a date is a day in ``zone``, given on as the
    UTC instants where it starts (``date_from``) and where the next day starts (``date_to``, exclusive)."""
    out = {k: str(form.get(k, "")).strip()[:200] for k in FILTER_FIELDS if str(form.get(k, "")).strip()}
    for key in ("date_from", "date_to"):
        if key in out:
            out[key] = page_day_bound(out[key], zone, end=key == "date_to")
    return out


def _zone(request: Request) -> tzinfo:
    return request.app.state.display_zone  # type: ignore[no-any-return]


def shown_filters(filters: Mapping[str, Any], zone: tzinfo) -> list[tuple[str, str]]:
    """A profile's stored filters as (name, text) for the page; dates as days in ``zone``."""
    shown = []
    for key, value in sorted(filters.items()):
        if key.startswith("date_"):
            text = describe_bound(value, zone, end=key == "date_to")
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        else:
            text = str(value)
        shown.append((key, text))
    return shown


def since_from(value: str) -> bool | None:
    return {"last": True, "all": False}.get(value)


def file_error_title(status: int) -> str:
    return N_("Export file missing") if status == 410 else N_("Export file changed")


async def read_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(form.get(k, ""))[:500] for k in FORM_FIELDS}


def _page(request: Request, user: AuthUser, runtime: Any, *, preview: ExportPreview | None = None,
          run_form: dict[str, str] | None = None, profile_form: dict[str, str] | None = None,
          run_error: str | ActionError | None = None,
          profile_error: str | ActionError | None = None, flash: str | None = None,
          status_code: int = 200) -> Response:
    db = runtime.db
    profiles = list_profiles(db, actor=user.actor)
    exports = list_exports(db, actor=user.actor, limit=50)
    with db.session() as session:
        options = cached_filter_options(request, session)
    editing = request.query_params.get("profile")
    if profile_form is None and editing:
        chosen = next((p for p in profiles if p.name == editing), None)
        if chosen is not None:
            profile_form = {"name": chosen.name, "recipient": chosen.recipient, "format": chosen.format,
                            "editing": "1", **{k: _one(k, chosen.filters.get(k), _zone(request))
                                               for k in FILTER_FIELDS}}
    created = request.query_params.get("created", "")
    context = {
        "profiles": profiles, "exports": exports, "formats": FORMATS, "options": options,
        "shown_filters": {p.name: shown_filters(p.filters, _zone(request)) for p in profiles},
        "preview": preview, "run_form": run_form or {"profile": request.query_params.get("run", "")},
        "profile_form": profile_form or {}, "run_error": run_error, "profile_error": profile_error,
        "created": int(created) if created.isdigit() else None,
        "flash": flash or _flash(request, user, request.query_params),
    }
    return render(request, "exports.html", context, user=user, status_code=status_code)


def _one(key: str, value: Any, zone: tzinfo) -> str:
    """A stored filter as a form field (the form holds one name per field; dates as YYYY-MM-DD in ``zone``)."""
    if isinstance(value, list):
        value = value[0] if value else ""
    text = "" if value is None else str(value)
    return shown_day(text, zone, end=key == "date_to") if key.startswith("date_") and text else text


def _flash(request: Request, user: AuthUser, params: Mapping[str, str]) -> str | None:
    _ = translator(request, user)
    name = params.get("name", "")[:100]
    created = params.get("created", "")
    if created.isdigit():
        return _("Export #%(id)s recorded: download its files below.", id=created)
    done = params.get("done", "")
    if done == "saved":
        return _("Profile %(name)s saved.", name=name)
    return _("Profile %(name)s deleted.", name=name) if done == "deleted" else None


@router.get("/exports")
def exports_page(request: Request, user: Exporter, runtime: RuntimeDep) -> Response:
    return _page(request, user, runtime)


def _run_args(form: Mapping[str, str], zone: tzinfo) -> dict[str, Any]:
    return {"profile": form.get("profile") or None, "format": form.get("format") or None,
            "filters": filters_from(form, zone), "since_last": since_from(form.get("since", ""))}


@router.post("/exports/preview")
async def preview(request: Request, user: Exporter, runtime: RuntimeDep) -> Response:
    form = await read_form(request)
    settings = runtime.config.settings
    try:
        result = await run_in_threadpool(lambda: preview_export(runtime.db, settings, actor=user.actor,
                                                                limit=50, **_run_args(form, _zone(request))))
    except ExportError as exc:
        return _page(request, user, runtime, run_form=form, run_error=exc, status_code=status_for(exc))
    return _page(request, user, runtime, preview=result, run_form=form)


@router.post("/exports/run")
async def run(request: Request, user: Exporter, runtime: RuntimeDep) -> Response:
    form = await read_form(request)
    settings = runtime.config.settings
    try:
        info = await run_in_threadpool(lambda: run_export(runtime.db, settings, actor=user.actor,
                                                          **_run_args(form, _zone(request))))
    except ExportError as exc:
        return _page(request, user, runtime, run_form=form, run_error=exc, status_code=status_for(exc))
    return RedirectResponse(f"/exports?created={info.id}#export-{info.id}", status_code=303)


@router.post("/exports/profiles")
async def save(request: Request, user: Exporter, runtime: RuntimeDep) -> Response:
    form = await read_form(request)
    raw = await request.form()
    replace = raw.get("editing") == "1"
    try:
        saved = save_profile(runtime.db, actor=user.actor, name=form["name"], recipient=form["recipient"],
                             format=form["format"] or "csv", filters=filters_from(form, _zone(request)),
                             replace=replace)
    except ExportError as exc:
        return _page(request, user, runtime, profile_form={**form, "editing": "1" if replace else ""},
                     profile_error=exc, status_code=status_for(exc))
    return RedirectResponse(f"/exports?done=saved&name={saved.name}", status_code=303)


@router.get("/exports/profiles/delete")
def delete_confirm(request: Request, user: Exporter, runtime: RuntimeDep, name: str = "") -> Response:
    """Deleting a profile is confirmed on a page of its own first."""
    profile = get_profile(runtime.db, actor=user.actor, name=name[:100])
    _ = translator(request, user)
    return confirm_page(request, Confirmation(
        "confirm-delete-profile", _("Delete the profile %(name)s?", name=profile.name),
        _("Its past exports stay, and can still be downloaded. A new profile of the same name starts afresh: it "
          "sends everything that matches again, and owes no retraction for what this one sent."),
        "/exports/profiles/delete", _("Delete %(name)s", name=profile.name), "/exports", {"name": profile.name}),
        user=user)


@router.post("/exports/profiles/delete")
async def delete(request: Request, user: Exporter, runtime: RuntimeDep) -> Response:
    form = await read_form(request)
    raw = await request.form()
    if raw.get("confirm") != "yes":
        return RedirectResponse(f"/exports/profiles/delete?{urlencode({'name': form['name']})}", status_code=303)
    try:
        delete_profile(runtime.db, actor=user.actor, name=form["name"])
    except ExportError as exc:
        return _page(request, user, runtime, profile_error=exc, status_code=status_for(exc))
    return RedirectResponse(f"/exports?done=deleted&name={form['name']}", status_code=303)


def serve_file(request: Request, user: AuthUser, runtime: Any, export_id: int, which: str) -> Response:
    """The kept file after checking it against the manifest; a clear error page (409/410) when it does not."""
    if which not in FILE_KINDS:
        raise ExportNotFound("An export has no %(which)r file.", which=which)
    try:
        file = open_export_file(runtime.db, runtime.config.settings, actor=user.actor, export_id=export_id,
                                which=which)
    except ExportError as exc:
        status = status_for(exc)
        if status in (404, 403) or request.url.path.startswith("/api/"):
            raise
        return render(request, "error.html", {"status": status, "title": file_error_title(status),
                                              "message": exc}, user=user, status_code=status)
    return FileResponse(file.path, media_type=file.media_type, filename=file.download_name,
                        headers={"X-Content-SHA256": file.sha256, "Cache-Control": "no-store"})


@router.get("/exports/{export_id}/download/{which}")
def download(request: Request, export_id: RowId, which: str, user: Exporter, runtime: RuntimeDep) -> Response:
    return serve_file(request, user, runtime, export_id, which)
