"""``kiemtin train``, ``kiemtin evaluate`` and ``kiemtin model list|activate``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer

from cli.common import AsOption, actor_for, fail, load, number, refusals, runtime, translated
from cli.common import translate as _
from cli.progress import progress

__all__ = ["evaluate", "model_app", "train"]

model_app = typer.Typer(help="Model versions.", no_args_is_help=True)


def train(
    data: Annotated[Path, typer.Option(help="labelled CSV with ReINTEL columns")] = Path(
        "data/reintel/public_train.csv"),
    include_decisions: Annotated[bool, typer.Option(
        "--include-decisions", help="add reviewers' confirmed/dismissed decisions as labelled examples")] = False,
    seed: Annotated[int, typer.Option(help="random seed, for reproducible training")] = 13,
    activate: Annotated[bool, typer.Option(help="make the new version the active model")] = True,
    text_column: Annotated[str, typer.Option(help="column holding the post text")] = "post_message",
    label_column: Annotated[str, typer.Option(help="column holding the 0/1 label")] = "label",
    as_user: AsOption = None,
) -> None:
    """Train a new model version beside the old ones, with its own model card."""
    from classifier import ClassifierError, read_labelled_csv, train_and_save
    from service.model_versions import activate_model, may_activate

    config = load()
    actor = actor_for(as_user)
    rt = runtime(seed=False)
    if activate:
        with refusals():
            may_activate(rt, actor)
    try:
        examples = read_labelled_csv(data, text_column=text_column, label_column=label_column)
    except (ClassifierError, OSError) as exc:
        raise fail(translated(exc)) from None
    notes = f"base data: {data}"
    if include_decisions:
        from service.training_data import decision_examples

        with rt.db.session() as session:
            extra = decision_examples(session=session)
        typer.echo(_("adding %(n)s reviewer decisions (%(confirmed)s confirmed)", n=number(len(extra)),
                     confirmed=number(sum(e.label for e in extra))))
        examples = [*examples, *extra]
        notes += f"; plus {len(extra)} reviewer decisions"  # the model card's notes stay in English
    with progress(_("training on %(n)s posts", n=number(len(examples)))) as update:
        report = train_and_save(examples, config.settings.models_dir, seed=seed, activate=False, notes=notes,
                                on_step=lambda what, done, total, params: update(
                                    _(what, **{k: number(v) if isinstance(v, int) else v for k, v in params.items()}),
                                    done, total))

    if activate:
        with refusals():
            activate_model(rt, actor, report.version, reason="trained")
    typer.echo(json.dumps(dataclasses.asdict(report), default=str, ensure_ascii=False, indent=2))


def evaluate(
    data: Annotated[Path, typer.Option(help="CSV with a text column and a 0/1 label column")],
    text_column: Annotated[str, typer.Option(help="column holding the post text")] = "post_message",
    label_column: Annotated[str, typer.Option(help="column holding the 0/1 label")] = "label",
    model_version: Annotated[str | None, typer.Option(help="model version (default: the active one)")] = None,
    strip_metadata: Annotated[bool, typer.Option(
        "--strip-metadata", help="score the same rows as text only (no counts, no time), as a news feed delivers them"
    )] = False,
) -> None:
    """Score a labelled CSV and print a JSON report (ROC-AUC, average precision, P/R/F1 at the thresholds),
    overall and per input case."""
    from classifier import ClassifierError, load_model, read_labelled_csv
    from classifier import evaluate as evaluate_model

    config = load()
    try:
        examples = read_labelled_csv(data, text_column=text_column, label_column=label_column)
        model = load_model(config.settings.models_dir, model_version)
    except (ClassifierError, OSError) as exc:
        raise fail(translated(exc)) from None
    with progress(_("scoring %(n)s posts", n=number(len(examples))), len(examples)) as update:
        report = evaluate_model(model, examples, strip_metadata=strip_metadata,
                                on_scored=lambda done, total: update(_("scoring"), done, total))
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2))


@model_app.command("list")
def model_list() -> None:
    """List model versions, their cross-validated metrics, and which is active."""
    from classifier import list_versions

    for info in list_versions(load().settings.models_dir):
        metrics = ", ".join(f"{k} {number(v, 3)}" for k, v in info.metrics.items() if isinstance(v, int | float))
        typer.echo(f"{'*' if info.active else ' '} {info.version}  {info.created_at}  {metrics}")


@model_app.command("activate")
def model_activate(version: str,
                   reason: Annotated[str, typer.Option(help="why (kept in the audit log)")] = "",
                   as_user: AsOption = None) -> None:
    """Make VERSION the active model (recorded in the audit log; old verdicts keep their version)."""
    from service.model_versions import activate_model

    with refusals():
        done = activate_model(runtime(seed=False), actor_for(as_user), version, reason=reason)
    typer.echo(_("active model: %(version)s (was %(previous)s)", version=done.version, previous=done.previous))

