"""Jinja2 with autoescape everywhere; whole pages, or one named block of a page for htmx swaps.

Crawled text is hostile: templates never use ``|safe``. Highlighted evidence is built here from escaped segments
(``markupsafe.escape``) joined with literal ``<mark>`` tags, and links to originals get an href only when the URL
is http(s). Moments are shown in the display zone by the ``dt`` filter (see ``web.localtime``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from config.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_
from config.settings import DEFAULT_DISPLAY_TIMEZONE
from review.policy import ACTION_LABELS, CATEGORIES, DISMISS_REASONS, ROLE_LABELS, STATUS_LABELS
from web.evidence import EvidenceView, evidence_view
from web.i18n import format_day, format_number, said, said_run_error, translations
from web.localtime import local_time, zone_abbreviation

__all__ = ["Templates", "highlight", "safe_href"]

TEMPLATES_DIR = Path(__file__).parent / "templates"


#: Words of the system shown to people: crawl run outcomes and export row kinds (translated where shown).
LABELS: dict[str, str] = {
    "ok": N_("ok"), "partial": N_("partial"), "error": N_("error"), "running": N_("running"),
    "interrupted": N_("interrupted"), "takedown": N_("takedown"), "retraction": N_("retraction"),
}


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
    """Non-overlapping (start, end, title) spans within the text, from a verdict's features (the title is the
    feature's ``title`` when it has one, else its term)."""
    spans: list[tuple[int, int, str]] = []
    for feature in features or []:
        if not isinstance(feature, dict):
            continue
        term = str(feature.get("title") or feature.get("term", ""))
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
    """The text with evidence spans wrapped in ``<mark>``; every text segment is escaped. A feature's ``title``
    (its weight, in words) is the hover text; with a ``ref`` (the id of the element that says it, in the list of
    phrases) screen readers hear it too (``aria-describedby``), and the post's text itself stays as published."""
    features = list(features or [])
    refs = {str(f["title"] or f.get("term", "")): str(f["ref"]) for f in features
            if isinstance(f, dict) and f.get("title") and f.get("ref")}
    out: list[str] = []
    position = 0
    for start, end, term in merge_spans(len(text), features):
        out.append(str(escape(text[position:start])))
        described = f' aria-describedby="{escape(refs[term])}"' if term in refs else ""
        out.append(f'<mark title="{escape(term)}"{described}>{escape(text[start:end])}</mark>')
        position = end
    out.append(str(escape(text[position:])))
    return Markup("".join(out))  # noqa: S704 - built only from escaped segments and literal tags


@pass_context
def _duration(context: Context, seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{format_number(seconds, _lang(context), 1)} s"

    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def _lang(context: Context) -> str:
    """The page's language: ``lang`` in the render context (``web.render`` puts it there)."""
    value = context.get("lang")
    return value if isinstance(value, str) and value in LANGUAGES else DEFAULT_LANGUAGE


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translations(_lang(context)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(_lang(context)).ngettext(singular, plural, n)


@pass_context
def _translated(context: Context, value: object) -> str:
    """A message made in Python (a refusal, a flash, a title) in the page's language (``web.i18n.said``)."""
    return said(value, _lang(context))


@pass_context
def _explain(context: Context, text: str, features: Iterable[Any] | None) -> EvidenceView:
    """A verdict's evidence as the item page shows it (``web.evidence``), worded in the page's language."""
    return evidence_view(text, features, _lang(context))


@pass_context
def _run_error(context: Context, line: object) -> str:
    """A crawl run's error line with its kind in the page's language (``web.i18n.said_run_error``)."""
    return said_run_error(line, _lang(context))


@pass_context
def _num(context: Context, value: int | float | None, digits: int | None = None, scientific: bool = False) -> str:
    return format_number(value, _lang(context), digits, scientific=scientific)


@pass_context
def _day(context: Context, value: date, year: bool = True) -> str:
    """A calendar day (a chart's bar) as the page's language writes it: 01/05/2024 (vi), 2024-05-01 (en)."""
    return format_day(value, _lang(context), year=year)


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
        # Every string meant for people is written as {{ _("...") }} (new-style gettext: {{ _("%(n)s items", n=3) }}),
        # translated into the page's ``lang`` (``web.i18n``); dates and numbers follow it too.
        self.env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
        self.env.filters.update(dt=self._dt, day=_day, duration=_duration, num=_num, safe_href=safe_href,
                                run_error=_run_error)

        self.env.globals.update(LABELS=LABELS, CATEGORIES=CATEGORIES, DISMISS_REASONS=DISMISS_REASONS,
                                STATUS_LABELS=STATUS_LABELS, ACTION_LABELS=ACTION_LABELS, ROLE_LABELS=ROLE_LABELS,
                                query=_query, highlight=highlight, explain=_explain, translated=_translated,
                                zone_name=self.zone_name)

    @pass_context
    def _dt(self, context: Context, value: Any, fmt: str | None = None) -> Markup | str:
        return local_time(value, fmt, zone=self.zone, language=_lang(context))

    def zone_name(self) -> str:
        """The display zone's abbreviation now, for headings ("ICT")."""
        return zone_abbreviation(datetime.now(self.zone))

    def render(self, name: str, context: dict[str, Any], block: str | None = None) -> str:
        template = self.env.get_template(name)
        if block is None:
            return template.render(context)
        ctx = template.new_context(context)
        return "".join(template.blocks[block](ctx))
