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

__all__ = ["LinearThenBoost", "TextStackBase"]


class TextStackBase(ClassifierMixin, BaseEstimator):
    """The parameters shared by the stacking steps: the linear text model, how many metadata columns end ``X``,
    the boosting parameters, the folds and seed, and the similarity columns (k neighbours over the terms found
    in at most ``neighbour_max_df`` of the training posts)."""

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

    def neighbour_columns(self, text: Any) -> np.ndarray:
        """The four similarity columns of ``text`` rows (TF-IDF columns only) against the stored posts."""
        return _similarity_columns(text, (self.unreliable_posts_, self.reliable_posts_), self.neighbours)


class LinearThenBoost(TextStackBase):
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

    def _text(self, X: Any) -> Any:
        return X[:, : X.shape[1] - self.n_meta] if self.n_meta else X

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
                reference = _reference(text[train_idx], y[train_idx], self.neighbour_max_df)
                near[test_idx] = _similarity_columns(text[test_idx], reference, self.neighbours)
            self.unreliable_posts_, self.reliable_posts_ = _reference(text, y, self.neighbour_max_df)
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


def _reference(
    text: sparse.csr_matrix, labels: np.ndarray, max_df: float
) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """The labelled posts' TF-IDF rows as two terms x posts matrices (unreliable, reliable), so that a batch's
    similarities are two sparse products; terms found in more than ``max_df`` of the posts are left out."""
    terms = text.T.tocsr()
    frequent = terms.getnnz(axis=1) > max_df * text.shape[0]
    terms = sparse.csr_matrix(sparse.diags((~frequent).astype(np.float32)) @ terms)
    terms.eliminate_zeros()
    return terms[:, labels == 1].tocsr(), terms[:, labels != 1].tocsr()


def _similarity_columns(
    rows: Any, reference: tuple[sparse.csr_matrix, sparse.csr_matrix], k: int
) -> np.ndarray:
    """Best and mean of the top ``k`` similarities of each row to the unreliable, then the reliable, posts."""
    rows = sparse.csr_matrix(rows, dtype=np.float32)
    out = np.zeros((rows.shape[0], 4))
    for column, posts in zip((0, 2), reference, strict=True):
        if posts.shape[1] == 0 or rows.shape[0] == 0:
            continue
        sim = (rows @ posts).toarray()
        kk = min(k, sim.shape[1])
        top = np.partition(sim, sim.shape[1] - kk, axis=1)[:, sim.shape[1] - kk :]
        out[:, column] = top.max(axis=1)
        out[:, column + 1] = top.mean(axis=1, dtype=np.float64)
    return out
