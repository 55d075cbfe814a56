"""The languages people read kiemtin in, and the marker for strings translated where they are shown.

English is the source language of every message; ``web/locale/vi/LC_MESSAGES/messages.po`` holds the Vietnamese.
Python code that defines a label or message shown elsewhere marks it with ``N_("...")`` so that extraction
(``babel.cfg``) finds it; the page or command that shows it translates it (``web.i18n``).
"""

from __future__ import annotations

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "N_", "usable_language"]

#: language code -> its own name (what a switch shows)
LANGUAGES: dict[str, str] = {"vi": "Tiếng Việt", "en": "English"}
DEFAULT_LANGUAGE = "vi"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention extraction looks for
    """Mark ``message`` for translation where it is shown; returns it unchanged."""
    return message


def usable_language(value: object) -> str | None:
    """``value`` as a known language code ("vi", "en", also "vi-VN", "EN"), else None."""
    if not isinstance(value, str):
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None
