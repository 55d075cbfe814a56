"""Reproduce the cross-validation table in models/README.md.

    python -m research.experiments [--data public_train.csv] [--only NAME ...] [--json out.json]

Every experiment: duplicates removed (normalised text), 5-fold StratifiedGroupKFold by account, seed 13;
reports ROC-AUC and average precision as mean ± sd over folds.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline

from classifier.cv import cross_validate, dedupe_examples
from classifier.data import read_labelled_csv
from classifier.features import record_text
from classifier.model_pipeline import PipelineConfig, build_pipeline

__all__ = ["EXPERIMENTS", "SegmentedTokenString", "main", "run"]

BASE = PipelineConfig(calibration=None, stack=False)


class SegmentedTokenString(TransformerMixin, BaseEstimator):
    """Experiment only: underthesea word segmentation (multi-syllable words joined by '_')."""

    def fit(self, X: Sequence[Any], y: Any = None) -> SegmentedTokenString:
        return self

    def transform(self, X: Sequence[Any]) -> list[str]:
        return [_segment(record_text(r)) for r in X]


_SEGMENT_CACHE: dict[str, str] = {}


def _segment(text: str) -> str:
    if text not in _SEGMENT_CACHE:
        from underthesea import word_tokenize

        from classifier.tokens import token_string

        words = word_tokenize(text[:20000]) if text.strip() else []
        _SEGMENT_CACHE[text] = " ".join(token_string(w).replace(" ", "_") for w in words if token_string(w))
    return _SEGMENT_CACHE[text]


def _segmented(cfg: PipelineConfig) -> Callable[[], Pipeline]:
    def make() -> Pipeline:
        pipe = build_pipeline(cfg)
        pipe.named_steps["features"].transformer_list[0][1].steps[0] = ("tokens", SegmentedTokenString())
        return pipe

    return make


def _cfg(**kw: Any) -> Callable[[], Pipeline]:
    cfg = replace(BASE, **kw)
    return lambda: build_pipeline(cfg)


EXPERIMENTS: dict[str, Callable[[], Pipeline]] = {  # BASE: logistic regression, no calibration
    "words 1-1, text only": _cfg(word_ngrams=(1, 1), char_ngrams=None, metadata=False),
    "words 1-2, text only": _cfg(word_ngrams=(1, 2), char_ngrams=None, metadata=False),
    "words 1-3, text only": _cfg(char_ngrams=None, metadata=False),
    "underthesea words 1-2, text only": _segmented(
        replace(BASE, word_ngrams=(1, 2), char_ngrams=None, metadata=False)
    ),
    "chars 2-5, text only": lambda: _chars_only(),
    "words 1-3 + chars 2-5, text only": _cfg(char_ngrams=(2, 5), metadata=False),
    "words 1-3 + metadata": _cfg(char_ngrams=None),
    "words 1-3 + chars 2-5 + metadata": _cfg(char_ngrams=(2, 5)),
    "words 1-3 + metadata, C=1": _cfg(char_ngrams=None, C=1.0),
    "words 1-3 + metadata, C=16": _cfg(char_ngrams=None, C=16.0),
    "words 1-3 + metadata, sigmoid-calibrated": _cfg(char_ngrams=None, calibration="sigmoid"),
    "words 1-3 LR -> +metadata gradient boosting (stack, 2026-11-22 production)": _cfg(
        char_ngrams=None, stack=True, neighbours=0, boost_iterations=200, boost_leaves=15
    ),
    "words 1-3 LR (C=16) -> +metadata gradient boosting (stack)": _cfg(
        char_ngrams=None, stack=True, C=16.0, neighbours=0, boost_iterations=200, boost_leaves=15
    ),
    "words 1-3 + chars 2-5 LR -> +metadata gradient boosting (stack)": _cfg(
        char_ngrams=(2, 5), stack=True, neighbours=0, boost_iterations=200, boost_leaves=15
    ),
    "words 1-3 LR + similarity to labelled posts -> +metadata gradient boosting (production)": _cfg(
        char_ngrams=None, stack=True
    ),
}


def _chars_only() -> Pipeline:
    pipe = build_pipeline(replace(BASE, char_ngrams=(2, 5), metadata=False))
    union = pipe.named_steps["features"]
    union.transformer_list = [p for p in union.transformer_list if p[0] == "chars"]
    return pipe


def run(data: Path, names: Sequence[str] | None = None, seed: int = 13) -> list[dict]:
    """Run the named experiments (all by default) and return one result dict per experiment."""
    examples = dedupe_examples(read_labelled_csv(data))
    results = []
    for name, make in EXPERIMENTS.items():
        if names and name not in names:
            continue
        started = time.perf_counter()
        res = cross_validate(examples, make, seed=seed)
        summary = {"experiment": name, **res.summary(), "seconds": round(time.perf_counter() - started, 1)}
        results.append(summary)
        print(
            f"| {name} | {summary['roc_auc_mean']:.3f} ± {summary['roc_auc_sd']:.3f} "
            f"| {summary['average_precision_mean']:.3f} ± {summary['average_precision_sd']:.3f} "
            f"| {summary['seconds']:.0f} s |",
            flush=True,
        )
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("data/reintel/public_train.csv"))
    parser.add_argument("--only", nargs="*", default=None, help="experiment names to run")
    parser.add_argument("--json", type=Path, default=None, help="also write results as JSON here")
    args = parser.parse_args(argv)
    print(f"n = {len(dedupe_examples(read_labelled_csv(args.data)))} after de-duplication")
    print("| experiment | ROC-AUC | average precision | time |\n|---|---|---|---|")
    results = run(args.data, args.only)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
