"""What every command shares: the configuration, the runtime, who is acting, and how refusals are shown.

Commands are thin adapters: they read options, call one action, print its outcome, and turn an action's
refusal (``review.errors``) into ``error: ...`` on stderr with an exit code per kind (``EXIT_CODES``). They
check no rule themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from config import AppConfig, ConfigError, load_config
from review.actors import CONSOLE_ACTOR, Actor, person
from review.errors import ActionError, Gone, InvalidInput, NotAllowed, NotFound, Refused
from service.runtime import Runtime

__all__ = [
    "EXIT_CODES",
    "AsOption",
    "YesOption",
    "actor_for",
    "fail",
    "load",
    "refusals",
    "runtime",
    "set_config_path",
    "table",
]

AsOption = Annotated[str | None, typer.Option(
    "--as", help="who does this: a person's username (decisions and exports always need one)")]

YesOption = Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")]

_state: dict[str, Path | None] = {"config": None}

#: exit codes of a refused command: 2 a value that cannot be used (like a usage error), 3 the rules or the
#: state forbid it now, 4 no such thing, 5 not allowed for who you are, 6 something kept is gone.
EXIT_CODES: tuple[tuple[type[ActionError], int], ...] = (
    (InvalidInput, 2), (Refused, 3), (NotFound, 4), (NotAllowed, 5), (Gone, 6))


def set_config_path(path: Path | None) -> None:
    _state["config"] = path


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: ...`` (one line per line of ``message``) and return the Exit to raise."""
    for line in message.splitlines() or [""]:
        typer.secho(f"error: {line}", fg="red", err=True)
    return typer.Exit(code)


def load() -> AppConfig:
    """The configuration (``--config``, ``$KIEMTIN_CONFIG`` or kiemtin.toml), or exit with what is wrong."""
    try:
        return load_config(_state["config"])
    except ConfigError as exc:
        raise fail(str(exc)) from None


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


@contextmanager
def refusals() -> Iterator[None]:
    """Turn an action's refusal into ``error: ...`` and its kind's exit code."""
    try:
        yield
    except ActionError as exc:
        raise fail(str(exc), next((code for kind, code in EXIT_CODES if isinstance(exc, kind)), 2)) from None


def _clip(value: object, width: int) -> str:
    text = "-" if value is None or value == "" else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[int]) -> str:
    """A plain-text table with clipped columns."""
    def line(cells: Sequence[object]) -> str:
        return "  ".join(_clip(cell, w).ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])
