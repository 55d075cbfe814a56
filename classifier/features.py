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

from classifier.records import INPUT_CASES
from classifier.tokens import token_string
from vntext import NON_LETTERS, ZERO_WIDTH_CHARS

__all__ = [
    "CASE_COLUMNS",
    "COUNT_COLUMNS",
    "LENGTH_COLUMNS",
    "METADATA_FEATURE_NAMES",
    "SURFACE_COLUMNS",
    "TIME_COLUMNS",
    "MetadataFeatures",
    "TokenString",
    "case_codes",
    "input_case",
    "record_text",
    "strip_to_case",
]


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
#: Positions in METADATA_FEATURE_NAMES: engagement counts, posting time, and surface cues of the text.
COUNT_COLUMNS: tuple[int, ...] = (0, 1, 2)
TIME_COLUMNS: tuple[int, ...] = (3, 4, 5, 6)
SURFACE_COLUMNS: tuple[int, ...] = tuple(range(7, len(METADATA_FEATURE_NAMES)))
#: Text length and line count: left out by the heads of the article route (``classifier.case_stack``).
LENGTH_COLUMNS: tuple[int, ...] = (7, 8)
#: The metadata columns each input case's head reads (see ``classifier.records.INPUT_CASES``).
CASE_COLUMNS: dict[str, tuple[int, ...]] = {
    INPUT_CASES[0]: SURFACE_COLUMNS,
    INPUT_CASES[1]: TIME_COLUMNS + SURFACE_COLUMNS,
    INPUT_CASES[2]: COUNT_COLUMNS + TIME_COLUMNS + SURFACE_COLUMNS,
}


def case_codes(meta: np.ndarray) -> np.ndarray:
    """Index into INPUT_CASES of each row of MetadataFeatures output: 2 when all three counts and the time are
    known, 1 when the time is, else 0 (counts without a time are not used)."""
    meta = np.asarray(meta, dtype=np.float64)
    time_known = ~np.isnan(meta[:, TIME_COLUMNS[0]])
    counts_known = ~np.isnan(meta[:, list(COUNT_COLUMNS)]).any(axis=1)
    return np.where(time_known, np.where(counts_known, 2, 1), 0)


def strip_to_case(record: Any, case: str) -> Any:
    """``record`` as a source of ``case`` would deliver it: a PostInput with the counts (and the time) that
    case lacks left out. Used to evaluate one post under every case it can stand for."""
    from classifier.records import PostInput

    text = record_text(record)
    if case == INPUT_CASES[0]:
        return PostInput(text=text)
    if case == INPUT_CASES[1]:
        return PostInput(text=text, published_at=getattr(record, "published_at", None))
    return PostInput(text=text, like_count=getattr(record, "like_count", None),
                     comment_count=getattr(record, "comment_count", None),
                     share_count=getattr(record, "share_count", None),
                     published_at=getattr(record, "published_at", None))


def input_case(record: Any) -> str:
    """Which inputs a post has (one of INPUT_CASES), as ``case_codes`` decides for its metadata row."""
    if _published(record) is None:
        return INPUT_CASES[0]
    known = all(_count(record, n) is not None for n in ("like_count", "comment_count", "share_count"))
    return INPUT_CASES[2] if known else INPUT_CASES[1]


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
