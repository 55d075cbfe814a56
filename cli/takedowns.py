"""``kiemtin takedowns ...``: follow takedown requests from "sent" to "removed", re-check them, report.

Thin adapters over ``review.takedowns`` (list, mark), ``service.takedown_checks`` (recheck) and
``review.compliance`` (report).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from cli.common import AsOption, actor_for, moment, number, refusals, runtime, table
from cli.common import translate as _

__all__ = ["takedowns_app"]

takedowns_app = typer.Typer(help="Takedown requests: status, deadlines, re-checks and the compliance report.",
                            no_args_is_help=True)


def _when(value: datetime | None) -> str:
    return f"{moment(value, zone=UTC)} UTC" if value else "-"


@takedowns_app.command("list")
def takedowns_list(
    status: Annotated[str | None, typer.Option(help="only this status (sent, acknowledged, removed, "
                                               "still_online, restored, rejected, withdrawn)")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="only requests past their deadline, post still up")
                       ] = False,
    recipient: Annotated[str | None, typer.Option(help="only this recipient")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="how many, nearest deadline first")] = 200,
    as_user: AsOption = None,
) -> None:
    """List takedown requests: id, recipient, status, deadline (UTC), post."""
    from review.takedowns import list_requests

    rt = runtime(seed=False)
    with refusals():
        requests = list_requests(rt.db, actor=actor_for(as_user), status=status, overdue=overdue,
                                 recipient=recipient, limit=limit)
    if as_json:
        for r in requests:
            typer.echo(json.dumps(r.as_json(), ensure_ascii=False))
        return
    if not requests:
        typer.echo(_("no takedown requests match"))
        return
    typer.echo(table(
        ("id", _("recipient"), _("status"), _("deadline"), _("overdue"), _("last check"), _("ref"), _("post")),
        [(r.id, r.recipient, _(r.status) + (" *" if r.needs_decision else ""), _when(r.deadline_at),
          _("OVERDUE") if r.overdue else "", f"{_(r.last_outcome) if r.last_outcome else '-'} "
          f"{_when(r.last_checked_at)}", r.recipient_ref, r.post_url) for r in requests],
        (6, 20, 14, 21, 7, 32, 12, 50)))
    if any(r.needs_decision for r in requests):
        typer.echo("* " + _("the post's text changed since it was sent: a person decides again"))


@takedowns_app.command("mark")
def takedowns_mark(
    request_id: Annotated[int, typer.Argument(help="request id (see `kiemtin takedowns list`)")],
    status: Annotated[str, typer.Option(help="the new status")],
    note: Annotated[str, typer.Option(help="why: what the recipient answered, or what you saw")],
    ref: Annotated[str | None, typer.Option(help="the recipient's own reference number")] = None,
    as_user: AsOption = None,
) -> None:
    """Change a request's status, with a note (audited with who and why)."""
    from review.takedowns import mark

    rt = runtime(seed=False)
    with refusals():
        info = mark(rt.db, actor=actor_for(as_user), request_id=request_id, status=status, note=note,
                    recipient_ref=ref, watch_days=rt.config.settings.takedown_watch_days)
    params = dict(id=info.id, status=_(info.status), deadline=_when(info.deadline_at))
    typer.echo(_("request %(id)s: %(status)s (deadline %(deadline)s, overdue)", **params) if info.overdue else
               _("request %(id)s: %(status)s (deadline %(deadline)s)", **params))


@takedowns_app.command("recheck")
def takedowns_recheck(
    now: Annotated[bool, typer.Option("--now", help="every open request now, not only those due")] = False,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="at most this many posts")] = 500,
    as_user: AsOption = None,
) -> None:
    """Fetch the posts of due (or, with --now, all open) requests again, politely, and record what was seen."""
    from service.takedown_checks import recheck_due_requests

    rt = runtime(seed=False)
    with refusals():
        summary = recheck_due_requests(rt, everything=now, limit=limit, actor=actor_for(as_user))
    if not summary.checked:
        typer.echo(_("no takedown request is due for a re-check") if now else
                   _("no takedown request is due for a re-check (--now checks all open ones)"))
        return
    seen = ", ".join(f"{number(n)} {_(outcome)}" for outcome, n in sorted(summary.outcomes.items()))
    typer.echo(_("re-checked %(n)s request(s): %(seen)s", n=number(summary.checked), seen=seen))


@takedowns_app.command("archive")
def takedowns_archive(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="at most this many posts")] = 50,
    as_user: AsOption = None,
) -> None:
    """Archive confirmed posts that have no WARC evidence yet (under archive_dir), politely."""
    from service.evidence import archive_new_evidence

    rt = runtime(seed=False)
    with refusals():
        summary = archive_new_evidence(rt, limit=limit, actor=actor_for(as_user))
    typer.echo(_("evidence: %(archived)s archived, %(failed)s failed", archived=number(summary.archived),
                 failed=number(summary.failed)))
    for error in summary.errors:
        typer.echo(f"  {error}")


@takedowns_app.command("report")
def takedowns_report(
    out: Annotated[Path, typer.Option(help="the report file: .csv (plus FILE-summary.csv) or .xlsx")],
    profile: Annotated[str | None, typer.Option(help="only this export profile's requests")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="sent on or after DATE (YYYY-MM-DD, UTC)")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="sent on or before DATE (YYYY-MM-DD, UTC)")] = None,
    as_user: AsOption = None,
) -> None:
    """Write the compliance report: per recipient and month, and every request with its evidence hashes."""
    from review.compliance import write_report
    from review.exports import parse_when

    rt = runtime(seed=False)
    with refusals():
        start, end = parse_when(date_from), parse_when(date_to, end=True)
        report = write_report(rt.db, actor=actor_for(as_user), out=out, profile=profile, date_from=start,
                              date_to=end)
    typer.echo(_("%(path)s: %(n)s request(s), sha256 %(sha256)s", path=report.path, n=number(report.rows),
                 sha256=report.sha256))
    if report.extra is not None:
        typer.echo(_("%(path)s: the summary per recipient and month", path=report.extra))
