"""Export filters: which confirmed decisions go into a file (platform, source, category, decided-at range).

A profile stores its filters as JSON (``ExportProfile.filters``); a run may narrow or replace them. Dates are
UTC: a plain date ``2024-05-01`` as ``date_from`` means its first instant, as ``date_to`` its last (inclusive).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from review.exports.errors import ExportFilterError
from review.policy import CATEGORIES
from store.types import FIRST_DAY, LAST_DAY, usable_day

__all__ = ["FORMATS", "ExportFilters", "parse_when"]

FORMATS = ("csv", "jsonl", "xlsx")
_KEYS = ("platform", "source", "category", "date_from", "date_to")


def parse_when(value: str | date | datetime | None, *, end: bool = False) -> datetime | None:
    """A date or datetime (ISO 8601) as an aware UTC datetime; a plain date is its day's start, or with ``end``
    the start of the next day (used as an exclusive bound). Days outside FIRST_DAY..LAST_DAY are refused."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ExportFilterError("%(text)r is not a date (YYYY-MM-DD) or an ISO 8601 date and time",
                                    text=text) from None
    day = value.date() if isinstance(value, datetime) else value
    if not usable_day(day):
        raise ExportFilterError("%(value)s is out of range: dates go from %(first_day)s to %(last_day)s",
                                value=value, first_day=FIRST_DAY, last_day=LAST_DAY)
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), tzinfo=UTC) + (timedelta(days=1) if end else timedelta())
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _names(value: Any, what: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = [value] if isinstance(value, str) else list(value)
    names = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ExportFilterError("%(what)s filter must be a name or a list of names, not %(item)r",
                                    what=what, item=item)
        names.append(item.strip())
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class ExportFilters:
    """Empty tuples and ``None`` mean "any"."""

    platforms: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    date_from: datetime | None = None  # inclusive
    date_to: datetime | None = None  # exclusive (a plain end date is made its next day's start)
    _raw_to: str | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        unknown = [c for c in self.categories if c not in CATEGORIES]
        if unknown:
            raise ExportFilterError("unknown category %(v1)r; choose from %(v2)s",
                                    v1=unknown[0], v2=', '.join(CATEGORIES))
        if self.date_from and self.date_to and self.date_from >= self.date_to:
            raise ExportFilterError("the date range is empty: 'from' must be before 'to'")

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ExportFilters:
        """Read profile JSON / form input: keys platform, source, category (a name or a list), date_from,
        date_to (YYYY-MM-DD or ISO 8601)."""
        data = dict(data or {})
        unknown = sorted(set(data) - set(_KEYS))
        if unknown:
            raise ExportFilterError("unknown filter %(v1)r; filters are %(v2)s", v1=unknown[0], v2=', '.join(_KEYS))
        raw_to = data.get("date_to")
        return cls(
            platforms=_names(data.get("platform"), "platform"), sources=_names(data.get("source"), "source"),
            categories=_names(data.get("category"), "category"), date_from=parse_when(data.get("date_from")),
            date_to=parse_when(raw_to, end=True), _raw_to=None if raw_to in (None, "") else str(raw_to),
        )

    def merged(self, override: ExportFilters) -> ExportFilters:
        """These filters with every field that ``override`` sets replaced."""
        return ExportFilters(
            platforms=override.platforms or self.platforms, sources=override.sources or self.sources,
            categories=override.categories or self.categories, date_from=override.date_from or self.date_from,
            date_to=override.date_to or self.date_to, _raw_to=override._raw_to or self._raw_to,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON for profiles, manifests and the audit log (only the fields that are set)."""
        out: dict[str, Any] = {}
        if self.platforms:
            out["platform"] = list(self.platforms)
        if self.sources:
            out["source"] = list(self.sources)
        if self.categories:
            out["category"] = list(self.categories)
        if self.date_from:
            out["date_from"] = self.date_from.isoformat().replace("+00:00", "Z")
        if self.date_to:
            out["date_to"] = self._raw_to or self.date_to.isoformat().replace("+00:00", "Z")
        return out
