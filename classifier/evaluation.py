"""Evaluate a loaded model on labelled examples, overall and per input case."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from classifier.errors import ClassifierDataError
from classifier.features import strip_to_case
from classifier.metrics import binary_metrics, reliability
from classifier.model import MisinfoModel
from classifier.records import CASE_TEXT, CASE_TEXT_COUNTS_TIME, INPUT_CASES, LabelledExample, PostInput

__all__ = ["evaluate"]


def evaluate(model: MisinfoModel, examples: Sequence[LabelledExample], *, strip_metadata: bool = False,
             on_scored: Callable[[int, int], None] | None = None, chunk: int = 2000) -> dict:
    """Scores ``examples`` and returns JSON-able metrics at the model's own thresholds.

    Each post is scored by the head of its input case (a file without count and time columns: all "text") and
    judged against that case's threshold; ``strip_metadata`` drops every count and time first, so the same rows
    are scored as text only. Keys: model_version, stripped_metadata, n, positives, roc_auc, average_precision,
    threshold (None when the posts had different cases), precision, recall, f1, confusion {tp, fp, tn, fn},
    calibration {expected_calibration_error, bins: [{bin, n, mean_score, observed}]}, and cases: the same
    figures per input case present, each at its case's threshold, with its share of posts flagged.
    ``roc_auc``/``average_precision`` are None when undefined (one class only). ``on_scored(done, total)`` hears
    of each ``chunk`` of posts scored (for a progress bar).
    """
    if not examples:
        raise ClassifierDataError("no labelled examples to evaluate on")
    posts = [strip_to_case(ex, CASE_TEXT if strip_metadata else CASE_TEXT_COUNTS_TIME) for ex in examples]
    scores = np.empty(len(posts))
    cases: list[str] = []
    limits = np.empty(len(posts))
    for start in range(0, len(posts), chunk):
        batch: list[PostInput] = posts[start:start + chunk]
        verdicts = model.score(batch, explain=False)
        scores[start:start + len(batch)] = [v.score for v in verdicts]
        limits[start:start + len(batch)] = [v.threshold for v in verdicts]
        cases.extend(v.case for v in verdicts)
        if on_scored is not None:
            on_scored(start + len(batch), len(posts))
    y = np.asarray([int(ex.label) for ex in examples])
    case_array = np.asarray(cases)
    by_case = {}
    for case in INPUT_CASES:
        rows = case_array == case
        if rows.any():
            by_case[case] = {**binary_metrics(y[rows], scores[rows], model.threshold_for(case)),
                             "flagged_share": float(np.mean(scores[rows] >= limits[rows])),
                             "calibration": reliability(y[rows], scores[rows])}
    single = np.unique(limits).size == 1
    return {
        "model_version": model.version,
        "stripped_metadata": strip_metadata,
        **binary_metrics(y, scores, float(limits[0]) if single else limits),
        "calibration": reliability(y, scores),
        "cases": by_case,
    }
