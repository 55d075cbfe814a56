"""Stacking step: a linear text model whose out-of-fold score feeds a gradient-boosted model on metadata."""

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
    """Logistic regression on all columns; its out-of-fold decision value plus the last ``n_meta`` columns
    (the metadata block of the FeatureUnion) go to a HistGradientBoostingClassifier.

    ``linear_`` (fitted on all rows) is the component used for explanations.
    """

    def __init__(
        self,
        linear: LogisticRegression | None = None,
        n_meta: int = 0,
        boost_params: dict[str, Any] | None = None,
        cv: int = 5,
        random_state: int = 13,
    ):
        self.linear = linear
        self.n_meta = n_meta
        self.boost_params = boost_params
        self.cv = cv
        self.random_state = random_state

    def _stack_input(self, X: Any, linear_score: np.ndarray) -> np.ndarray:
        meta: Any = X[:, X.shape[1] - self.n_meta :] if self.n_meta else np.zeros((X.shape[0], 0))
        dense = meta.toarray() if sparse.issparse(meta) else np.asarray(meta)
        return np.column_stack([np.asarray(linear_score, dtype=np.float64), dense])

    def fit(self, X: Any, y: Any) -> LinearThenBoost:
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        base = self.linear if self.linear is not None else LogisticRegression(solver="liblinear")
        folds = StratifiedKFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
        oof = cross_val_predict(clone(base), X, y, cv=folds, method="decision_function")
        self.linear_ = clone(base).fit(X, y)
        params = {
            "max_iter": 200,
            "learning_rate": 0.05,
            "max_leaf_nodes": 15,
            "min_samples_leaf": 30,
            "l2_regularization": 1.0,
            "random_state": self.random_state,
            **(self.boost_params or {}),
        }
        self.boost_ = HistGradientBoostingClassifier(**params).fit(self._stack_input(X, oof), y)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.boost_.predict_proba(self._stack_input(X, self.linear_.decision_function(X)))

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
