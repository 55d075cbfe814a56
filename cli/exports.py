"""``kiemtin export ...``: write takedown lists, list and re-download them, manage profiles.

Thin adapters over ``review.exports``: every command needs ``--as USERNAME`` (the action checks that the person
is an active reviewer or admin), and every export and download is written to the audit log.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import AsOption, YesOption, actor_for, fail, moment, number, refusals, runtime
from cli.common import translate as _
from cli.progress import progress
from config.i18n import N_

if TYPE_CHECKING:
    from config.settings import Settings
    from store.db import Database

__all__ = ["export_app"]

#: an export's files (``review.exports``), as a person reads them
FILE_KINDS = {"main": N_("main"), "retractions": N_("retractions")}

export_app = typer.Typer(
    help="Takedown lists of confirmed decisions (CSV, JSON Lines, xlsx) with manifests and retractions.",
    invoke_without_command=True,
)
profile_app = typer.Typer(help="Saved export profiles: one per recipient, with its filters and format.",
                          no_args_is_help=True)
export_app.add_typer(profile_app, name="profile")

PlatformOption = Annotated[list[str] | None, typer.Option("--platform", help="only this platform (repeatable)")]
SourceOption = Annotated[list[str] | None, typer.Option("--source", help="only this source name (repeatable)")]
CategoryOption = Annotated[list[str] | None, typer.Option("--category", help="only this policy category (repeatable)")]
FromOption = Annotated[str | None, typer.Option("--from", help="decided on or after DATE (YYYY-MM-DD, UTC)")]
ToOption = Annotated[str | None, typer.Option("--to", help="decided on or before DATE (YYYY-MM-DD, UTC)")]


def _open() -> tuple[Database, Settings]:
    rt = runtime(seed=False)
    return rt.db, rt.config.settings


def _filter_dict(platform: list[str] | None, source: list[str] | None, category: list[str] | None,
                 date_from: str | None, date_to: str | None) -> dict[str, Any]:
    values = {"platform": platform, "source": source, "category": category, "date_from": date_from,
              "date_to": date_to}
    return {key: value for key, value in values.items() if value}


def _sibling(out: Path, suffix: str) -> Path:
    return out.with_name(f"{out.stem}{suffix}")


@export_app.callback(invoke_without_command=True)
def export_main(
    ctx: typer.Context,
    profile: Annotated[str | None, typer.Option(help="saved profile (recipient, filters, format)")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="csv, jsonl or xlsx (default: the profile's)")] = None,
    out: Annotated[Path | None, typer.Option(help="where to write a copy of the file")] = None,
    since_last: Annotated[bool | None, typer.Option(
        "--since-last/--all", help="only posts this profile has not sent yet (default with --profile), or all")] = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    platform: PlatformOption = None,
    source: SourceOption = None,
    category: CategoryOption = None,
    as_user: AsOption = None,
) -> None:
    """Write a takedown list: `kiemtin export --profile P --out FILE --as USERNAME` (see the subcommands too)."""
    if ctx.invoked_subcommand is not None:
        return
    if out is None:
        typer.echo(ctx.get_help())
        raise fail(_("give --out FILE (and --profile, or --all for an export without a profile)"))
    from review.exports import FORMATS, run_export

    actor = actor_for(as_user)
    if fmt is None and profile is None and out.suffix.lstrip(".").lower() in FORMATS:
        fmt = out.suffix.lstrip(".").lower()
    db, settings = _open()
    with refusals(), progress(_("writing the export")) as update:
        info = run_export(db, settings, actor=actor, profile=profile, format=fmt, since_last=since_last,
                          filters=_filter_dict(platform, source, category, date_from, date_to),
                          on_rows=lambda n: update(_("%(n)s rows written", n=number(n)), n, None))
    folder = Path(settings.exports_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    targets = {"main": out, "retractions": _sibling(out, f"-retractions{out.suffix}")}
    for entry in info.files:
        shutil.copyfile(folder / entry["name"], targets[entry["kind"]])  # the kept file stays for re-download
    manifest_path = _sibling(out, ".manifest.json")
    manifest_path.write_text(json.dumps(info.manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    typer.echo(_("export %(id)s: %(takedowns)s takedown(s), %(retractions)s retraction(s), %(format)s, by %(by)s",
                 id=info.id, takedowns=number(info.takedown_count), retractions=number(info.retraction_count),
                 format=info.format, by=info.created_by))
    for entry in info.files:
        typer.echo(f"  {targets[entry['kind']]}  sha256 {entry['sha256']}  "
                   + _("(%(n)s rows)", n=number(entry["rows"])))
    typer.echo(f"  {manifest_path}  " + _("(manifest)"))


@export_app.command("list")
def export_list(
    profile: Annotated[str | None, typer.Option(help="only this profile's exports")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="how many, newest first")] = 50,
    as_user: AsOption = None,
) -> None:
    """List recorded exports: id, when, who, profile, rows, SHA-256 of the file."""
    from review.exports import list_exports

    db, _settings = _open()
    with refusals():
        exports = list_exports(db, actor=actor_for(as_user), profile=profile, limit=limit)
    if not exports:
        typer.echo(_("no exports yet"))
    for e in exports:
        takedowns, retractions = number(e.takedown_count).rjust(7), number(e.retraction_count).rjust(5)
        typer.echo(f"#{e.id:<5} {moment(e.created_at, zone=UTC)} UTC  {e.created_by or '-':<12} "
                   f"{e.profile or _('(none)'):<16} {e.format:<5} "
                   + _("%(takedowns)s takedowns %(retractions)s retractions", takedowns=takedowns,
                       retractions=retractions) + f"  {e.sha256}")




@export_app.command("download")
def export_download(
    export_id: Annotated[int, typer.Argument(help="export id (see `kiemtin export list`)")],
    out: Annotated[Path, typer.Option(help="where to write the file")],
    retractions: Annotated[bool, typer.Option("--retractions", help="the retractions file instead")] = False,
    as_user: AsOption = None,
) -> None:
    """Write a kept export file again, byte for byte, after checking it against its manifest SHA-256."""
    from review.exports import download_export

    db, settings = _open()
    with refusals():
        file = download_export(db, settings, actor=actor_for(as_user), export_id=export_id, out=out,
                               which="retractions" if retractions else "main")
    typer.echo(_("%(path)s: export %(id)s %(kind)s file, %(size)s bytes, sha256 %(sha256)s (verified)", path=out,
                 id=export_id, kind=_(FILE_KINDS.get(file.kind, file.kind)), size=number(file.size),
                 sha256=file.sha256))


@profile_app.command("add")
def profile_add(
    name: str,
    recipient: Annotated[str, typer.Option(help="who receives these lists, e.g. a platform's trust & safety team")
                         ] = "",
    fmt: Annotated[str, typer.Option("--format", help="csv, jsonl or xlsx")] = "csv",
    platform: PlatformOption = None,
    source: SourceOption = None,
    category: CategoryOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    replace: Annotated[bool, typer.Option("--replace", help="change the profile if it exists")] = False,
    as_user: AsOption = None,
) -> None:
    """Save an export profile (e.g. one per platform)."""
    from review.exports import save_profile

    db, _settings = _open()
    with refusals():
        info = save_profile(db, actor=actor_for(as_user), name=name, recipient=recipient, format=fmt, replace=replace,
                            filters=_filter_dict(platform, source, category, date_from, date_to))
    typer.echo(_("profile %(name)r: %(format)s for %(recipient)s, filters %(filters)s", name=info.name,
                 format=info.format, recipient=info.recipient or _("(no recipient)"),
                 filters=json.dumps(info.filters, ensure_ascii=False)))


@profile_app.command("list")
def profile_list(as_user: AsOption = None) -> None:
    """List saved export profiles and their last export."""
    from review.exports import list_profiles

    db, _settings = _open()
    with refusals():
        profiles = list_profiles(db, actor=actor_for(as_user))
    if not profiles:
        typer.echo(_("no export profiles; add one with `kiemtin export profile add NAME --as USERNAME`"))
    for p in profiles:
        last = (_("last export #%(id)s %(time)s UTC", id=p.last_export_id, time=moment(p.last_export_at, zone=UTC))
                if p.last_export_at else _("never"))
        typer.echo(f"{p.name:<20} {p.format:<5} {p.recipient or '-':<30.30} {json.dumps(p.filters, ensure_ascii=False)}"
                   f"  {last}")


@profile_app.command("remove")
def profile_remove(
    name: str,
    yes: YesOption = False,
    as_user: AsOption = None,
) -> None:
    """Delete a profile (its past exports stay; a new profile of the same name starts afresh)."""
    from review.exports import delete_profile

    if not yes:
        typer.confirm(_("delete the export profile %(name)r? A new profile of that name would send everything again",
                        name=name), abort=True)
    db, _settings = _open()
    with refusals():
        delete_profile(db, actor=actor_for(as_user), name=name)
    typer.echo(_("profile %(name)r removed", name=name))
