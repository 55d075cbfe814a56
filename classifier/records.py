"""Plain data records exchanged with callers: posts in, verdicts out, labelled examples for training."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from classifier.errors import ClassifierDataError
from classifier.segmentation import sentence_spans

__all__ = [
    "CASE_TEXT",
    "CASE_TEXT_COUNTS_TIME",
    "CASE_TEXT_TIME",
    "EVIDENCE_KINDS",
    "INPUT_CASES",
    "FeatureEvidence",
    "LabelledExample",
    "ModelInfo",
    "PostInput",
    "ROUTES",
    "ROUTE_ARTICLE",
    "ROUTE_POST",
    "Verdict",
    "sentence_spans",
]

#: Which inputs a post had, and so which head of the model scored it (``Verdict.case``).
CASE_TEXT = "text"  # text only: no engagement counts, no posting time (most RSS items, web pages)
CASE_TEXT_TIME = "text_time"  # text and posting time, counts unknown (feeds, Telegram, forums)
CASE_TEXT_COUNTS_TIME = "text_counts_time"  # text, like/comment/share counts and posting time (Mastodon, Bluesky)
#: The cases, from the fewest inputs to the most.
INPUT_CASES: tuple[str, ...] = (CASE_TEXT, CASE_TEXT_TIME, CASE_TEXT_COUNTS_TIME)
#: Which form of text a head scored (``Verdict.route``): a post, or a long, article-like text (the article route:
#: a head of the same case without length cues, on a more strongly regularised text model).
ROUTE_POST = "post"
ROUTE_ARTICLE = "article"
ROUTES: tuple[str, ...] = (ROUTE_POST, ROUTE_ARTICLE)

#: ``FeatureEvidence.kind``: a word or phrase of the text (with spans), a property of the post (no spans), or
#: closeness to known unreliable posts (no spans; ``refs`` names those that can be linked to).
EVIDENCE_KINDS: tuple[str, ...] = ("phrase", "signal", "similar")


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
    """One reason a score went up.

    ``kind`` "phrase": ``term`` is a word or phrase of the text and ``spans`` are its (start, end) character
    offsets in the exact text scored. "signal": a property of the post (``note`` says it in plain Vietnamese,
    e.g. "5 dấu chấm than"); no spans. "similar": the post is close to known unreliable posts (``note`` says
    how many, ``refs`` names those that have a reference such as "item:12"); no spans. ``weight`` is how much
    the reason raised the score (log-odds for the case heads; larger is stronger).
    """

    term: str
    weight: float
    spans: tuple[tuple[int, int], ...] = ()
    kind: str = "phrase"
    note: str = ""
    refs: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The JSON form the store keeps: term, weight, spans, kind, note, refs."""
        return {
            "term": self.term,
            "weight": round(float(self.weight), 5),
            "spans": [[int(a), int(b)] for a, b in self.spans],
            "kind": self.kind,
            "note": self.note,
            "refs": list(self.refs),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureEvidence:
        """Read ``as_dict`` output back; features stored before ``kind`` existed read as phrases.

        Raises ClassifierDataError naming the field that cannot be used."""
        if not isinstance(data, Mapping):
            raise ClassifierDataError(f"evidence must be an object, got {type(data).__name__}")
        term = data.get("term")
        if not isinstance(term, str):
            raise ClassifierDataError(f"evidence 'term' must be a string, got {term!r}")
        try:
            weight = float(data.get("weight", 0.0))
        except (TypeError, ValueError):
            raise ClassifierDataError(f"evidence 'weight' must be a number, got {data.get('weight')!r}") from None
        kind = data.get("kind") or "phrase"
        if kind not in EVIDENCE_KINDS:
            raise ClassifierDataError(f"evidence 'kind' must be one of {', '.join(EVIDENCE_KINDS)}, got {kind!r}")
        spans = []
        for span in data.get("spans") or ():
            if (not isinstance(span, list | tuple) or len(span) != 2
                    or not all(isinstance(v, int) and not isinstance(v, bool) for v in span) or span[0] > span[1]):
                raise ClassifierDataError(f"evidence 'spans' must be [start, end] pairs, got {span!r}")
            spans.append((span[0], span[1]))
        refs = data.get("refs") or ()
        if not isinstance(refs, list | tuple) or not all(isinstance(r, str) for r in refs):
            raise ClassifierDataError(f"evidence 'refs' must be a list of strings, got {refs!r}")
        note = data.get("note") or ""
        if not isinstance(note, str):
            raise ClassifierDataError(f"evidence 'note' must be a string, got {note!r}")
        return cls(term=term, weight=weight, spans=tuple(spans), kind=kind, note=note, refs=tuple(refs))


@dataclass(frozen=True)
class Verdict:
    """The model's output for one post. ``case`` (one of INPUT_CASES) says which inputs the post had and so
    which head scored it and whose threshold applies; ``route`` (one of ROUTES) whether the case's post head or
    its article head (long texts) did."""

    score: float
    label: bool
    threshold: float
    model_version: str
    features: tuple[FeatureEvidence, ...]
    language: str
    case: str = CASE_TEXT
    route: str = ROUTE_POST


@dataclass(frozen=True)
class LabelledExample:
    """A post with a known label (1 unreliable, 0 reliable) for training or evaluation.

    ``ref`` names where the example came from when a person can open it (``"item:<queue item id>"`` for a
    reviewer's decision); a "similar" explanation lists the refs of the nearest known posts."""

    text: str
    label: int
    like_count: int | None = None
    comment_count: int | None = None
    share_count: int | None = None
    published_at: datetime | None = None
    group: str | None = None
    category: str | None = None
    origin: str = "reintel"
    ref: str | None = None


@dataclass(frozen=True)
class ModelInfo:
    """Summary of one saved model version."""

    version: str
    created_at: str
    metrics: dict[str, Any] = field(default_factory=dict)
    active: bool = False
