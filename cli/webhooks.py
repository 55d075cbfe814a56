"""``kiemtin webhooks ...``: configure webhook URLs, read the delivery log, send what is due now.

Thin adapters over ``review.webhooks`` and ``service.webhooks``; the console or ``--as`` an admin.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli.common import AsOption, actor_for, number, refusals, runtime, table
from cli.common import translate as _

__all__ = ["webhooks_app"]

webhooks_app = typer.Typer(help="Webhooks: signed JSON events to URLs an admin configures, with a delivery log.",
                           no_args_is_help=True)


@webhooks_app.command("add")
def webhooks_add(
    url: Annotated[str, typer.Argument(help="where to POST the events (passes the same SSRF guard as sources)")],
    event: Annotated[list[str] | None, typer.Option("--event", help="item.flagged, item.confirmed, claim.matched, "
                                                    "narrative.spike or export.created (repeatable; default all)")
                     ] = None,
    min_score: Annotated[float, typer.Option(help="item.flagged only at or above this score")] = 0.0,
    secret: Annotated[str | None, typer.Option(help="the HMAC secret (default: a new random one, printed once)")
                      ] = None,
    as_user: AsOption = None,
) -> None:
    """Add a webhook; prints its secret once (configure the receiver with it)."""
    from review.webhooks import add_webhook

    rt = runtime(seed=False)
    with refusals():
        hook = add_webhook(rt.db, actor_for(as_user), url=url, events=event or [], min_score=min_score,
                           secret=secret, allow_networks=rt.config.settings.allow_networks)
    typer.echo(_("webhook #%(id)s: %(url)s (%(events)s)", id=hook.id, url=hook.url, events=", ".join(hook.events)))
    typer.echo("  " + _("secret (shown once): %(secret)s", secret=hook.secret))


@webhooks_app.command("list")
def webhooks_list(as_user: AsOption = None) -> None:
    """The configured webhooks."""
    from review.webhooks import webhooks

    with refusals():
        hooks = webhooks(runtime(seed=False).db, actor_for(as_user))
    if not hooks:
        typer.echo(_("no webhooks"))
        return
    typer.echo(table(["id", _("on"), _("events"), "url"],
                     [[h.id, _("yes") if h.enabled else _("no"), ",".join(h.events), h.url] for h in hooks],
                     [5, 5, 40, 60]))


@webhooks_app.command("remove")
def webhooks_remove(webhook_id: int, as_user: AsOption = None) -> None:
    """Turn a webhook off (its delivery log stays)."""
    from review.webhooks import remove_webhook

    with refusals():
        remove_webhook(runtime(seed=False).db, actor_for(as_user), webhook_id)
    typer.echo(_("webhook #%(id)s turned off", id=webhook_id))


@webhooks_app.command("deliveries")
def webhooks_deliveries(
    status: Annotated[str | None, typer.Option(help="pending, delivered or failed")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    as_user: AsOption = None,
) -> None:
    """The delivery log, newest first: event, status, attempts, last HTTP status or error."""
    from review.webhooks import deliveries

    with refusals():
        rows = deliveries(runtime(seed=False).db, actor_for(as_user), limit=limit, status=status)
    if as_json:
        for r in rows:
            typer.echo(json.dumps({"id": r.id, "webhook_id": r.webhook_id, "event": r.event, "status": r.status,
                                   "attempts": r.attempts, "last_status": r.last_status, "last_error": r.last_error}))
        return
    if not rows:
        typer.echo(_("no deliveries"))
        return
    typer.echo(table(["id", _("hook"), _("event"),
 _("status"), _("tries"), _("last")],
                     [[r.id, r.webhook_id, r.event, _(r.status), number(r.attempts), r.last_error or r.last_status]
                      for r in rows], [6, 5, 16, 10, 5, 60]))


@webhooks_app.command("deliver")
def webhooks_deliver() -> None:
    """Send the deliveries that are due now (the scheduler does this on every tick)."""
    from service.webhooks import deliver_due

    counts = deliver_due(runtime(seed=False))
    typer.echo(_("%(delivered)s delivered, %(retrying)s to retry, %(failed)s failed",
                 delivered=number(counts.delivered), retrying=number(counts.retrying), failed=number(counts.failed)))

