"""Which text model carries over to news articles: the words LR alone, trained on all labelled ReINTEL posts,
scored on a labelled news CSV (models/README.md, round 4; a quick screen before the stacked rows of
``research.case_experiments``).

    python -m research.news_lr --news FILE.csv [--data public_train.csv]

Prints ROC-AUC of the LR decision value on the news file's dev and test halves (``news_halves``) for several
regularisation strengths and TF-IDF variants. Variants are chosen on the dev half only.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from classifier.cv import dedupe_examples
from classifier.data import read_labelled_csv
from classifier.tokens import token_string
from research.case_experiments import _news, news_halves

__all__ = ["main"]

VARIANTS: dict[str, tuple[float, dict[str, Any]]] = {
    "words 1-3, sublinear tf, C=4 (production)": (4.0, {"ngram_range": (1, 3), "sublinear_tf": True}),
    "words 1-3, sublinear tf, C=1": (1.0, {"ngram_range": (1, 3), "sublinear_tf": True}),
    "words 1-3, sublinear tf, C=0.25": (0.25, {"ngram_range": (1, 3), "sublinear_tf": True}),
    "words 1-3, sublinear tf, C=0.1": (0.1, {"ngram_range": (1, 3), "sublinear_tf": True}),
    "words 1-3, sublinear tf, C=0.05": (0.05, {"ngram_range": (1, 3), "sublinear_tf": True}),
    "words 1-3, sublinear tf, C=0.02": (0.02, {"ngram_range": (1, 3), "sublinear_tf": True}),
    "words 1-1, sublinear tf, C=4": (4.0, {"ngram_range": (1, 1), "sublinear_tf": True}),
    "words 1-2, sublinear tf, C=4": (4.0, {"ngram_range": (1, 2), "sublinear_tf": True}),
    "words 1-4, sublinear tf, C=0.1": (0.1, {"ngram_range": (1, 4), "sublinear_tf": True}),
    "words 1-3, binary tf, C=4": (4.0, {"ngram_range": (1, 3), "binary": True}),
    "words 1-3, binary tf, C=0.25": (0.25, {"ngram_range": (1, 3), "binary": True}),
    "words 1-3, binary tf, C=0.1": (0.1, {"ngram_range": (1, 3), "binary": True}),
    "words 1-3, raw tf, C=4": (4.0, {"ngram_range": (1, 3)}),
    "words 1-3, sublinear tf, no idf, C=4": (4.0, {"ngram_range": (1, 3), "sublinear_tf": True, "use_idf": False}),
    "words 1-3, sublinear tf, max_df 0.5, C=4": (4.0, {"ngram_range": (1, 3), "sublinear_tf": True, "max_df": 0.5}),
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--news", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("data/reintel/public_train.csv"))
    args = parser.parse_args(argv)
    examples = dedupe_examples(read_labelled_csv(args.data))
    y = np.asarray([e.label for e in examples])
    docs = [token_string(e.text) for e in examples]
    news = _news(args.news)
    news_y = np.asarray([label for _, label in news])
    news_docs = [token_string(t) for t, _ in news]
    dev, test = news_halves(news_y)
    print("| text model | news ROC-AUC dev | test |\n|---|---|---|")
    for name, (C, params) in VARIANTS.items():
        vec = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, min_df=2, max_features=200_000,  # noqa: S106
                              dtype=np.float32, **params)
        model = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", max_iter=1000)
        model.fit(vec.fit_transform(docs), y)
        d = model.decision_function(vec.transform(news_docs))
        print(f"| {name} | {roc_auc_score(news_y[dev], d[dev]):.3f} | {roc_auc_score(news_y[test], d[test]):.3f} |",
              flush=True)


if __name__ == "__main__":
    main()
