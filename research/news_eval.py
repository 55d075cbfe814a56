"""A saved model version on a labelled news CSV (e.g. VFND), as text only, with the dev / test halves that
``research.case_experiments`` uses (models/README.md, round 4).

    python -m research.news_eval --news FILE.csv [--models-dir models] [--version VERSION ...]

Prints, per version: ROC-AUC on the dev half (used to choose among variants), the test half and the whole file,
the share of the articles each takes the article route, and the share flagged at the ``text`` threshold; then one
JSON line with those figures.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from classifier import PostInput, load_model
from research.case_experiments import _news, news_halves

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--news", type=Path, required=True, help="labelled news CSV (text, label)")
    parser.add_argument("--models-dir", type=Path, default=Path("models"))
    parser.add_argument("--version", nargs="*", default=[None], help="model versions (default: the active one)")
    args = parser.parse_args(argv)
    news = _news(args.news)
    y = np.asarray([label for _, label in news])
    dev, test = news_halves(y)
    out = {}
    for version in args.version:
        with load_model(args.models_dir, version) as model:
            verdicts = model.score([PostInput(text=t) for t, _ in news], explain=False)
        p = np.asarray([v.score for v in verdicts])
        figures = {"dev_roc_auc": float(roc_auc_score(y[dev], p[dev])),
                   "test_roc_auc": float(roc_auc_score(y[test], p[test])),
                   "roc_auc": float(roc_auc_score(y, p)),
                   "article_route_share": float(np.mean([v.route == "article" for v in verdicts])),
                   "flagged_share": float(np.mean([v.label for v in verdicts]))}
        out[model.version] = figures
        print(f"{model.version}: ROC-AUC dev {figures['dev_roc_auc']:.3f} / test {figures['test_roc_auc']:.3f} / "
              f"all {figures['roc_auc']:.3f}; article route {figures['article_route_share']:.1%}; "
              f"flagged {figures['flagged_share']:.1%}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
