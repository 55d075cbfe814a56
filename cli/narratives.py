"""``kiemtin narratives ...`` and ``kiemtin alerts ...``: what is spreading, and the spikes.

Thin adapters over ``review.narratives`` (reading) and ``service.narratives`` (building and checking, which
the leading scheduler also does on its own).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli.common import AsOption, actor_for, number, refusals, runtime, table
from cli.common import translate as _
from config.i18n import N_

__all__ = ["alerts_app", "narratives_app"]

#: what an alert is about (``review.narratives``)
SUBJECTS = {"narrative": N_("narrative"), "claim": N_("claim")}

narratives_app = typer.Typer(help="Narratives: flagged posts and claims grouped by keyword phrases, with counts.",
                             no_args_is_help=True)
alerts_app = typer.Typer(help="Spike alerts about narratives and claims (never about people or accounts).",
                         no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="one JSON object per line")]


@narratives_app.command("list")
def narratives_list(as_json: JsonOption = False, as_user: AsOption = None) -> None:
    """Narratives, busiest in the last 24 hours first: id, posts, last 24 h, claims, keyword phrases."""
    from review.narratives import narratives

    with refusals():
        rows = narratives(runtime(seed=False).db, actor_for(as_user))
    if as_json:
        for r in rows:
            typer.echo(json.dumps({"id": r.id, "label": r.label, "keywords": r.keywords, "posts": r.posts,
                                   "last_24h": r.last_24h, "claims": r.claims}, ensure_ascii=False))
        return
    if not rows:
        typer.echo(_("no narratives yet (kiemtin narratives rebuild)"))
        return
    typer.echo(table(["id", _("posts"), "24h", _("claims"), _("keywords")],
                     [[r.id, number(r.posts), number(r.last_24h), number(r.claims), ", ".join(r.keywords)]
                      for r in rows], [5, 6, 5, 6, 70]))


@narratives_app.command("rebuild")
def narratives_rebuild(days: Annotated[int, typer.Option(min=1, max=365, help="flagged posts of this many days")
                                       ] = 30) -> None:
    """Group claims and recent flagged posts into narratives now (the scheduler does it every hour)."""
    from service.narratives import rebuild_narratives

    typer.echo(_("%(n)s narrative(s)", n=number(rebuild_narratives(runtime(seed=False), days=days))))


@alerts_app.command("list")
def alerts_list(as_json: JsonOption = False,
                limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50, as_user: AsOption = None) -> None:
    """Spike alerts, newest first."""
    from review.narratives import alerts

    with refusals():
        rows = alerts(runtime(seed=False).db, actor_for(as_user), limit=limit)
    if as_json:
        for a in rows:
            typer.echo(json.dumps({"id": a.id, "subject_type": a.subject_type, "subject_id": a.subject_id,
                                   "label": a.label, "count": a.count, "baseline_per_hour": a.baseline,
                                   "p_value": a.p_value, "window_start": a.window_start.isoformat(),
                                   "window_end": a.window_end.isoformat()}, ensure_ascii=False))
        return
    if not rows:
        typer.echo(_("no alerts"))
        return
    typer.echo(table(["id", _("about"), _("count"), _("per hour"), "p", _("label")],
                     [[a.id, f"{_(SUBJECTS.get(a.subject_type, a.subject_type))} #{a.subject_id}", number(a.count),
                       number(a.baseline, 2), number(a.p_value, scientific=True), a.label] for a in rows],
                     [5, 15, 5, 8, 8, 60]))



@alerts_app.command("check")
def alerts_check() -> None:
    """Test every narrative and claim for a spike in the last hour now (the scheduler does it every 10 minutes)."""
    from service.narratives import check_spikes

    raised = [c for c in check_spikes(runtime(seed=False)) if c.alerted]
    typer.echo(_("%(n)s alert(s) raised", n=number(len(raised))))
    for c in raised:
        typer.echo("  " + _("%(about)s #%(id)s: %(n)s posts in the last hour, baseline %(rate)s/h, p=%(p)s",
                            about=_(SUBJECTS.get(c.subject_type, c.subject_type)), id=c.subject_id,
                            n=number(c.count), rate=number(c.baseline, 2), p=number(c.p_value, scientific=True)))

