"""Translations for pages and command-line messages: Babel message catalogs, English source strings.

``web/locale/<lang>/LC_MESSAGES/messages.po`` is the catalog kept in the repository (``babel.cfg`` says where
strings are extracted from). It is compiled when first used, in memory, so a fresh clone needs no build step
and no ``.mo`` file is committed or can go stale. English is the source language: an ``en`` page shows the
msgids as written. Dates and numbers are formatted for the language with Babel (``format_number``,
``format_datetime``).
"""

from __future__ import annotations

import gettext as _gettext
from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_scientific

from config.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, usable_language
from review.policy import STATUS_LABELS

__all__ = ["LOCALE_DIR", "catalog_path", "format_day", "format_moment", "format_number", "gettext", "ngettext",
           "pick_language", "said", "translations"]


LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
#: How a moment is written (Babel/CLDR patterns): Vietnamese day-first, English ISO-like.
_MOMENT = {"vi": "HH:mm dd/MM/yyyy", "en": "yyyy-MM-dd HH:mm"}
_DAY = {"vi": "dd/MM/yyyy", "en": "yyyy-MM-dd"}
#: the same without the year (table columns, chart ticks)
_SHORT_MOMENT = {"vi": "HH:mm dd/MM", "en": "MM-dd HH:mm"}
_SHORT_DAY = {"vi": "dd/MM", "en": "MM-dd"}


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``language`` (fuzzy entries left out); English and unknown codes: as written."""
    path = catalog_path(language)
    if language == "en" or not path.is_file():
        return _gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def gettext(language: str, message: str, /, **params: Any) -> str:
    """``message`` in ``language``, with ``%(name)s`` placeholders filled from ``params`` when given."""
    text = translations(language).gettext(message)
    return text % params if params else text


def ngettext(language: str, singular: str, plural: str, n: int, **params: Any) -> str:
    text = translations(language).ngettext(singular, plural, n)
    return text % {"num": n, **params}


def pick_language(*choices: object) -> str:
    """The first usable language code among ``choices`` (the person's, a cookie's, the setting), else "vi"."""
    for choice in choices:
        code = usable_language(choice)
        if code:
            return code
    return DEFAULT_LANGUAGE


def format_number(value: int | float | None, language: str, digits: int | None = None, *,
                  scientific: bool = False) -> str:
    """12 345 as Vietnamese writes it (12.345) or English (12,345), with exactly ``digits`` decimals when given
    (0,50 / 0.50); ``scientific``: 1,2E-5 / 1.2E-5 (a p-value, ``digits`` decimals, default 1); "—" for None."""
    if value is None:
        return "—"
    locale = Locale.parse(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    if scientific:
        return format_scientific(value, "0." + "0" * (1 if digits is None else digits) + "E0", locale=locale)
    pattern = None if digits is None else "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=locale)


def format_moment(moment: datetime, language: str, *, with_time: bool = True, seconds: bool = False,
                  year: bool = True) -> str:
    """A local moment written for ``language``: "23:30 01/05/2024" (vi), "2024-05-01 23:30" (en); without the
    year "23:30 01/05" / "05-01 23:30"."""
    code = language if language in LANGUAGES else DEFAULT_LANGUAGE
    pattern = (_MOMENT if year else _SHORT_MOMENT)[code] if with_time else (_DAY if year else _SHORT_DAY)[code]
    if seconds:
        pattern = pattern.replace("HH:mm", "HH:mm:ss")
    return format_datetime(moment, pattern, tzinfo=moment.tzinfo, locale=Locale.parse(code))


def format_day(day: date, language: str, *, year: bool = True) -> str:
    """A calendar day written for ``language``: "01/05/2024" (vi), "2024-05-01" (en); "01/05" / "05-01" without
    the year."""
    code = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return format_date(day, (_DAY if year else _SHORT_DAY)[code], locale=Locale.parse(code))


def said(value: object, language: str) -> str:
    """A message for a person in ``language``: an action's refusal (``ActionError`` keeps its English sentence as
    ``template`` and ``params``; a param that is itself one, or a ``Phrase``, is translated too), or a string
    defined elsewhere (marked ``N_``); as it is when not in the catalog."""

    if value is None:
        return ""
    template = getattr(value, "template", None)
    if isinstance(template, str) and template:
        params = dict(getattr(value, "params", None) or {})
        for key in ("status", "now"):  # an item's status reads in the same language as the sentence
            if params.get(key) in STATUS_LABELS:
                params[key] = translations(language).gettext(STATUS_LABELS[params[key]])
        for key, param in params.items():  # a refusal or a phrase inside the sentence: in its language too
            if isinstance(getattr(param, "template", None), str):
                params[key] = said(param, language)
        text = translations(language).gettext(template)
        try:
            return text % params if params else text
        except (KeyError, TypeError, ValueError):
            return str(value)
    return translations(language).gettext(str(value))


#: what went wrong in a crawl run, by the kind a run's error line starts with (``service.crawl_job``); the
#: technical detail after it (a URL, a status, a limit) stays as the crawler wrote it
RUN_ERROR_KINDS = {
    "FetchError": N_("could not connect"),
    "HTTPStatusError": N_("the server answered with an error status"),
    "TimeoutExceeded": N_("timed out"),
    "ResponseTooLarge": N_("the response was too large"),
    "TooManyRedirects": N_("too many redirects"),
    "ContentTypeError": N_("not the kind of content expected"),
    "BlockedAddress": N_("address not allowed (not public)"),
    "RobotsDisallowed": N_("robots.txt does not allow it"),
    "ParseError": N_("the page or feed could not be read"),
    "ParseLimitExceeded": N_("the page passed a parse limit"),
    "AuthRequired": N_("the source needs a login"),
    "UnsupportedSource": N_("unsupported source or options"),
    "CrawlError": N_("the crawl failed"),
    "unexpected error": N_("unexpected error"),
    "scoring failed": N_("scoring failed"),
}


def said_run_error(line: object, language: str) -> str:
    """A crawl run's error line for a person: its kind in ``language``, then the detail as written
    ("HTTPStatusError: HTTP 503 (http://...)" -> "máy chủ trả về mã lỗi: HTTP 503 (http://...)"); a line of
    another shape (written before kinds were recorded) as it is."""
    text = str(line)
    kind, colon, detail = text.partition(": ")
    if not colon or kind not in RUN_ERROR_KINDS:
        return text
    return f"{translations(language).gettext(RUN_ERROR_KINDS[kind])}: {detail}"
