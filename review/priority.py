"""Queue priority: how likely, how far it spreads, how recent — or how uncertain the model is."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["PriorityWeights", "priority"]


@dataclass(frozen=True)
class PriorityWeights:
    """Weights of the three signals. ``mode="uncertainty"`` ranks scores nearest the threshold first."""

    score: float = 10.0
    reach: float = 3.0
    recency_per_day: float = 0.25  # a post one day newer ranks as if its score were 0.025 higher
    mode: Literal["risk", "uncertainty"] = "risk"


def reach(like_count: int | None, comment_count: int | None, share_count: int | None) -> float:
    """0..1 from engagement: log-scaled, shares counting most."""
    weighted = (like_count or 0) + 2 * (comment_count or 0) + 3 * (share_count or 0)
    return min(1.0, math.log10(1 + max(0, weighted)) / 5)


def priority(
    *, score: float, threshold: float, like_count: int | None, comment_count: int | None,
    share_count: int | None, published_at: datetime | None, weights: PriorityWeights = PriorityWeights(),
) -> float:
    """A number to sort the queue by, highest first. Recency is linear in time so stored values stay comparable."""
    days = (published_at.timestamp() / 86400.0) if published_at else 0.0
    if weights.mode == "uncertainty":
        return -abs(score - threshold) * 100 + weights.recency_per_day * days / 1000
    return (
        weights.score * score
        + weights.reach * reach(like_count, comment_count, share_count)
        + weights.recency_per_day * days
    )
