"""Stacking step: a linear text model's out-of-fold score, the post's similarity to labelled posts and the
metadata feed a gradient-boosted model."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

__all__ = ["LinearThenBoost"]


class LinearThenBoost(ClassifierMixin, BaseEstimator):
    """Logistic regression on all columns; its out-of-fold decision value, the neighbour columns and the last
    ``n_meta`` columns (the metadata block of the FeatureUnion) go to a HistGradientBoostingClassifier.

    With ``neighbours`` = k > 0, four columns describe how close a post's text is to the labelled training posts:
    the best and the mean of the k highest similarities among unreliable posts, then among reliable ones. The
    similarity is the dot product of the l2-normalised TF-IDF rows over the terms found in at most
    ``neighbour_max_df`` of the training posts (common words say little about "same claim" and cost most of
    the time). During ``fit`` the columns are computed out of fold, like the linear score, so a training post
    never finds itself.

    ``linear_`` (fitted on all rows) is the component used for explanations.
    """

    def __init__(
        self,
        linear: LogisticRegression | None = None,
        n_meta: int = 0,
        boost_params: dict[str, Any] | None = None,
        cv: int = 5,
        random_state: int = 13,
        neighbours: int = 0,
        neighbour_max_df: float = 0.05,
    ):
        self.linear = linear
        self.n_meta = n_meta
        self.boost_params = boost_params
        self.cv = cv
        self.random_state = random_state
        self.neighbours = neighbours
        self.neighbour_max_df = neighbour_max_df

    def _text(self, X: Any) -> Any:
        return X[:, : X.shape[1] - self.n_meta] if self.n_meta else X

    def neighbour_columns(self, text: Any) -> np.ndarray:
        """The four similarity columns of ``text`` rows (TF-IDF columns only) against the stored posts."""
        return _similarity_columns(text, self.reference_, self.reference_labels_, self.neighbours)

    def _stack_input(self, X: Any, linear_score: np.ndarray, near: np.ndarray | None = None) -> np.ndarray:
        meta: Any = X[:, X.shape[1] - self.n_meta :] if self.n_meta else np.zeros((X.shape[0], 0))
        dense = meta.toarray() if sparse.issparse(meta) else np.asarray(meta)
        if near is None:
            near = np.zeros((X.shape[0], 0))
        return np.column_stack([np.asarray(linear_score, dtype=np.float64), near, dense])

    def fit(self, X: Any, y: Any) -> LinearThenBoost:
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        base = self.linear if self.linear is not None else LogisticRegression(solver="liblinear")
        folds = StratifiedKFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
        oof = cross_val_predict(clone(base), X, y, cv=folds, method="decision_function")
        self.linear_ = clone(base).fit(X, y)
        near = None
        if self.neighbours:
            text = sparse.csr_matrix(self._text(X), dtype=np.float32)
            near = np.zeros((X.shape[0], 4))
            for train_idx, test_idx in folds.split(np.zeros(len(y)), y):
                reference = _reference(text[train_idx], self.neighbour_max_df)
                near[test_idx] = _similarity_columns(text[test_idx], reference, y[train_idx], self.neighbours)
            self.reference_ = _reference(text, self.neighbour_max_df)
            self.reference_labels_ = y.copy()
        params = {
            "max_iter": 200,
            "learning_rate": 0.05,
            "max_leaf_nodes": 15,
            "min_samples_leaf": 30,
            "l2_regularization": 1.0,
            "random_state": self.random_state,
            **(self.boost_params or {}),
        }
        self.boost_ = HistGradientBoostingClassifier(**params).fit(self._stack_input(X, oof, near), y)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        near = self.neighbour_columns(self._text(X)) if getattr(self, "neighbours", 0) else None
        return self.boost_.predict_proba(self._stack_input(X, self.linear_.decision_function(X), near))

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _reference(text: sparse.csr_matrix, max_df: float) -> sparse.csr_matrix:
    """Labelled posts' TF-IDF rows as terms x posts (one sparse product per batch), frequent terms left out."""
    terms = text.T.tocsr()
    frequent = terms.getnnz(axis=1) > max_df * text.shape[0]
    terms = sparse.diags((~frequent).astype(np.float32)) @ terms
    terms.eliminate_zeros()
    return sparse.csr_matrix(terms)


def _similarity_columns(rows: Any, reference: Any, labels: np.ndarray, k: int) -> np.ndarray:
    """Best and mean of the top ``k`` similarities of each row to the unreliable, then reliable, posts
    (``reference``: the labelled posts' TF-IDF rows, transposed to terms x posts)."""
    sim = (sparse.csr_matrix(rows, dtype=np.float32) @ reference).toarray()
    out = np.zeros((sim.shape[0], 4))
    for column, label in ((0, 1), (2, 0)):
        group = sim[:, labels == label]
        if group.shape[1] == 0 or group.shape[0] == 0:
            continue
        kk = min(k, group.shape[1])
        top = -np.partition(-group, kk - 1, axis=1)[:, :kk]
        out[:, column] = top.max(axis=1)
        out[:, column + 1] = top.mean(axis=1, dtype=np.float64)
    return out
