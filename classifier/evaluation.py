"""Evaluate a loaded model on labelled examples."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from classifier.errors import ClassifierDataError
from classifier.metrics import binary_metrics, reliability
from classifier.model import MisinfoModel
from classifier.records import LabelledExample, PostInput

__all__ = ["evaluate"]


def evaluate(model: MisinfoModel, examples: Sequence[LabelledExample]) -> dict:
    """Scores ``examples`` and returns JSON-able metrics at the model's own threshold.

    Keys: model_version, n, positives, roc_auc, average_precision, threshold, precision, recall, f1,
    confusion {tp, fp, tn, fn}, calibration {expected_calibration_error, bins: [{bin, n, mean_score, observed}]}.
    ``roc_auc``/``average_precision`` are None when undefined (one class only).
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
    scores = np.asarray([v.score for v in model.score(posts, explain=False)])
    y = np.asarray([int(ex.label) for ex in examples])
    return {
        "model_version": model.version,
        **binary_metrics(y, scores, model.threshold),
        "calibration": reliability(y, scores),
    }
