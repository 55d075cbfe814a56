"""scikit-learn transformers turning post records into model inputs.

Every transformer accepts a sequence of records with a ``text`` attribute and optional ``like_count``,
``comment_count``, ``share_count`` and ``published_at`` (``PostInput`` and ``LabelledExample`` both qualify);
plain strings are accepted too and treated as posts without metadata.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from classifier.tokens import token_string
from vntext import NON_LETTERS, ZERO_WIDTH_CHARS

__all__ = ["METADATA_FEATURE_NAMES", "MetadataFeatures", "TokenString", "record_text"]


def record_text(record: Any) -> str:
    """The text of a record (or the string itself)."""
    if isinstance(record, str):
        return record
    text = getattr(record, "text", None)
    return text if isinstance(text, str) else ""


def _count(record: Any, name: str) -> float | None:
    value = getattr(record, name, None)
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return number


def _published(record: Any) -> datetime | None:
    value = getattr(record, "published_at", None)
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value


_ZERO_WIDTH = re.compile(f"[{ZERO_WIDTH_CHARS}]")


def _nfc_without_zero_width(text: str) -> str:
    """Enough normalisation for surface counts (length, capitals...): NFC and no zero-width characters."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return _ZERO_WIDTH.sub("", text)


class TokenString(TransformerMixin, BaseEstimator):
    """Records -> normalised, space-joined syllable tokens (placeholders for URLs, phones, numbers)."""

    def fit(self, X: Sequence[Any], y: Any = None) -> TokenString:
        return self

    def transform(self, X: Sequence[Any]) -> list[str]:
        return [token_string(record_text(r)) for r in X]


#: Vietnam is UTC+7; hour and weekday features use local time.
_VN_OFFSET_S = 7 * 3600
#: "<url>", "http://", "https://" or "www." in any case (spelt out: much faster than re.IGNORECASE here)
_URL = re.compile(r"<[uU][rR][lL]>|[hH][tT][tT][pP][sSſ]?://|[wW][wW][wW]\.")
_HASHTAG = re.compile(r"#\w")
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
_DIGIT = re.compile(r"\d")

METADATA_FEATURE_NAMES: tuple[str, ...] = (
    "like_count",
    "comment_count",
    "share_count",
    "hour_sin",
    "hour_cos",
    "weekday_sin",
    "weekday_cos",
    "text_length",
    "line_count",
    "exclamation_marks",
    "question_marks",
    "link_count",
    "hashtag_count",
    "emoji_count",
    "capital_share",
    "digit_share",
    "empty_text",
)


class MetadataFeatures(TransformerMixin, BaseEstimator):
    """Records -> dense numeric features: log1p engagement counts, posting hour/weekday (Vietnam time,
    cyclic), and surface cues of the text (length, links, '!', capitals...). Unknown counts and times are
    NaN here and imputed by the next pipeline step (no "missing" flag: in ReINTEL, missing metadata is a
    collection artefact strongly tied to the label, which would not carry over to kiemtin's own crawls)."""

    def fit(self, X: Sequence[Any], y: Any = None) -> MetadataFeatures:
        self.n_features_out_ = len(METADATA_FEATURE_NAMES)
        return self

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(METADATA_FEATURE_NAMES, dtype=object)

    def transform(self, X: Sequence[Any]) -> np.ndarray:
        out = np.zeros((len(X), len(METADATA_FEATURE_NAMES)), dtype=np.float64)
        for i, record in enumerate(X):
            out[i] = self._row(record)
        return out

    @staticmethod
    def _row(record: Any) -> list[float]:
        row: list[float] = []
        counts = [_count(record, n) for n in ("like_count", "comment_count", "share_count")]
        row += [math.log1p(c) if c is not None else math.nan for c in counts]
        when = _published(record)
        if when is None:
            row += [math.nan] * 4
        else:
            seconds = when.replace(tzinfo=UTC).timestamp() + _VN_OFFSET_S
            hour = (seconds / 3600.0) % 24.0
            weekday = ((seconds // 86400) + 3) % 7  # 1970-01-01 was a Thursday (Mon=0)
            row += [
                math.sin(2 * math.pi * hour / 24),
                math.cos(2 * math.pi * hour / 24),
                math.sin(2 * math.pi * weekday / 7),
                math.cos(2 * math.pi * weekday / 7),
            ]
        text = _nfc_without_zero_width(record_text(record))
        sample = text[:20000]
        letters = len(NON_LETTERS.sub("", sample[:5000])) or 1
        n = len(sample) or 1
        row += [
            math.log1p(len(text)),
            math.log1p(text.count("\n")),
            math.log1p(sample.count("!") + sample.count("！")),
            math.log1p(sample.count("?") + sample.count("？")),
            math.log1p(len(_URL.findall(sample))),
            math.log1p(len(_HASHTAG.findall(sample))),
            math.log1p(len(_EMOJI.findall(sample))),
            sum(map(str.isupper, sample[:5000])) / min(letters, 5000),
            len(_DIGIT.findall(sample)) / n,
            1.0 if not text.strip() else 0.0,
        ]
        return row
