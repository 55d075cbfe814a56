"""Free text and numbers typed by people, checked the same way whichever adapter they came through."""

from __future__ import annotations

from review.errors import InvalidInput

__all__ = ["MAX_NOTE", "MAX_URL", "checked_text", "checked_url"]

MAX_NOTE = 5000  # justifications, reasons, notes
MAX_URL = 2000


def checked_text(value: str | None, field: str, *, max_length: int = MAX_NOTE, required: bool = False) -> str:
    """``value`` stripped; InvalidInput when required and empty, too long, or holding a NUL character."""
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput("%(field)s is required", field=field)
    if len(text) > max_length:
        raise InvalidInput("%(field)s is too long: %(v2)s characters, at most %(max_length)s",
                           field=field, v2=format(len(text), ","), max_length=format(max_length, ","))
    if "\x00" in text:
        raise InvalidInput("%(field)s contains a NUL character", field=field)
    return text


def checked_url(value: str | None, field: str, *, required: bool = False) -> str | None:
    """An http(s) URL (stripped), or None when empty and not required."""
    text = checked_text(value, field, max_length=MAX_URL, required=required)
    if not text:
        return None
    if not text.lower().startswith(("http://", "https://")) or any(c.isspace() for c in text):
        raise InvalidInput("%(field)s must be an http(s) URL without spaces", field=field)
    return text

