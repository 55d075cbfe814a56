"""``kiemtin queue ...``: list the queue, and decide as a named person (``--as USERNAME``) through the same
actions the web app uses: next (an item, or with ``--cases`` an escalation or appeal), decide, bulk, undo,
comment, appeal, release."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import AsOption, YesOption, actor_for, fail, load, moment, number, refusals, runtime, translated
from cli.common import translate as _
from review.policy import ACTION_LABELS, STATUS_LABELS

if TYPE_CHECKING:
    from review.bulk import BulkOutcome
    from review.decisions import DecisionOutcome

__all__ = ["queue_app"]

queue_app = typer.Typer(help="The review queue: list, and next/decide/bulk/undo/comment/appeal/release as a person "
                        "(--as).", no_args_is_help=True)

STATUS_HELP = ("pending, escalated, appealed, changed (its text changed since its takedown was sent: decided "
               "again), confirmed or dismissed")
ItemArg = Annotated[int, typer.Argument(help="queue item id (see `kiemtin queue list`)")]


def _summary(outcome: DecisionOutcome | BulkOutcome) -> str:
    """E.g. "3 decided, 1 left: #12: item 12 is claimed by lan until 14:05 UTC", in the CLI's language."""
    text = _("%(n)s decided", n=number(len(outcome.decided)))
    if outcome.left:
        text += ", " + _("%(n)s left: %(reasons)s", n=number(len(outcome.left)), reasons="; ".join(
            f"#{x.item_id}: {translated(x.refusal)}" for x in outcome.left))
    return text


@queue_app.command("list")
def queue_list(
    status: Annotated[str, typer.Option(help=STATUS_HELP)] = "pending",
    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many items")] = 20,
) -> None:
    """Print queued items, most urgent first: score, source, capture time, first words."""
    from review.policy import STATUSES
    from review.queue import list_queue

    if status not in STATUSES:
        raise fail(_("unknown status %(status)r; choose one of %(choices)s", status=status,
                     choices=", ".join(STATUSES)))
    rt = runtime(seed=False)
    with rt.db.session() as session:
        rows = list_queue(session=session, statuses=(status,), limit=limit)
        if not rows:
            typer.echo(_("no %(status)s items", status=_(STATUS_LABELS.get(status, status))))
        for row in rows:
            source = row.post.source.name if row.post.source else row.post.platform
            words = " ".join(row.post.text.split())[:80]
            typer.echo(f"#{row.item.id:<6} {number(row.verdict.score, 3)}  {source:<18.18} "
                       f"{moment(row.post.fetched_at):<16}  {words}")


@queue_app.command("next")
def queue_next(
    cases: Annotated[bool, typer.Option("--cases", help="the next escalation or appeal (reviewers)")] = False,
    as_user: AsOption = None,
) -> None:
    """Lease the most urgent item you may decide for claim_minutes and print its id (exit 1: none left)."""
    from review.decisions import claim_next

    rt = runtime(seed=False)
    with refusals():
        item_id = claim_next(rt.db, actor_for(as_user), lease=timedelta(minutes=load().settings.claim_minutes),
                             cases=cases)
    if item_id is None:
        typer.echo(_("nothing left for you to decide"))
        raise typer.Exit(1)
    typer.echo(_("#%(id)s is yours for %(n)s minutes", id=item_id, n=load().settings.claim_minutes))


@queue_app.command("decide")
def queue_decide(
    item: ItemArg,
    action: Annotated[str, typer.Option(help="confirm, dismiss, escalate or skip")],
    category: Annotated[str | None, typer.Option(help="policy category (confirm)")] = None,
    reason: Annotated[str | None, typer.Option(help="dismissal reason (dismiss)")] = None,
    justification: Annotated[str, typer.Option(
        "--justification", "--note", help="why (required to confirm; the note an escalation needs)")] = "",
    reference_url: Annotated[str | None, typer.Option(help="fact-check or official source (confirm)")] = None,
    cluster: Annotated[bool, typer.Option("--cluster", help="also the pending near-duplicates you may decide")
                       ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the outcome as JSON")] = False,
    as_user: AsOption = None,
) -> None:
    """Decide an item as a person; with --cluster, each pending copy you may decide too (the rest are listed)."""
    from review.decisions import Choice, decide

    choice = Choice(action=action, category=category, dismiss_reason=reason, justification=justification,
                    reference_url=reference_url, apply_to_cluster=cluster)
    from service.explain import ensure_explained

    rt = runtime(seed=False)
    with refusals():
        ensure_explained(rt, [item])  # nobody decides without the evidence
        outcome = decide(rt.db, actor_for(as_user), item, choice)
    if as_json:
        typer.echo(json.dumps({"item_id": outcome.item_id, "status": outcome.status, "decided": outcome.decided,
                               "left": [{"item_id": x.item_id, "reason": x.reason} for x in outcome.left],
                               "decision_ids": outcome.decision_ids}, ensure_ascii=False))
        return
    said = _("skipped") if action == "skip" else _(STATUS_LABELS.get(outcome.status, outcome.status))
    typer.echo(f"#{outcome.item_id}: {said}" + ("; " + _("cluster: %(summary)s", summary=_summary(outcome))
                                                if cluster else ""))


@queue_app.command("appeal")
def queue_appeal(item: ItemArg,
                 reason: Annotated[str, typer.Option(help="why it should be decided again")],
                 as_user: AsOption = None) -> None:
    """Reopen a confirmed item; a person who took no part in its case decides it again."""
    from review.decisions import appeal

    with refusals():
        appeal(runtime(seed=False).db, actor_for(as_user), item, reason)
    typer.echo(_("#%(id)s: appealed; a different person decides it again", id=item))


@queue_app.command("release")
def queue_release(item: ItemArg, as_user: AsOption = None) -> None:
    """Give an item you hold back to the queue."""
    from review.decisions import release

    with refusals():
        released = release(runtime(seed=False).db, actor_for(as_user), item)
    typer.echo(_("#%(id)s: released", id=item) if released else _("#%(id)s: nobody held it", id=item))


@queue_app.command("bulk")
def queue_bulk(
    action: Annotated[str, typer.Option(help="confirm or dismiss")],
    item: Annotated[list[int] | None, typer.Option("--item", help="an item id (repeatable)")] = None,
    q: Annotated[str | None, typer.Option("--q", help="or: the pending items whose text contains this")] = None,
    platform: Annotated[str | None, typer.Option(help="... on this platform")] = None,
    category: Annotated[str | None, typer.Option(help="policy category (confirm)")] = None,
    reason: Annotated[str | None, typer.Option(help="dismissal reason (dismiss)")] = None,
    justification: Annotated[str, typer.Option(help="why (required to confirm)")] = "",
    reference_url: Annotated[str | None, typer.Option(help="fact-check or official source (confirm)")] = None,
    yes: YesOption = False,
    as_user: AsOption = None,
) -> None:
    """Confirm or dismiss many items, each through the same rules as one at a time (at most 200)."""
    from review.browse import QueueFilters
    from review.bulk import decide_many, selection
    from review.decisions import Choice
    from service.explain import ensure_explained

    if bool(item) == bool(q or platform):
        raise fail(_("give either --item IDs or a selection (--q, --platform)"))
    rt = runtime(seed=False)
    actor = actor_for(as_user)
    with refusals():
        ids = list(item or []) or [row.item.id for row in selection(
            rt.db, actor, QueueFilters(q=q, platform=platform))]
        if not yes:
            typer.confirm(_("%(action)s %(n)s item(s): %(ids)s?", action=_(ACTION_LABELS.get(action, action)).lower(),
                            n=len(ids),
                            ids=", ".join(f"#{i}" for i in ids)), abort=True)
        ensure_explained(rt, ids[:200])  # nobody decides without the evidence
        outcome = decide_many(rt.db, actor, ids, Choice(
            action=action, category=category, dismiss_reason=reason, justification=justification,
            reference_url=reference_url))
    typer.echo(_summary(outcome))


@queue_app.command("undo")
def queue_undo(item: ItemArg, as_user: AsOption = None) -> None:
    """Undo your latest confirmation, dismissal or escalation of an item (within undo_seconds, never once it was
    exported); the item is yours again for claim_minutes."""
    from review.decisions import undo

    settings = load().settings
    with refusals():
        outcome = undo(runtime(seed=False).db, actor_for(as_user), item,
                       window=timedelta(seconds=settings.undo_seconds),
                       lease=timedelta(minutes=settings.claim_minutes))
    typer.echo(_("#%(id)s: undone, it is %(status)s again", id=item,
                 status=_(STATUS_LABELS.get(outcome.status, outcome.status)))
               + ("; " + _("cluster: %(summary)s", summary=_summary(outcome))
                  if len(outcome.decided) > 1 or outcome.left else ""))



@queue_app.command("comment")
def queue_comment(item: ItemArg, text: Annotated[str, typer.Option(help="the comment (about the post)")],
                  as_user: AsOption = None) -> None:
    """Add a comment to an item's thread (never exported)."""
    from review.comments import add_comment

    with refusals():
        comment = add_comment(runtime(seed=False).db, actor_for(as_user), item, text)
    typer.echo(_("#%(id)s: comment %(comment)s added", id=item, comment=comment.id))
