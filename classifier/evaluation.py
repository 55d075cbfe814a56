"""Evaluate a loaded model on labelled examples."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from classifier.errors import ClassifierDataError
from classifier.metrics import binary_metrics, reliability
from classifier.model import MisinfoModel
from classifier.records import LabelledExample, PostInput

__all__ = ["evaluate"]


def evaluate(model: MisinfoModel, examples: Sequence[LabelledExample], *,
             on_scored: Callable[[int, int], None] | None = None, chunk: int = 2000) -> dict:
    """Scores ``examples`` and returns JSON-able metrics at the model's own threshold.

    Keys: model_version, n, positives, roc_auc, average_precision, threshold, precision, recall, f1,
    confusion {tp, fp, tn, fn}, calibration {expected_calibration_error, bins: [{bin, n, mean_score, observed}]}.
    ``roc_auc``/``average_precision`` are None when undefined (one class only). ``on_scored(done, total)`` hears
    of each ``chunk`` of posts scored (for a progress bar).
    """
    if not examples:
        raise ClassifierDataError("no labelled examples to evaluate on")
    posts = [
        PostInput(
            text=ex.text,
            like_count=ex.like_count,
            comment_count=ex.comment_count,
            share_count=ex.share_count,
            published_at=ex.published_at,
        )
        for ex in examples
    ]
    scores = np.empty(len(posts))
    for start in range(0, len(posts), chunk):
        batch = posts[start:start + chunk]
        scores[start:start + len(batch)] = [v.score for v in model.score(batch, explain=False)]
        if on_scored is not None:
            on_scored(start + len(batch), len(posts))
    y = np.asarray([int(ex.label) for ex in examples])
    return {
        "model_version": model.version,
        **binary_metrics(y, scores, model.threshold),
        "calibration": reliability(y, scores),
    }
