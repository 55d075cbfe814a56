"""Plain data records exchanged with callers: posts in, verdicts out, labelled examples for training."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["FeatureEvidence", "LabelledExample", "ModelInfo", "PostInput", "Verdict"]


@dataclass(frozen=True)
class PostInput:
    """One post to score: its text and whatever engagement metadata is known."""

    text: str
    like_count: int | None = None
    comment_count: int | None = None
    share_count: int | None = None
    published_at: datetime | None = None  # tz-aware or naive UTC


@dataclass(frozen=True)
class FeatureEvidence:
    """One feature that pushed a score up, with where it occurs in the original text."""

    term: str
    weight: float
    spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Verdict:
    """The model's output for one post."""

    score: float
    label: bool
    threshold: float
    model_version: str
    features: tuple[FeatureEvidence, ...]
    language: str


@dataclass(frozen=True)
class LabelledExample:
    """A post with a known label (1 unreliable, 0 reliable) for training or evaluation."""

    text: str
    label: int
    like_count: int | None = None
    comment_count: int | None = None
    share_count: int | None = None
    published_at: datetime | None = None
    group: str | None = None
    category: str | None = None
    origin: str = "reintel"


@dataclass(frozen=True)
class ModelInfo:
    """Summary of one saved model version."""

    version: str
    created_at: str
    metrics: dict[str, Any] = field(default_factory=dict)
    active: bool = False
