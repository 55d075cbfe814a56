"""Training: de-duplicate, cross-validate (grouped), choose the threshold, fit, save and describe a model."""

from __future__ import annotations

import json
import platform
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn

from classifier.cv import CVResult, cross_validate, dedupe_examples
from classifier.errors import ClassifierDataError, ClassifierError
from classifier.features import input_case
from classifier.metrics import TARGET_RECALL, binary_metrics, choose_threshold, reliability
from classifier.model_card import render_model_card
from classifier.model_pipeline import PipelineConfig, build_pipeline
from classifier.records import CASE_TEXT_COUNTS_TIME, INPUT_CASES, LabelledExample
from classifier.registry import CARD_FILE, MODEL_FILE, _check_version_name, save_pipeline, set_active_version

__all__ = ["MIN_PER_CLASS", "Step", "TrainReport", "train_and_save"]

#: hears of a training step: ``(what, done, total, params)``; ``what`` is an English sentence with ``%(name)s``
#: placeholders filled from ``params``, so that a command can show it in its reader's language
Step = Callable[[str, int, int, dict[str, Any]], None]


def N_(message: str) -> str:  # noqa: N802 - marks a step's sentence for the catalog (config.i18n is above us)
    return message

#: Fewer examples than this in either class cannot be cross-validated and calibrated meaningfully.
MIN_PER_CLASS = 10


@dataclass(frozen=True)
class TrainReport:
    """What ``train_and_save`` did."""

    version: str
    model_dir: Path
    threshold: float
    metrics: dict
    data: dict
    activated: bool
    card: dict = field(default_factory=dict)


def _data_summary(raw: Sequence[LabelledExample], kept: Sequence[LabelledExample]) -> dict:
    return {
        "examples_in": len(raw),
        "examples_after_dedup": len(kept),
        "duplicates_removed": len(raw) - len(kept),
        "positives": int(sum(ex.label for ex in kept)),
        "negatives": int(sum(1 - ex.label for ex in kept)),
        "by_origin": dict(Counter(ex.origin for ex in kept)),
        "groups": len({ex.group for ex in kept if ex.group}),
        "with_share_count": sum(ex.share_count is not None for ex in kept),
        "with_published_at": sum(ex.published_at is not None for ex in kept),
        "by_case": dict(Counter(input_case(ex) for ex in kept)),
        "with_ref": sum(ex.ref is not None for ex in kept),
    }


def _case_metrics(result: CVResult) -> dict[str, dict]:
    """Per input case: the out-of-fold figures of the posts that can stand for it, stripped to its inputs,
    and its own operating threshold (the same recall rule)."""
    out = {}
    for case, scores in result.case_oof.items():
        rows = ~np.isnan(scores)
        y = result.y[rows]
        if not 0 < y.sum() < y.size:
            continue
        threshold = choose_threshold(y, scores[rows], TARGET_RECALL)
        aucs, aps = result.case_fold_auc[case], result.case_fold_ap[case]
        out[case] = {
            "threshold": threshold,
            "n": int(rows.sum()),
            "roc_auc_mean": float(np.mean(aucs)), "roc_auc_sd": float(np.std(aucs)),
            "average_precision_mean": float(np.mean(aps)), "average_precision_sd": float(np.std(aps)),
            "fold_roc_auc": aucs, "fold_average_precision": aps,
            "at_threshold": binary_metrics(y, scores[rows], threshold),
            "flagged_share": float(np.mean(scores[rows] >= threshold)),
            "calibration": reliability(y, scores[rows]),
        }
    return out


def _validate(examples: Sequence[LabelledExample]) -> None:
    for i, ex in enumerate(examples):
        if ex.label not in (0, 1):
            raise ClassifierDataError("example %(n)s: label must be 0 or 1, got %(label)r", n=i, label=ex.label)
        if not isinstance(ex.text, str):
            raise ClassifierDataError("example %(n)s: text must be a str", n=i)
    counts = Counter(ex.label for ex in examples)
    if min(counts.get(0, 0), counts.get(1, 0)) < MIN_PER_CLASS:
        raise ClassifierDataError(
            "need at least %(n)s examples of each class after de-duplication, got %(unreliable)s unreliable / "
            "%(reliable)s reliable", n=MIN_PER_CLASS, unreliable=counts.get(1, 0), reliable=counts.get(0, 0))


def train_and_save(
    examples: Sequence[LabelledExample],
    models_dir: Path,
    *,
    seed: int = 13,
    version: str | None = None,
    activate: bool = True,
    notes: str = "",
    config: PipelineConfig | None = None,
    on_step: Step | None = None,
) -> TrainReport:
    """Train the production pipeline and save it as ``models_dir/<version>/``.

    Steps: de-duplicate normalised texts; 5-fold StratifiedGroupKFold CV (groups = account) for out-of-fold
    scores, metrics and the operating thresholds (highest threshold with recall >= 0.80), per input case: every
    held-out post is scored once for each case it has the inputs for, stripped to them; fit on all data;
    write model.skops, card.json and MODEL_CARD.md; point ACTIVE at it if ``activate``. ``on_step(what, done,
    total, params)`` hears of each fold and of the final fit (for a progress bar).
    """
    step = on_step or (lambda _what, _done, _total, _params: None)
    models_dir = Path(models_dir)
    created = datetime.now(UTC)
    version = _check_version_name(version or "kiemtin-" + created.strftime("%Y%m%d-%H%M%S"))
    out_dir = models_dir / version
    if (out_dir / MODEL_FILE).exists():
        raise ClassifierError("model version %(version)r already exists in %(folder)s", version=version,
                              folder=str(models_dir))
    kept = dedupe_examples(examples)
    _validate(kept)
    cfg = config or PipelineConfig()
    n_pos = sum(ex.label for ex in kept)
    n_splits = max(2, min(5, n_pos // 4, (len(kept) - n_pos) // 4))
    cfg_cv = cfg if n_pos >= 50 else PipelineConfig(**{**asdict(cfg), "calibration_folds": 3})

    steps = n_splits + 1
    heads = cfg_cv.stack and cfg_cv.heads and cfg_cv.metadata
    refs = (lambda train: {"clf__refs": [ex.ref for ex in train]}) if heads else None
    result = cross_validate(kept, lambda: build_pipeline(cfg_cv, seed=seed), n_splits=n_splits, seed=seed,
                            on_fold=lambda k, n: step(N_("cross-validation, fold %(k)s of %(n)s"), k, steps,
                                                      {"k": k + 1, "n": n}),
                            by_case=heads, fit_params=refs)
    cases = _case_metrics(result)
    thresholds = {case: m["threshold"] for case, m in cases.items()}
    # the threshold of posts that have every input (older readers know only this one); without case heads, the
    # one threshold of every post
    threshold = thresholds.get(CASE_TEXT_COUNTS_TIME, choose_threshold(result.y, result.oof, TARGET_RECALL))
    metrics = {
        "cv": f"{n_splits}-fold StratifiedGroupKFold by account, duplicates removed, seed {seed}",
        **result.summary(),
        "fold_roc_auc": result.fold_auc,
        "fold_average_precision": result.fold_ap,
        "at_threshold": binary_metrics(result.y, result.oof, np.asarray(
            [thresholds.get(input_case(ex), threshold) for ex in kept]) if thresholds else threshold),
        "calibration": reliability(result.y, result.oof),
        **({"cases": cases} if cases else {}),
    }

    step(N_("fitting on all %(n)s posts"), n_splits, steps, {"n": len(kept)})
    pipeline = build_pipeline(cfg_cv, seed=seed)
    pipeline.fit(kept, np.asarray([ex.label for ex in kept]), **(refs(kept) if refs else {}))
    step(N_("writing the model and its card"), steps, steps, {})

    save_pipeline(pipeline, out_dir / MODEL_FILE)

    data = _data_summary(examples, kept)
    card: dict[str, Any] = {
        "version": version,
        "created_at": created.isoformat(timespec="seconds"),
        "seed": seed,
        "threshold": threshold,
        **({"thresholds": {case: thresholds[case] for case in INPUT_CASES if case in thresholds}}
           if thresholds else {}),
        "threshold_rule": f"highest threshold with out-of-fold recall >= {TARGET_RECALL:.2f}"
        + (", per input case" if thresholds else ""),
        "metrics": metrics,
        "data": data,
        "config": asdict(cfg_cv),
        "notes": notes,
        "software": {"python": platform.python_version(), "scikit-learn": sklearn.__version__},
        "credit": 'ReINTEL data: Le et al., "ReINTEL: A Multimodal Data Challenge for Responsible '
        'Information Identification on Social Network Sites", VLSP 2020.',
    }
    (out_dir / CARD_FILE).write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out_dir / "MODEL_CARD.md").write_text(render_model_card(card), encoding="utf-8")
    if activate:
        set_active_version(models_dir, version)
    return TrainReport(
        version=version,
        model_dir=out_dir,
        threshold=threshold,
        metrics=metrics,
        data=data,
        activated=activate,
        card=card,
    )
