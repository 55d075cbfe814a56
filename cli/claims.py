"""``kiemtin claims ...``: add, list, import and export claims (fact-checks), and match a text against them.

Thin adapters over ``review.claims``: adding needs ``--as USERNAME`` (an analyst or reviewer); importing,
exporting and matching may run as the console. Every change, import and export is in the audit log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.common import AsOption, actor_for, fail, number, refusals, runtime, table
from cli.common import translate as _

__all__ = ["claims_app"]

claims_app = typer.Typer(help="Claims: checked statements with their verdicts, matched against new posts.",
                         no_args_is_help=True)


@claims_app.command("add")
def claims_add(
    text: Annotated[str, typer.Option("--text", help="the claim, as it circulates")],
    verdict: Annotated[str, typer.Option(help="false, misleading, partly_false, missing_context, unproven, "
                                              "satire, true or other")] = "false",
    url: Annotated[str | None, typer.Option("--url", help="the fact-check's URL")] = None,
    summary: Annotated[str, typer.Option(help="what the fact-check found, in a sentence or two")] = "",
    rating: Annotated[str, typer.Option(help="the rating as the fact-checker wrote it (e.g. 'Sai sự thật')")] = "",
    publisher: Annotated[str, typer.Option(help="who published the fact-check")] = "",
    category: Annotated[str | None, typer.Option(help="policy category items matching it are pre-filled with")
                        ] = None,
    from_item: Annotated[int | None, typer.Option("--from-item", help="a confirmed item whose post it links")
                         ] = None,
    as_user: AsOption = None,
) -> None:
    """Add a claim: `kiemtin claims add --text T [--verdict V] [--url U] --as USERNAME`."""
    from review.claims import ClaimInput, add_claim

    db = runtime(seed=False).db
    with refusals():
        info = add_claim(db, actor_for(as_user), ClaimInput(
            text=text, verdict=verdict, review_url=url, summary=summary, rating=rating, publisher=publisher,
            category=category), from_item_id=from_item)
    typer.echo(_("claim #%(id)s: %(verdict)s, linked to item %(item)s", id=info.id, verdict=_(info.verdict),
                 item=from_item) if from_item else _("claim #%(id)s: %(verdict)s", id=info.id, verdict=_(info.verdict)))


@claims_app.command("link")
def claims_link(claim_id: int, item_id: int, as_user: AsOption = None) -> None:
    """Link a queued item's post to a claim: `kiemtin claims link CLAIM_ID ITEM_ID --as USERNAME`."""
    from review.claims import link_item

    db = runtime(seed=False).db
    with refusals():
        linked = link_item(db, actor_for(as_user), claim_id, item_id)
    typer.echo(_("item %(item)s linked to claim #%(id)s", item=item_id, id=claim_id) if linked else
               _("item %(item)s was already linked to claim #%(id)s", item=item_id, id=claim_id))


@claims_app.command("list")
def claims_list(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="how many, newest first")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines records instead of a table")] = False,
    as_user: AsOption = None,
) -> None:
    """List claims: id, verdict, linked posts, matches, text."""
    from review.claimreview import to_record
    from review.claims import list_claims

    db = runtime(seed=False).db
    with refusals():
        claims = list_claims(db, actor_for(as_user), limit=limit)
    if as_json:
        for claim in claims:
            typer.echo(json.dumps({**to_record(claim), "links": claim.link_count, "matches": claim.match_count},
                                  ensure_ascii=False))
        return
    if not claims:
        typer.echo(_("no claims yet"))
        return
    typer.echo(table(["id", _("verdict"), _("links"), _("matches"), _("text")],
                     [[c.id, _(c.verdict), number(c.link_count), number(c.match_count), c.text] for c in claims],
                     [6, 15, 5, 7, 70]))


@claims_app.command("import")
def claims_import(
    file: Annotated[Path, typer.Argument(help="ClaimReview JSON-LD, a Fact Check Tools answer, or JSON Lines")],
    as_user: AsOption = None,
) -> None:
    """Import claims from FILE; claims already known (same text and review URL) are skipped."""
    from review.claimreview import parse_claims
    from review.claims import import_claims

    try:
        data = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(_("cannot read %(path)s: %(error)s", path=file, error=exc)) from None
    db = runtime(seed=False).db
    with refusals():
        outcome = import_claims(db, actor_for(as_user), parse_claims(data, name=str(file)), source=file.name)
    typer.echo(_("%(added)s claim(s) added, %(known)s already known", added=number(len(outcome.added)),
                 known=number(len(outcome.already_known))))


@claims_app.command("export")
def claims_export(
    out: Annotated[Path, typer.Option("--out", help="where to write the file")],
    fmt: Annotated[str, typer.Option("--format", help="claimreview (JSON-LD) or jsonl")] = "claimreview",
    as_user: AsOption = None,
) -> None:
    """Export every claim: `kiemtin claims export --format claimreview|jsonl --out FILE`."""
    from review.claimreview import FORMATS, write_claims
    from review.claims import export_claims

    if fmt not in FORMATS:
        raise fail(_("unknown format %(format)r: use %(choices)s", format=fmt, choices=", ".join(FORMATS)))
    db = runtime(seed=False).db
    with refusals():
        claims = export_claims(db, actor_for(as_user), format=fmt, target=out.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(write_claims(claims, fmt), encoding="utf-8")
    typer.echo(_("%(n)s claim(s) written to %(path)s (%(format)s)", n=number(len(claims)), path=out, format=fmt))


@claims_app.command("match")
def claims_match(
    text: Annotated[str, typer.Argument(help="the text of a post")],
    as_json: Annotated[bool, typer.Option("--json", help='print {"matches": [{"claim_id", "score", "tier"}]}')
                       ] = False,
    as_user: AsOption = None,
) -> None:
    """Which known claims TEXT repeats, best first, with the score and tier (auto or suggest)."""
    from review.claims import list_claims
    from service.claim_matching import match_texts

    rt = runtime(seed=False)
    with refusals():
        list_claims(rt.db, actor_for(as_user), limit=1)  # the same permission as seeing claims
    [hits] = match_texts(rt.db, rt.config.settings, [text])
    if as_json:
        typer.echo(json.dumps({"matches": [{"claim_id": h.claim_id, "score": h.score, "tier": h.tier}
                                           for h in hits]}))
        return
    if not hits:
        typer.echo(_("no known claim matches"))
    for h in hits:
        typer.echo(_("matches claim #%(id)s, %(score)s (%(tier)s)", id=h.claim_id, score=number(h.score, 2),

                     tier=_(h.tier)))
