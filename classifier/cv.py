"""Grouped, de-duplicated cross-validation shared by training (threshold choice) and research/."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline

from classifier.features import input_case, strip_to_case
from classifier.records import INPUT_CASES, LabelledExample
from vntext import content_hash

__all__ = ["CVResult", "cross_validate", "dedupe_examples", "groups_of"]


def dedupe_examples(examples: Sequence[LabelledExample]) -> list[LabelledExample]:
    """Keep one example per text, as ``vntext.content_hash`` (the crawler's dedupe key) tells texts apart; its
    label is the majority (ties -> unreliable)."""
    by_text: dict[str, list[LabelledExample]] = {}
    for ex in examples:
        by_text.setdefault(content_hash(ex.text), []).append(ex)
    out = []
    for copies in by_text.values():
        positives = sum(ex.label for ex in copies)
        first = copies[0]
        label = 1 if positives * 2 >= len(copies) else 0
        out.append(first if first.label == label else next(ex for ex in copies if ex.label == label))
    return out


def groups_of(examples: Sequence[LabelledExample]) -> np.ndarray:
    """CV groups: the account hash when known, else a group of one."""
    return np.asarray([ex.group if ex.group else f"__row{i}" for i, ex in enumerate(examples)], dtype=object)


@dataclass
class CVResult:
    """Out-of-fold predictions and per-fold figures."""

    oof: np.ndarray
    y: np.ndarray
    fold_auc: list[float]
    fold_ap: list[float]
    #: with ``by_case``: each row scored as a source of that case would deliver it (NaN: the row lacks inputs
    #: the case needs), and per-fold ROC-AUC / AP on those rows
    case_oof: dict[str, np.ndarray] = field(default_factory=dict)
    case_fold_auc: dict[str, list[float]] = field(default_factory=dict)
    case_fold_ap: dict[str, list[float]] = field(default_factory=dict)

    def summary(self) -> dict[str, float]:
        return {
            "roc_auc_mean": float(np.mean(self.fold_auc)),
            "roc_auc_sd": float(np.std(self.fold_auc)),
            "average_precision_mean": float(np.mean(self.fold_ap)),
            "average_precision_sd": float(np.std(self.fold_ap)),
            "roc_auc_pooled": float(roc_auc_score(self.y, self.oof)),
            "average_precision_pooled": float(average_precision_score(self.y, self.oof)),
            "brier_pooled": float(brier_score_loss(self.y, self.oof)),
        }


def cross_validate(
    examples: Sequence[LabelledExample],
    make_pipeline: Callable[[], Pipeline],
    *,
    n_splits: int = 5,
    seed: int = 13,
    on_fold: Callable[[int, int], None] | None = None,
    by_case: bool = False,
    fit_params: Callable[[Sequence[LabelledExample]], dict] | None = None,
) -> CVResult:
    """StratifiedGroupKFold over already de-duplicated examples; returns out-of-fold probabilities.
    ``on_fold(k, n_splits)`` is called before fold ``k`` (0-based) is fitted. With ``by_case``, every test post
    is also scored once per input case it has the inputs for, stripped to what that case delivers (a post
    with counts and time is scored as text only, as text and time, and as it is). ``fit_params(train)``: extra
    keyword arguments for the fold's ``fit``."""
    y = np.asarray([ex.label for ex in examples], dtype=int)
    groups = groups_of(examples)
    oof = np.zeros(len(examples), dtype=np.float64)
    aucs, aps = [], []
    codes = np.asarray([INPUT_CASES.index(input_case(ex)) for ex in examples])
    case_oof = {case: np.full(len(examples), np.nan) for case in INPUT_CASES} if by_case else {}
    case_auc: dict[str, list[float]] = {case: [] for case in case_oof}
    case_ap: dict[str, list[float]] = {case: [] for case in case_oof}
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    template = make_pipeline()
    for fold, (train_idx, test_idx) in enumerate(splitter.split(np.zeros(len(y)), y, groups)):
        if on_fold is not None:
            on_fold(fold, n_splits)
        model = clone(template)
        train = [examples[i] for i in train_idx]
        model.fit(train, y[train_idx], **(fit_params(train) if fit_params else {}))
        prob = model.predict_proba([examples[i] for i in test_idx])[:, 1]
        oof[test_idx] = prob
        aucs.append(float(roc_auc_score(y[test_idx], prob)))
        aps.append(float(average_precision_score(y[test_idx], prob)))
        for code, case in enumerate(case_oof):
            rows = test_idx[codes[test_idx] >= code]
            if rows.size == 0:
                continue
            case_oof[case][rows] = model.predict_proba([strip_to_case(examples[i], case) for i in rows])[:, 1]
            if 0 < y[rows].sum() < rows.size:
                case_auc[case].append(float(roc_auc_score(y[rows], case_oof[case][rows])))
                case_ap[case].append(float(average_precision_score(y[rows], case_oof[case][rows])))
    return CVResult(oof=oof, y=y, fold_auc=aucs, fold_ap=aps, case_oof=case_oof, case_fold_auc=case_auc,
                    case_fold_ap=case_ap)
