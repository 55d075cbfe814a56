"""A HistGradientBoostingClassifier that persists its trees compactly.

skops stores each of a fitted model's trees as three numpy arrays (nodes and two category bitsets): 900 trees,
2,700 arrays, about half a second to load. This subclass stores the trees' nodes as one array and rebuilds the
trees on load (numerical features only: the bitsets are empty), so a model with three heads loads in about the
time one head took.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

__all__ = ["CompactBoost"]


class CompactBoost(HistGradientBoostingClassifier):
    """HistGradientBoostingClassifier with compact persistence of its trees (see module docstring)."""

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        predictors = state.get("_predictors")
        if predictors and all(
            t.binned_left_cat_bitsets.size == 0 and t.raw_left_cat_bitsets.size == 0 for row in predictors for t in row
        ):
            state.pop("_predictors")
            trees = [t for row in predictors for t in row]
            state["tree_nodes_"] = np.concatenate([t.nodes for t in trees])
            state["tree_sizes_"] = np.asarray([len(t.nodes) for t in trees], dtype=np.int64)
            state["trees_per_iteration_"] = len(predictors[0])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        nodes = state.pop("tree_nodes_", None)
        sizes = state.pop("tree_sizes_", None)
        per_iteration = state.pop("trees_per_iteration_", 1)
        super().__setstate__(state)
        if nodes is not None and sizes is not None:
            empty = np.zeros((0, 8), dtype=np.uint32)
            bounds = np.concatenate([[0], np.cumsum(sizes)])
            trees = [TreePredictor(nodes[a:b].copy(), empty, empty)
                     for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
            self._predictors = [trees[i : i + per_iteration] for i in range(0, len(trees), per_iteration)]
