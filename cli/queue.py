"""``kiemtin queue ...``: list the queue, and decide as a named person (``--as USERNAME``) through the same
actions the web app uses: next, decide, appeal, release."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer

from cli.common import AsOption, actor_for, fail, load, refusals, runtime

__all__ = ["queue_app"]

queue_app = typer.Typer(help="The review queue: list, and next/decide/appeal/release as a person (--as).",
                        no_args_is_help=True)

ItemArg = Annotated[int, typer.Argument(help="queue item id (see `kiemtin queue list`)")]


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
    rt = runtime(seed=False)
    with rt.db.session() as session:
        rows = list_queue(session=session, statuses=(status,), limit=limit)
        if not rows:
            typer.echo(f"no {status} items")
        for row in rows:
            source = row.post.source.name if row.post.source else row.post.platform
            words = " ".join(row.post.text.split())[:80]
            typer.echo(f"#{row.item.id:<6} {row.verdict.score:.3f}  {source:<18.18} "
                       f"{row.post.fetched_at:%Y-%m-%d %H:%M}  {words}")


@queue_app.command("next")
def queue_next(as_user: AsOption = None) -> None:
    """Lease the most urgent item you may decide for claim_minutes and print its id (exit 1: none left)."""
    from review.decisions import claim_next

    rt = runtime(seed=False)
    with refusals():
        item_id = claim_next(rt.db, actor_for(as_user), lease=timedelta(minutes=load().settings.claim_minutes))
    if item_id is None:
        typer.echo("nothing left for you to decide")
        raise typer.Exit(1)
    typer.echo(f"#{item_id} is yours for {load().settings.claim_minutes} minutes")


@queue_app.command("decide")
def queue_decide(
    item: ItemArg,
    action: Annotated[str, typer.Option(help="confirm, dismiss, escalate or skip")],
    category: Annotated[str | None, typer.Option(help="policy category (confirm)")] = None,
    reason: Annotated[str | None, typer.Option(help="dismissal reason (dismiss)")] = None,
    justification: Annotated[str, typer.Option(help="why (required to confirm)")] = "",
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
    with refusals():
        outcome = decide(runtime(seed=False).db, actor_for(as_user), item, choice)
    if as_json:
        typer.echo(json.dumps({"item_id": outcome.item_id, "status": outcome.status, "decided": outcome.decided,
                               "left": [{"item_id": x.item_id, "reason": x.reason} for x in outcome.left],
                               "decision_ids": outcome.decision_ids}, ensure_ascii=False))
        return
    typer.echo(f"#{outcome.item_id}: {outcome.status if action != 'skip' else 'skipped'}"
               + (f"; cluster: {outcome.summary()}" if cluster else ""))


@queue_app.command("appeal")
def queue_appeal(item: ItemArg,
                 reason: Annotated[str, typer.Option(help="why it should be decided again")],
                 as_user: AsOption = None) -> None:
    """Reopen a confirmed item; a person who took no part in its case decides it again."""
    from review.decisions import appeal

    with refusals():
        appeal(runtime(seed=False).db, actor_for(as_user), item, reason)
    typer.echo(f"#{item}: appealed; a different person decides it again")


@queue_app.command("release")
def queue_release(item: ItemArg, as_user: AsOption = None) -> None:
    """Give an item you hold back to the queue."""
    from review.decisions import release

    with refusals():
        released = release(runtime(seed=False).db, actor_for(as_user), item)
    typer.echo(f"#{item}: released" if released else f"#{item}: nobody held it")
