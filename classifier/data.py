"""Reading labelled posts from CSV files such as ReINTEL's ``public_train.csv``."""

from __future__ import annotations

import csv
import math
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from classifier.errors import ClassifierDataError
from classifier.records import LabelledExample

__all__ = ["DEFAULT_TRAIN_CSV_NAME", "parse_count", "parse_timestamp", "read_labelled_csv"]

DEFAULT_TRAIN_CSV_NAME = "public_train.csv"

_LEADING_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:like|likes|comment|comments|share|shares)?\s*$", re.I)


def parse_count(value: str | None) -> int | None:
    """A dirty engagement count ('173.0', '1 comment', 'unknown', '') as an int, or None if unusable."""
    if value is None:
        return None
    m = _LEADING_NUMBER.match(value)
    if not m:
        return None
    number = float(m.group(1))
    return int(number) if math.isfinite(number) else None


def parse_timestamp(value: str | None) -> datetime | None:
    """Epoch seconds (possibly '1588939166.0') as an aware UTC datetime, or None."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    if not math.isfinite(seconds) or not 0 < seconds < 4e9:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


def _parse_label(raw: str | None, path: Path, line: int) -> int:
    text = (raw or "").strip()
    try:
        label = int(float(text))
    except ValueError:
        raise ClassifierDataError("%(path)s: line %(line)s: label %(label)r is not 0 or 1", path=str(path), line=line,
                                  label=text) from None
    if label not in (0, 1):
        raise ClassifierDataError("%(path)s: line %(line)s: label %(label)r is not 0 or 1", path=str(path), line=line,
                                  label=text)
    return label


def read_labelled_csv(
    path: Path, *, text_column: str = "post_message", label_column: str = "label"
) -> list[LabelledExample]:
    """Read labelled posts from a CSV file.

    ``text_column`` and ``label_column`` are required; ``num_like_post``, ``num_comment_post``,
    ``num_share_post``, ``timestamp_post``, ``user_name`` (the CV group) and ``category`` are used
    when present.
    Dirty metadata becomes ``None``. Rows with an empty label are skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise ClassifierDataError("%(path)s: no such file", path=str(path))
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            missing = [c for c in (text_column, label_column) if c not in columns]
            if missing:
                found = ", ".join(repr(c) for c in columns)
                if not found:
                    raise ClassifierDataError("%(path)s: missing column(s) %(missing)s; found no header",
                                              path=str(path), missing=", ".join(repr(c) for c in missing))
                raise ClassifierDataError("%(path)s: missing column(s) %(missing)s; found %(found)s", path=str(path),
                                          missing=", ".join(repr(c) for c in missing), found=found)
            examples = []
            for line, row in enumerate(reader, start=2):
                if not (row.get(label_column) or "").strip():
                    continue
                examples.append(
                    LabelledExample(
                        text=row.get(text_column) or "",
                        label=_parse_label(row.get(label_column), path, line),
                        like_count=parse_count(row.get("num_like_post")),
                        comment_count=parse_count(row.get("num_comment_post")),
                        share_count=parse_count(row.get("num_share_post")),
                        published_at=parse_timestamp(row.get("timestamp_post")),
                        group=(row.get("user_name") or None),
                        category=(row.get("category") or None),
                    )
                )
    except UnicodeDecodeError as exc:
        raise ClassifierDataError("%(path)s: not UTF-8 text (%(detail)s)", path=str(path), detail=str(exc)) from exc
    except csv.Error as exc:
        raise ClassifierDataError("%(path)s: malformed CSV (%(detail)s)", path=str(path), detail=str(exc)) from exc
    return examples
