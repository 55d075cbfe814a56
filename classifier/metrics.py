"""Threshold choice and metric helpers (plain numpy + sklearn.metrics)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = ["TARGET_RECALL", "binary_metrics", "choose_threshold", "reliability"]

#: The review queue's operating point: the highest threshold whose recall is at least this.
TARGET_RECALL = 0.80


def choose_threshold(y: np.ndarray, scores: np.ndarray, target_recall: float = TARGET_RECALL) -> float:
    """Highest score threshold t such that recall(score >= t) >= target_recall on (y, scores)."""
    y = np.asarray(y, dtype=int)
    scores = np.asarray(scores, dtype=np.float64)
    positives = np.sort(scores[y == 1])[::-1]
    if positives.size == 0:
        return 0.5
    needed = int(np.ceil(target_recall * positives.size))
    return float(positives[max(needed, 1) - 1])


def binary_metrics(y: np.ndarray, scores: np.ndarray, threshold: float | np.ndarray) -> dict:
    """ROC-AUC, average precision, and precision/recall/F1/confusion at ``threshold`` (JSON-able). ``threshold``
    may be one per row (each post's own case); "threshold" is then None."""
    y = np.asarray(y, dtype=int)
    scores = np.asarray(scores, dtype=np.float64)
    pred = scores >= threshold
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    tn = int(np.sum(~pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    both = 0 < y.sum() < y.size
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n": int(y.size),
        "positives": int(y.sum()),
        "roc_auc": float(roc_auc_score(y, scores)) if both else None,
        "average_precision": float(average_precision_score(y, scores)) if y.sum() else None,
        "threshold": float(threshold) if np.ndim(threshold) == 0 else None,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "confusion": {"tp": tp, "fp": fp, "tn": tn, "fn": fn},
    }


def reliability(y: np.ndarray, scores: np.ndarray, bins: int = 10) -> dict:
    """Calibration check: per score bin (equal width over 0..1) the mean score and the observed share of
    unreliable posts, and the expected calibration error (bin-size-weighted mean |score - observed|)."""
    y = np.asarray(y, dtype=int)
    scores = np.clip(np.asarray(scores, dtype=np.float64), 0.0, 1.0)
    which = np.minimum((scores * bins).astype(int), bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        mask = which == b
        n = int(mask.sum())
        if not n:
            continue
        mean_score, observed = float(scores[mask].mean()), float(y[mask].mean())
        ece += n * abs(mean_score - observed)
        rows.append({"bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}", "n": n,
                     "mean_score": round(mean_score, 4), "observed": round(observed, 4)})
    return {"expected_calibration_error": ece / max(int(y.size), 1), "bins": rows}
