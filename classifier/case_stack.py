"""Stacking with one head per input case: a linear text model's out-of-fold score and the post's similarity to
labelled posts feed a gradient-boosted head for each combination of inputs a source can deliver."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from classifier.boost import CompactBoost
from classifier.features import CASE_COLUMNS, case_codes
from classifier.records import INPUT_CASES
from classifier.stacking import TextStackBase, _reference, _similarity_columns

__all__ = ["CaseStack", "N_SIMILARITY"]

#: Similarity columns: best and mean of the k closest unreliable posts, then of the k closest reliable ones.
N_SIMILARITY = 4


class CaseStack(TextStackBase):
    """Logistic regression on the text columns; its out-of-fold decision value, four similarity columns and the
    metadata columns a case has feed one HistGradientBoostingClassifier per input case.

    ``X`` is the FeatureUnion output: TF-IDF columns, then the last ``n_meta`` columns, MetadataFeatures output
    with NaN where a count or the time is unknown (not imputed). Each row's case follows from which of them are
    known (``classifier.features.case_codes``). The "text" head learns from every row with its counts and time
    left out, the "text_time" head from every row that has a time (counts left out), the "text_counts_time"
    head from the rows that have all three counts and the time: each head is calibrated for posts that arrive
    with exactly those inputs, and a post is scored by the head of its case. No value is ever imputed.

    ``linear_`` (fitted on all rows) explains the text; ``references_[case]`` holds the median of each head
    input over its training rows (an explanation replaces a group of inputs by these to see what it did);
    ``unreliable_refs_`` names, per stored unreliable post, where it came from ("" when unknown).
    """

    # -- pieces shared with the fast path -----------------------------------------------------------------
    def split(self, X: Any) -> tuple[sparse.csr_matrix, np.ndarray]:
        """The text columns (sparse) and the metadata columns (dense, NaN where unknown) of ``X``."""
        X = sparse.csr_matrix(X)
        width = X.shape[1] - self.n_meta
        return X[:, :width], X[:, width:].toarray()

    @staticmethod
    def head_input(case: str, decision: np.ndarray, near: np.ndarray, meta: np.ndarray) -> np.ndarray:
        """The columns the head of ``case`` reads: text score, similarity, then that case's metadata columns."""
        return np.column_stack([np.asarray(decision, dtype=np.float64)[:, None], near,
                                meta[:, list(CASE_COLUMNS[case])]])

    def cases(self, meta: np.ndarray) -> np.ndarray:
        """The index into INPUT_CASES of each row."""
        return case_codes(meta)

    # -- sklearn API --------------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, refs: Sequence[str | None] | None = None) -> CaseStack:
        if self.neighbours < 1:
            raise ValueError("CaseStack needs neighbours >= 1 (its heads read the similarity columns)")
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        text, meta = self.split(X)
        text = sparse.csr_matrix(text, dtype=np.float32)
        base = self.linear if self.linear is not None else LogisticRegression(solver="liblinear")
        folds = StratifiedKFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
        oof = cross_val_predict(clone(base), text, y, cv=folds, method="decision_function")
        self.linear_ = clone(base).fit(text, y)
        near = np.zeros((len(y), N_SIMILARITY))
        for train_idx, test_idx in folds.split(np.zeros(len(y)), y):
            reference = _reference(text[train_idx], y[train_idx], self.neighbour_max_df)
            near[test_idx] = _similarity_columns(text[test_idx], reference, self.neighbours)
        self.unreliable_posts_, self.reliable_posts_ = _reference(text, y, self.neighbour_max_df)
        labels = ["" if r is None else str(r).replace("\n", " ") for r in (refs if refs is not None else [""] * len(y))]
        self.unreliable_refs_ = "\n".join(r for r, label in zip(labels, y, strict=True) if label == 1)
        params = {
            "learning_rate": 0.05,
            "max_iter": 300,
            "max_leaf_nodes": 7,
            "min_samples_leaf": 30,
            "l2_regularization": 1.0,
            "random_state": self.random_state,
            **(self.boost_params or {}),
        }
        codes = self.cases(meta)
        self.heads_: dict[str, CompactBoost] = {}
        self.references_: dict[str, np.ndarray] = {}
        for code, case in enumerate(INPUT_CASES):
            rows = codes >= code  # a row with more inputs also teaches the heads for fewer (those left out)
            if len(np.unique(y[rows])) < 2:
                continue  # no such posts in the data: the case falls back to one with fewer inputs
            Z = self.head_input(case, oof[rows], near[rows], meta[rows])
            self.heads_[case] = CompactBoost(**params).fit(Z, y[rows])
            self.references_[case] = np.median(Z, axis=0)
        return self

    def head_for(self, code: int) -> str:
        """The case whose head scores rows of case index ``code`` (the nearest fitted one with fewer inputs)."""
        for case in reversed(INPUT_CASES[: code + 1]):
            if case in self.heads_:
                return case
        raise ValueError("no head was fitted")

    def predict_proba(self, X: Any) -> np.ndarray:
        text, meta = self.split(X)
        decision = self.linear_.decision_function(text)
        near = self.neighbour_columns(text)
        codes = self.cases(meta)
        out = np.zeros((X.shape[0], 2))
        for code in np.unique(codes):
            rows = codes == code
            case = self.head_for(int(code))
            out[rows] = self.heads_[case].predict_proba(self.head_input(case, decision[rows], near[rows], meta[rows]))
        return out

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def refs(self) -> list[str]:
        """Where each stored unreliable post came from, in column order of ``unreliable_posts_`` ("" unknown)."""
        n = self.unreliable_posts_.shape[1]
        return self.unreliable_refs_.split("\n") if n else []
