"""What is wrong with a configuration value, kept as English ``template`` and ``params`` for people's languages.

Pydantic says a value's problem in English (``msg``) with a ``type`` and its ``ctx``; :func:`validation_lines` turns
each into a :class:`Sentence` whose English is exactly Pydantic's, so that ``web.i18n.said`` can say it in the
reader's language. Our own validators raise :class:`ConfigValueError`, a ``ValueError`` carrying its sentence too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from config.i18n import N_

__all__ = ["ConfigValueError", "Sentence", "validation_lines"]


class Sentence:
    """A sentence for people: English ``template`` and ``params`` (a param may be a Sentence too)."""

    def __init__(self, template: str, /, **params: object) -> None:
        self.template, self.params = template, params

    def __str__(self) -> str:
        return self.template % self.params if self.params else self.template

    def __repr__(self) -> str:
        return f"Sentence({str(self)!r})"


class ConfigValueError(ValueError):
    """A value our validators refuse: ``ConfigValueError("unknown time zone %(zone)r", zone=name)``."""

    def __init__(self, message: str, /, **params: object) -> None:
        self.template, self.params = message, params
        super().__init__(message % params if params else message)


def _plain(template: str) -> Callable[[Mapping[str, Any]], Sentence]:
    return lambda ctx: Sentence(template)


def _number(value: object) -> object:
    """A bound as Pydantic writes it: 1.0 as 1."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _bound(template: str, key: str) -> Callable[[Mapping[str, Any]], Sentence]:
    return lambda ctx: Sentence(template, n=_number(ctx[key]))


def _length(one: str, many: str, key: str) -> Callable[[Mapping[str, Any]], Sentence]:
    return lambda ctx: Sentence(one) if ctx[key] == 1 else Sentence(many, n=ctx[key])


def _choices(ctx: Mapping[str, Any]) -> Sentence:
    first, _, last = str(ctx["expected"]).rpartition(" or ")
    expected: object = Sentence(N_("%(first)s or %(last)s"), first=first, last=last) if first else last
    return Sentence(N_("Input should be %(expected)s"), expected=expected)


def _value_error(ctx: Mapping[str, Any]) -> Sentence:
    error = ctx.get("error")
    template = getattr(error, "template", None)
    if isinstance(template, str):
        return Sentence(template, **dict(getattr(error, "params", None) or {}))
    return Sentence("%(error)s", error=str(error))  # a message of another package (a source kind's options)


#: Pydantic error type -> its English message (word for word) as a sentence, from the error's ctx
_PYDANTIC: dict[str, Callable[[Mapping[str, Any]], Sentence]] = {
    "missing": _plain(N_("Field required")),
    "extra_forbidden": _plain(N_("Extra inputs are not permitted")),
    "int_parsing": _plain(N_("Input should be a valid integer, unable to parse string as an integer")),
    "int_type": _plain(N_("Input should be a valid integer")),
    "int_from_float": _plain(N_("Input should be a valid integer, got a number with a fractional part")),
    "float_parsing": _plain(N_("Input should be a valid number, unable to parse string as a number")),
    "float_type": _plain(N_("Input should be a valid number")),
    "finite_number": _plain(N_("Input should be a finite number")),
    "bool_parsing": _plain(N_("Input should be a valid boolean, unable to interpret input")),
    "bool_type": _plain(N_("Input should be a valid boolean")),
    "string_type": _plain(N_("Input should be a valid string")),
    "list_type": _plain(N_("Input should be a valid list")),
    "dict_type": _plain(N_("Input should be a valid dictionary")),
    "model_type": lambda ctx: Sentence(N_("Input should be a valid dictionary or instance of %(name)s"),
                                       name=ctx["class_name"]),
    "greater_than_equal": _bound(N_("Input should be greater than or equal to %(n)s"), "ge"),
    "less_than_equal": _bound(N_("Input should be less than or equal to %(n)s"), "le"),
    "greater_than": _bound(N_("Input should be greater than %(n)s"), "gt"),
    "less_than": _bound(N_("Input should be less than %(n)s"), "lt"),
    "string_too_short": _length(N_("String should have at least 1 character"),
                                N_("String should have at least %(n)s characters"), "min_length"),
    "string_too_long": _length(N_("String should have at most 1 character"),
                               N_("String should have at most %(n)s characters"), "max_length"),
    "string_pattern_mismatch": lambda ctx: Sentence(N_("String should match pattern '%(pattern)s'"),
                                                    pattern=ctx["pattern"]),
    "literal_error": _choices,
    "url_parsing": lambda ctx: Sentence(N_("Input should be a valid URL, %(error)s"), error=ctx["error"]),
    "value_error": _value_error,
}


def _problem(error: Mapping[str, Any]) -> Sentence:
    """The error's message as a sentence; Pydantic's English as it is when its type is not known here."""
    english = str(error["msg"]).removeprefix("Value error, ")
    make = _PYDANTIC.get(str(error["type"]))
    try:
        sentence = make(error.get("ctx") or {}) if make else None
    except (KeyError, TypeError, ValueError):
        sentence = None
    if sentence is None or str(sentence) != english:  # never say in English other words than Pydantic's
        return Sentence("%(error)s", error=english)
    return sentence


def validation_lines(where: object, exc: ValidationError) -> list[Sentence]:
    """One sentence per problem: ``where: field.path: problem`` (``where`` a string or itself a Sentence)."""
    lines = []
    for error in exc.errors():
        loc = ".".join(f"[{part}]" if isinstance(part, int) else str(part) for part in error["loc"])
        field: object = loc.replace(".[", "[") or Sentence(N_("(top level)"))
        lines.append(Sentence("%(where)s: %(field)s: %(problem)s", where=where, field=field, problem=_problem(error)))
    return lines
