"""Second round of experiments: what else can feed the gradient-boosting stage (models/README.md, round 2).

    python -m research.stack_experiments [--data public_train.csv] [--unlabelled DIR] [--only NAME ...]

Same protocol as ``research.experiments`` (duplicates removed, 5-fold StratifiedGroupKFold by account,
seed 13). Each *base* turns a training fold into out-of-fold columns (inner 5-fold) and the test fold into
the same columns; a HistGradientBoostingClassifier then learns from those columns plus the metadata. Bases are
computed once per outer fold and shared between experiments. Prints one table row per experiment and, per
experiment, the per-fold difference against the first row (paired, same folds).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.feature_selection import chi2
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from classifier.cv import dedupe_examples, groups_of
from classifier.data import read_labelled_csv
from classifier.features import MetadataFeatures, TokenString

__all__ = ["main"]

#: like/comment/share counts and the four hour/weekday columns come first in METADATA_FEATURE_NAMES
_COUNT_AND_TIME_COLUMNS = 7
Columns = tuple[np.ndarray, np.ndarray]  # (out-of-fold columns for the training rows, columns for the test rows)
Base = Callable[[np.ndarray, np.ndarray], Columns]


class Study:
    """Data, folds and cached base columns for one run."""

    def __init__(self, data: Path, unlabelled: Sequence[str], seed: int = 13):
        examples = dedupe_examples(read_labelled_csv(data))
        self.y = np.asarray([e.label for e in examples])
        self.docs = TokenString().transform(examples)
        self.meta = MetadataFeatures().fit(examples).transform(examples)
        self.epoch = np.asarray([e.published_at.timestamp() if e.published_at else np.nan for e in examples])
        self.unlabelled = list(unlabelled)
        self.seed = seed
        splitter = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
        self.grouped = list(splitter.split(np.zeros(len(self.y)), self.y, groups_of(examples)))
        plain = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
        self.ungrouped = list(plain.split(np.zeros(len(self.y)), self.y))
        self._cache: dict[tuple[str, str, int], Columns] = {}

    # -- building blocks ---------------------------------------------------------------------------------
    def words(self, ngrams: tuple[int, int] = (1, 3), binary: bool = False) -> TfidfVectorizer:
        return TfidfVectorizer(token_pattern=r"\S+", lowercase=False, ngram_range=ngrams, min_df=2,  # noqa: S106
                               max_features=200_000, sublinear_tf=not binary, binary=binary, dtype=np.float32)

    @staticmethod
    def chars() -> TfidfVectorizer:
        return TfidfVectorizer(analyzer="char_wb", lowercase=False, ngram_range=(2, 5), min_df=3,
                               max_features=300_000, sublinear_tf=True, dtype=np.float32)

    def lr(self, C: float = 4.0) -> LogisticRegression:
        return LogisticRegression(C=C, class_weight="balanced", solver="liblinear", max_iter=1000,
                                  random_state=self.seed)

    def inner(self, n: int, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        return list(StratifiedKFold(5, shuffle=True, random_state=self.seed).split(np.zeros(n), y))

    def linear(self, make_vec: Callable[[], Any], make_model: Callable[[], Any]) -> Base:
        """Decision value of a linear text model (inner out-of-fold on the training rows)."""

        def run(tr: np.ndarray, te: np.ndarray) -> Columns:
            vec = make_vec()
            Xtr = vec.fit_transform([self.docs[i] for i in tr])
            Xte = vec.transform([self.docs[i] for i in te])
            oof = np.zeros(len(tr))
            for a, b in self.inner(len(tr), self.y[tr]):
                oof[b] = make_model().fit(Xtr[a], self.y[tr][a]).decision_function(Xtr[b])
            return oof[:, None], make_model().fit(Xtr, self.y[tr]).decision_function(Xte)[:, None]

        return run

    def knn(self, k: int = 5) -> Base:
        """Cosine similarity to the labelled posts: best and mean of the top k, among unreliable and reliable."""

        def feats(sim: np.ndarray, labels: np.ndarray) -> np.ndarray:
            out = []
            for label in (1, 0):
                top = -np.sort(-sim[:, labels == label], axis=1)[:, :k]
                out += [top[:, 0], top.mean(axis=1)]
            return np.column_stack(out)

        def run(tr: np.ndarray, te: np.ndarray) -> Columns:
            vec = self.words()
            Xtr = vec.fit_transform([self.docs[i] for i in tr])
            Xte = vec.transform([self.docs[i] for i in te])
            sim = (Xtr @ Xtr.T).toarray()
            oof = np.zeros((len(tr), 4))
            for a, b in self.inner(len(tr), self.y[tr]):
                oof[b] = feats(sim[np.ix_(b, a)], self.y[tr][a])
            return oof, feats((Xte @ Xtr.T).toarray(), self.y[tr])

        return run

    def lsa(self, n: int = 100) -> Base:
        def run(tr: np.ndarray, te: np.ndarray) -> Columns:
            vec = self.words((1, 2))
            Xtr = vec.fit_transform([self.docs[i] for i in tr])
            svd = TruncatedSVD(n, random_state=self.seed).fit(Xtr)
            return svd.transform(Xtr), svd.transform(vec.transform([self.docs[i] for i in te]))

        return run

    def chi2_words(self, k: int = 300) -> Base:
        """The k words/n-grams most associated with the label (chi2 on the training rows), as 0/1 columns."""

        def run(tr: np.ndarray, te: np.ndarray) -> Columns:
            vec = self.words(binary=True)
            Xtr = vec.fit_transform([self.docs[i] for i in tr])
            Xte = vec.transform([self.docs[i] for i in te])
            score = np.nan_to_num(chi2(Xtr, self.y[tr])[0])
            top = np.argsort(-score)[:k]
            return Xtr[:, top].toarray(), Xte[:, top].toarray()

        return run

    def transductive_idf(self) -> Base:
        """Words LR whose IDF is fitted on the training rows plus the unlabelled posts."""

        def run(tr: np.ndarray, te: np.ndarray) -> Columns:
            vec = self.words().fit([self.docs[i] for i in tr] + self.unlabelled)
            Xtr = vec.transform([self.docs[i] for i in tr])
            Xte = vec.transform([self.docs[i] for i in te])
            oof = np.zeros(len(tr))
            for a, b in self.inner(len(tr), self.y[tr]):
                oof[b] = self.lr().fit(Xtr[a], self.y[tr][a]).decision_function(Xtr[b])
            return oof[:, None], self.lr().fit(Xtr, self.y[tr]).decision_function(Xte)[:, None]

        return run

    def self_training(self, high: float = 0.9, low: float = 0.05) -> Base:
        """Words LR retrained with the unlabelled posts it is confident about (pseudo-labels)."""

        def fit_score(train_docs: list[str], y: np.ndarray, test_docs: list[str]) -> np.ndarray:
            vec = self.words()
            X = vec.fit_transform(train_docs + self.unlabelled)
            Xl, Xu = X[: len(train_docs)], X[len(train_docs) :]
            p = 1.0 / (1.0 + np.exp(-self.lr().fit(Xl, y).decision_function(Xu)))
            keep = (p > high) | (p < low)
            Xa = sparse.vstack([Xl, Xu[keep]])
            ya = np.concatenate([y, (p[keep] > 0.5).astype(int)])
            return self.lr().fit(Xa, ya).decision_function(vec.transform(test_docs))

        def run(tr: np.ndarray, te: np.ndarray) -> Columns:
            docs = [self.docs[i] for i in tr]
            oof = np.zeros(len(tr))
            for a, b in self.inner(len(tr), self.y[tr]):
                oof[b] = fit_score([docs[i] for i in a], self.y[tr][a], [docs[i] for i in b])
            return oof[:, None], fit_score(docs, self.y[tr], [self.docs[i] for i in te])[:, None]

        return run

    # -- one experiment ----------------------------------------------------------------------------------
    def stack(self, bases: Sequence[tuple[str, Base]], *, epoch: bool = False, ungrouped: bool = False,
              boost: dict[str, Any] | None = None, no_counts_at_test: bool = False,
              counts_dropout: bool = False) -> tuple[list[float], list[float]]:
        """Per-fold ROC-AUC and AP of gradient boosting over the bases' columns plus the metadata.

        ``no_counts_at_test`` blanks the test posts' engagement counts and time, as for a feed that has none;
        ``counts_dropout`` trains the boosting stage on every row twice, as is and with those values imputed.
        """
        folds = self.ungrouped if ungrouped else self.grouped
        aucs, aps = [], []
        for f, (tr, te) in enumerate(folds):
            left, right = [], []
            for name, base in bases:
                key = (name, "u" if ungrouped else "g", f)
                if key not in self._cache:
                    self._cache[key] = base(tr, te)
                left.append(self._cache[key][0])
                right.append(self._cache[key][1])
            meta = np.column_stack([self.meta, self.epoch]) if epoch else self.meta
            imputer = SimpleImputer(strategy="median", keep_empty_features=True).fit(meta[tr])
            left.append(imputer.transform(meta[tr]))
            test_meta = meta[te].copy()
            if no_counts_at_test:
                test_meta[:, :_COUNT_AND_TIME_COLUMNS] = np.nan
            right.append(imputer.transform(test_meta))
            params = {"max_iter": 200, "learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 30,
                      "l2_regularization": 1.0, "random_state": self.seed, **(boost or {})}
            train_x, train_y = np.column_stack(left), self.y[tr]
            if counts_dropout:
                blank = left[-1].copy()
                blank[:, :_COUNT_AND_TIME_COLUMNS] = imputer.statistics_[:_COUNT_AND_TIME_COLUMNS]
                train_x = np.vstack([train_x, np.column_stack([*left[:-1], blank])])
                train_y = np.concatenate([train_y, train_y])
            model = HistGradientBoostingClassifier(**params).fit(train_x, train_y)
            prob = model.predict_proba(np.column_stack(right))[:, 1]
            aucs.append(float(roc_auc_score(self.y[te], prob)))
            aps.append(float(average_precision_score(self.y[te], prob)))
        return aucs, aps


def experiments(s: Study) -> dict[str, Callable[[], tuple[list[float], list[float]]]]:
    words = ("words", s.linear(s.words, s.lr))
    knn = ("knn", s.knn())
    adopted = {"max_iter": 300, "max_leaf_nodes": 7}
    return {
        "words 1-3 LR -> + metadata GB (reference)": lambda: s.stack([words]),
        "+ chars 2-5 LR": lambda: s.stack([words, ("chars", s.linear(s.chars, s.lr))]),
        "+ NB-weighted binary words LR (NBSVM-style)": lambda: s.stack([words, ("nb", s.linear(
            lambda: s.words(binary=True), lambda: _NBLogistic(s.lr())))]),
        "+ kNN similarity to labelled posts": lambda: s.stack([words, knn]),
        "+ kNN + LSA (100 dims)": lambda: s.stack([words, knn, ("lsa", s.lsa())]),
        "+ kNN + 300 chi2-selected n-grams": lambda: s.stack([words, knn, ("chi2", s.chi2_words())]),
        "+ kNN, GB 400 iterations, learning rate 0.03": lambda: s.stack(
            [words, knn], boost={"max_iter": 400, "learning_rate": 0.03}),
        "+ kNN, GB 300 iterations, 7 leaves": lambda: s.stack(
            [words, knn], boost={"max_iter": 300, "max_leaf_nodes": 7}),
        "+ kNN, 300 x 7 trees, test posts without counts or time": lambda: s.stack(
            [words, knn], boost=adopted, no_counts_at_test=True),
        "+ kNN, 300 x 7 trees, trained with counts dropout": lambda: s.stack(
            [words, knn], boost=adopted, counts_dropout=True),
        "+ kNN, 300 x 7 trees, trained with counts dropout, test posts without counts": lambda: s.stack(
            [words, knn], boost=adopted, counts_dropout=True, no_counts_at_test=True),
        "IDF fitted on train + unlabelled posts": lambda: s.stack([("tidf", s.transductive_idf())]),
        "self-training on unlabelled posts": lambda: s.stack([("self", s.self_training())]),
        "reference, test posts without counts or time (like an RSS feed)": lambda: s.stack(
            [words], no_counts_at_test=True),
        "reference, ungrouped folds (accounts on both sides)": lambda: s.stack([words], ungrouped=True),
        "reference + absolute posting date (NOT deployable)": lambda: s.stack([words], epoch=True),
    }


class _NBLogistic:
    """Logistic regression on binary features scaled by their naive-Bayes log-count ratio."""

    def __init__(self, model: LogisticRegression):
        self.model = model

    def fit(self, X: Any, y: np.ndarray) -> _NBLogistic:
        X = (X > 0).astype(np.float32)
        p = 1.0 + X[y == 1].sum(axis=0)
        q = 1.0 + X[y == 0].sum(axis=0)
        self.ratio = np.asarray(np.log((p / p.sum()) / (q / q.sum()))).ravel()
        self.model.fit(sparse.csr_matrix(X.multiply(self.ratio)), y)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        X = (X > 0).astype(np.float32)
        return self.model.decision_function(sparse.csr_matrix(X.multiply(self.ratio)))


def _unlabelled(folder: Path) -> list[str]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    texts: list[str] = []
    for name in ("public_test.csv", "private_test.csv"):
        path = folder / name
        if path.is_file():
            with path.open(encoding="utf-8", newline="") as handle:
                texts += [row.get("post_message") or "" for row in csv.DictReader(handle)]
    return TokenString().transform(texts)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("data/reintel/public_train.csv"))
    parser.add_argument("--unlabelled", type=Path, default=Path("data/reintel"))
    parser.add_argument("--only", nargs="*", default=None, help="experiment names (the reference always runs)")
    args = parser.parse_args(argv)
    study = Study(args.data, _unlabelled(args.unlabelled))
    table = experiments(study)
    reference_name = next(iter(table))
    print("| experiment | ROC-AUC | average precision | Δ AUC (folds better) | Δ AP (folds better) | time |")
    print("|---|---|---|---|---|---|")
    ref: tuple[list[float], list[float]] | None = None
    for name, run in table.items():
        if args.only and name not in args.only and name != reference_name:
            continue
        started = time.perf_counter()
        aucs, aps = run()
        ref = ref or (aucs, aps)
        d_auc, d_ap = np.subtract(aucs, ref[0]), np.subtract(aps, ref[1])
        print(f"| {name} | {np.mean(aucs):.3f} ± {np.std(aucs):.3f} | {np.mean(aps):.3f} ± {np.std(aps):.3f} "
              f"| {d_auc.mean():+.3f} ({int((d_auc > 0).sum())}/5) | {d_ap.mean():+.3f} ({int((d_ap > 0).sum())}/5) "
              f"| {time.perf_counter() - started:.0f} s |", flush=True)


if __name__ == "__main__":
    main()
