"""What every command shares: the configuration, the runtime, who is acting, and how refusals are shown.

Commands are thin adapters: they read options, call one action, print its outcome, and turn an action's
refusal (``review.errors``) into ``error: ...`` on stderr with an exit code per kind (``EXIT_CODES``). They
check no rule themselves.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Annotated

import typer

from config import SCHEDULE_ZONE, AppConfig, ConfigError, load_config
from config.i18n import DEFAULT_LANGUAGE, usable_language
from review.actors import CONSOLE_ACTOR, Actor, person
from review.errors import ActionError, Gone, InvalidInput, NotAllowed, NotFound, Refused
from service.runtime import Runtime
from web.i18n import format_moment, format_number, gettext, said

__all__ = [
    "EXIT_CODES",
    "AsOption",
    "YesOption",
    "actor_for",
    "fail",
    "language",
    "load",
    "moment",
    "number",
    "refusals",
    "runtime",
    "set_config_path",
    "set_language",
    "translate",
    "translated",

    "table",
]

AsOption = Annotated[str | None, typer.Option(
    "--as", help="who does this: a person's username (decisions and exports always need one)")]

YesOption = Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")]

_state: dict[str, Path | str | None] = {"config": None, "lang": None, "resolved": None}

#: exit codes of a refused command: 2 a value that cannot be used (like a usage error), 3 the rules or the
#: state forbid it now, 4 no such thing, 5 not allowed for who you are, 6 something kept is gone.
EXIT_CODES: tuple[tuple[type[ActionError], int], ...] = (
    (InvalidInput, 2), (Refused, 3), (NotFound, 4), (NotAllowed, 5), (Gone, 6))


def set_config_path(path: Path | None) -> None:
    _state["config"], _state["resolved"] = path, None


def set_language(code: str | None) -> None:
    """``--lang``: the language of messages for people (else the setting ``ui_language``)."""
    _state["lang"] = _state["resolved"] = None
    if code is not None and usable_language(code) is None:
        raise fail(translate("unknown language %(code)r; choose vi or en", code=code))
    _state["lang"] = usable_language(code)


def language() -> str:
    """``--lang``, else the setting ``ui_language`` (``$KIEMTIN_UI_LANGUAGE`` wins over the file), else vi."""
    chosen = _state["lang"] or _state["resolved"]
    if isinstance(chosen, str):
        return chosen
    try:
        found = usable_language(load_config(_config_path()).settings.ui_language) or DEFAULT_LANGUAGE
    except ConfigError:  # the configuration's own error is said by load(), in the variable's language if set
        return usable_language(os.environ.get("KIEMTIN_UI_LANGUAGE")) or DEFAULT_LANGUAGE
    _state["resolved"] = found  # read once per command (set_language starts each one afresh)
    return found


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: ...`` (``lỗi: ...`` in Vietnamese; one line per line of ``message``) and return the Exit to
    raise."""
    for line in message.splitlines() or [""]:
        typer.secho(translate("error: %(message)s", message=line), fg="red", err=True)
    return typer.Exit(code)


def load() -> AppConfig:
    """The configuration (``--config``, ``$KIEMTIN_CONFIG`` or kiemtin.toml), or exit with what is wrong."""
    try:
        return load_config(_config_path())
    except ConfigError as exc:
        raise fail(said(exc, language())) from None


def _config_path() -> Path | None:
    path = _state["config"]
    return path if isinstance(path, Path) else None


def runtime(*, seed: bool = True, migrate: bool = True) -> Runtime:
    """The runtime on the configured database (migrated), with the file's sources seeded unless ``seed=False``."""
    from service.sources import seed_from_config

    config = load()
    rt = Runtime.open(config, migrate=migrate)
    if seed and config.sources:
        seed_from_config(rt, config.sources)
    return rt


def actor_for(as_user: str | None) -> Actor:
    """``--as USERNAME`` as that person (the action checks they exist, are active and may act), else the
    console."""
    return person(as_user.strip()) if as_user and as_user.strip() else CONSOLE_ACTOR


def translate(message: str, /, **params: object) -> str:
    """``message`` (English, with ``%(name)s`` placeholders) in the CLI's language; modules import it as ``_``."""
    return gettext(language(), message, **params)


def translated(value: object) -> str:
    """A refusal (``ActionError``) or a label marked ``N_`` elsewhere, in the CLI's language."""
    return said(value, language())


def number(value: int | float | None, digits: int | None = None, *, scientific: bool = False) -> str:
    """A number for people in the CLI's language: 12.345 and 0,50 (vi), 12,345 and 0.50 (en), a p-value 1,2E-5
    with ``scientific``; "-" for None."""
    return "-" if value is None else format_number(value, language(), digits, scientific=scientific)



def moment(value: datetime | None, *, zone: tzinfo = SCHEDULE_ZONE, year: bool = True, seconds: bool = False,
           with_time: bool = True) -> str:
    """A moment for people in the CLI's language, in Vietnam time unless ``zone`` says otherwise (naive means
    UTC, as stored): "23:30 01/05/2024" (vi), "2024-05-01 23:30" (en); "-" for None."""
    if value is None:
        return "-"
    local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)
    return format_moment(local, language(), year=year, seconds=seconds, with_time=with_time)


@contextmanager
def refusals() -> Iterator[None]:
    """Turn an action's refusal into ``error: ...`` and its kind's exit code."""
    try:
        yield
    except ActionError as exc:
        raise fail(said(exc, language()), next((code for kind, code in EXIT_CODES if isinstance(exc, kind)), 2)) \
            from None


def _clip(value: object, width: int) -> str:
    text = "-" if value is None or value == "" else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[int]) -> str:
    """A plain-text table with clipped columns (each at least as wide as its heading, in any language)."""
    widths = [max(w, len(str(h))) for h, w in zip(headers, widths, strict=True)]

    def line(cells: Sequence[object]) -> str:

        return "  ".join(_clip(cell, w).ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])
