"""Sources as ``[[sources]]`` TOML (the shape of kiemtin.toml) and back, and ``key=value`` adapter options.

Pure functions: reading and writing text. The actions that store what they read are in ``service.sources``.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from config import Sentence, SourceConfig, validation_lines
from review.errors import InvalidInput

__all__ = ["FIELDS", "SourceError", "parse_option_pairs", "parse_sources_toml", "sources_to_toml"]

class SourceError(InvalidInput):
    """A source change that cannot be made; the message says why, one line per problem."""

    @classmethod
    def of_lines(cls, lines: Sequence[object]) -> SourceError:
        """One line per problem, each a sentence (``config.Sentence``) said in the reader's language."""
        params = {f"line{i}": line for i, line in enumerate(lines)}
        return cls("\n".join("%(" + name + ")s" for name in params), **params)


FIELDS = ("name", "kind", "url", "schedule", "enabled", "jitter_s", "quiet_hours", "min_delay_s", "concurrency",
          "user_agent", "options")

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, Mapping):
        items = [f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise SourceError(f"cannot write {type(value).__name__} value {value!r} as TOML")


def sources_to_toml(configs: Iterable[SourceConfig], *, header: str = "") -> str:
    """``[[sources]]`` tables for the configs, readable by ``load_config`` and :func:`import_toml`."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for cfg in configs:
        values = cfg.model_dump()
        lines += ["", "[[sources]]"]
        for key in FIELDS:
            value = values.get(key)
            if value is None or (key == "options" and not value):
                continue
            lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines).lstrip("\n") + "\n"


def parse_sources_toml(text: str, *, where: str = "import") -> list[SourceConfig]:
    """The ``[[sources]]`` of a TOML text (a whole kiemtin.toml is fine; other tables are ignored), all
    validated; every problem in the file is reported at once."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourceError("%(where)s: not valid TOML: %(detail)s", where=where, detail=str(exc)) from None
    raw = data.get("sources", [])
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise SourceError("%(where)s: 'sources' must be an array of tables ([[sources]])", where=where)
    configs: list[SourceConfig] = []
    problems: list[object] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        try:
            cfg = SourceConfig.model_validate(item)
        except ValidationError as exc:
            problems += validation_lines(Sentence("%(where)s: sources[%(index)s] (%(name)r)", where=where, index=index,
                                                  name=item.get("name", "?")), exc)
            continue
        if cfg.name in seen:
            problems.append(Sentence("%(where)s: sources[%(index)s]: name %(name)r is used twice", where=where,
                                     index=index, name=cfg.name))
        seen.add(cfg.name)
        configs.append(cfg)
    if problems:
        raise SourceError.of_lines(problems)
    return configs


def parse_option_pairs(pairs: Iterable[str]) -> dict[str, Any]:
    """``key=value`` strings as an options dict; values are read as JSON when they parse (numbers, true,
    lists...), else kept as text."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise SourceError(f"option {pair!r} must look like key=value")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        options[key.strip()] = value
    return options
