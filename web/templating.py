"""Jinja2 with autoescape everywhere; whole pages, or one named block of a page for htmx swaps.

Crawled text is hostile: templates never use ``|safe``. Highlighted evidence is built here from escaped segments
(``markupsafe.escape``) joined with literal ``<mark>`` tags, and links to originals get an href only when the URL
is http(s). Moments are shown in the display zone by the ``dt`` filter (see ``web.localtime``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from config.settings import DEFAULT_DISPLAY_TIMEZONE
from review.policy import CATEGORIES, DISMISS_REASONS
from web.localtime import local_time, zone_abbreviation

__all__ = ["Templates", "highlight", "safe_href"]

TEMPLATES_DIR = Path(__file__).parent / "templates"


def safe_href(url: object) -> str | None:
    """The URL when it is http(s), else None (no javascript:, data: or relative tricks)."""
    if not isinstance(url, str):
        return None
    candidate = url.strip()
    lowered = candidate.lower()
    if lowered.startswith(("http://", "https://")) and not any(c in candidate for c in "\r\n\t\x00"):
        return candidate
    return None


def merge_spans(text_length: int, features: Iterable[Any]) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, term) spans within the text, from a verdict's features."""
    spans: list[tuple[int, int, str]] = []
    for feature in features or []:
        if not isinstance(feature, dict):
            continue
        term = str(feature.get("term", ""))
        for span in feature.get("spans") or []:
            try:
                start, end = int(span[0]), int(span[1])
            except (TypeError, ValueError, IndexError):
                continue
            start, end = max(0, start), min(text_length, end)
            if start < end:
                spans.append((start, end, term))
    spans.sort()
    merged: list[tuple[int, int, str]] = []
    for start, end, term in spans:
        if merged and start < merged[-1][1]:
            prev_start, prev_end, prev_term = merged[-1]
            merged[-1] = (prev_start, max(prev_end, end), prev_term)
        else:
            merged.append((start, end, term))
    return merged


def highlight(text: str, features: Iterable[Any]) -> Markup:
    """The text with evidence spans wrapped in ``<mark>``; every text segment is escaped."""
    out: list[str] = []
    position = 0
    for start, end, term in merge_spans(len(text), features):
        out.append(str(escape(text[position:start])))
        out.append(f'<mark title="{escape(term)}">{escape(text[start:end])}</mark>')
        position = end
    out.append(str(escape(text[position:])))
    return Markup("".join(out))  # noqa: S704 - built only from escaped segments and literal tags


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def _num(value: int | None) -> str:
    return "—" if value is None else f"{value:,}".replace(",", " ")


def _query(params: dict[str, Any], **changes: Any) -> str:
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return "?" + urlencode(merged) if merged else ""


class Templates:
    """The page templates, showing moments in ``zone`` (``settings.display_zone``)."""

    def __init__(self, directory: Path = TEMPLATES_DIR, *, zone: tzinfo | None = None) -> None:
        self.zone = zone or ZoneInfo(DEFAULT_DISPLAY_TIMEZONE)
        self.env = Environment(
            loader=FileSystemLoader(str(directory)),
            autoescape=select_autoescape(enabled_extensions=("html", "svg"), default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=["jinja2.ext.i18n"],
        )
        # Every string meant for people is written as {{ _("...") }} (new-style gettext: {{ _("%(n)s items", n=3) }}).
        # Until the message catalogs are installed these are shown as written.
        self.env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
        self.env.filters.update(dt=partial(local_time, zone=self.zone), duration=_duration, num=_num,
                                safe_href=safe_href)
        self.env.globals.update(CATEGORIES=CATEGORIES, DISMISS_REASONS=DISMISS_REASONS, query=_query,
                                highlight=highlight, zone_name=self.zone_name)

    def zone_name(self) -> str:
        """The display zone's abbreviation now, for headings ("ICT")."""
        return zone_abbreviation(datetime.now(self.zone))

    def render(self, name: str, context: dict[str, Any], block: str | None = None) -> str:
        template = self.env.get_template(name)
        if block is None:
            return template.render(context)
        ctx = template.new_context(context)
        return "".join(template.blocks[block](ctx))
