"""``--help`` in the CLI's language: the English help texts of the commands and options are the catalog's msgids.

``HelpGroup`` (the ``kiemtin`` group's class) reads ``--lang`` and ``--config`` from the arguments before the
command, since ``kiemtin --lang en --help`` is shown before the main callback runs, then puts the command tree
in that language (``localize``): every help text, short help and epilog of a command or group, every option's and
argument's help, and the words Typer and Click print around them (Usage, Options, Commands, Error, ...). Click's
usage errors are English sentences only: the common ones are recognised by their shape (``USAGE_ERRORS``) and said
again in the language; another stays as Click words it.
Option names, metavars, choices and defaults stay as they are. The texts are shown as written (escaped
for Typer's rich markup, which no kiemtin help text uses).

The texts reach the catalog by the same walk (``extract_help``, a Babel extraction method named in babel.cfg), so a
new help text needs no marking; tests/cli/test_cli_help_i18n.py fails until it has Vietnamese. A docstring's msgid
is the text Click holds (``inspect.cleandoc``'d): its first paragraph is the short help of the command list.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import typer
import typer.core
import typer.main
from rich.markup import escape
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer._click.formatting import HelpFormatter
from typer.core import TyperGroup

from cli.common import language, set_config_path, set_language
from config.i18n import N_, usable_language
from web.i18n import gettext

if TYPE_CHECKING:
    from typer._click import Command, Context, Parameter

__all__ = ["CLICK_WORDS", "RICH_WORDS", "USAGE_ERRORS", "HelpGroup", "extract_help", "help_texts", "localize",
           "said_usage_error"]

#: the fixed words of Typer's rich help and error panels (``typer.rich_utils`` constants) in English
RICH_WORDS: dict[str, str] = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"), "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"), "ERRORS_PANEL_TITLE": N_("Error"), "ABORTED_TEXT": N_("Aborted."),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
    "DEFAULT_STRING": N_("[default: {}]"), "ENVVAR_STRING": N_("[env var: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"), "DEPRECATED_STRING": N_("(deprecated) "),
}
#: the words Typer's core passes through gettext (``typer.core._``), and Click's own literal ones we can reach
CLICK_WORDS: tuple[str, ...] = (N_("No such command {name!r}."), N_("Missing command."), N_("Usage: "),
                                N_("Show this message and exit."), N_("Aborted!"))
#: Click's usage errors, which it words in English only: the shape of each message and its sentence in the catalog
#: (what Click puts inside, like "Input should be ..." of a value it cannot use, stays as Click says it)
USAGE_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern, re.DOTALL), template) for pattern,
                                                              template in (
    (r"Missing argument (?P<name>.+)\.", N_("Missing argument %(name)s.")),
    (r"Missing option (?P<name>.+)\.", N_("Missing option %(name)s.")),
    (r"No such option: (?P<name>\S+)", N_("No such option: %(name)s")),
    (r"No such option: (?P<name>\S+) \(Possible options: (?P<names>.+)\)",
     N_("No such option: %(name)s (Possible options: %(names)s)")),
    (r"Option (?P<name>'[^']+') requires an argument\.", N_("Option %(name)s requires an argument.")),
    (r"Option (?P<name>'[^']+') does not take a value\.", N_("Option %(name)s does not take a value.")),
    (r"Option (?P<name>'[^']+') requires (?P<n>\d+) arguments\.", N_("Option %(name)s requires %(n)s arguments.")),
    (r"Argument (?P<name>'[^']+') takes (?P<n>\d+) values\.", N_("Argument %(name)s takes %(n)s values.")),
    (r"Missing parameter (?P<name>.+)\.", N_("Missing parameter %(name)s.")),
    (r"Got unexpected extra argument\(s\) \((?P<args>.*)\)", N_("Got unexpected extra argument(s) (%(args)s)")),
    (r"Invalid value for (?P<name>.+?): (?P<problem>.+)", N_("Invalid value for %(name)s: %(problem)s")),
    (r"(?P<message>.+)\. Did you mean (?P<names>.+)\?", N_("%(message)s. Did you mean %(names)s?")),
    # what is wrong with a value (the problem of "Invalid value for ...")
    *((re.escape(text), text) for text in (N_("Input should be a valid integer, unable to parse string as an integer"),
                                            N_("Input should be a valid number, unable to parse string as a number"))),
    (r"Input should be greater than or equal to (?P<n>\S+)", N_("Input should be greater than or equal to %(n)s")),
    (r"Input should be less than or equal to (?P<n>\S+)", N_("Input should be less than or equal to %(n)s")),
    (r"Input should be greater than (?P<n>\S+)", N_("Input should be greater than %(n)s")),
    (r"Input should be less than (?P<n>\S+)", N_("Input should be less than %(n)s")),
    *((re.escape(text), text) for text in (N_("Input should be a valid integer"), N_("Input should be a valid number"),
                                            N_("Input should be a valid boolean, unable to interpret input"))),
    (r"(?P<value>'.*') is not one of (?P<choices>.+)\.", N_("%(value)s is not one of %(choices)s.")),
    (r"Value (?P<value>.+) is not a valid (?P<type>\w+)\.", N_("Value %(value)s is not a valid %(type)s.")),
    # a path given to an option (the label, "File", "Directory" or "Path", is said in the language too)
    (r"(?P<label>File|Directory|Path) (?P<path>'.*') does not exist\.", N_("%(label)s %(path)s does not exist.")),
    (r"(?P<label>File|Directory|Path) (?P<path>'.*') is a file\.", N_("%(label)s %(path)s is a file.")),
    (r"(?P<label>File|Directory|Path) (?P<path>'.*') is a directory\.", N_("%(label)s %(path)s is a directory.")),
    (r"(?P<label>File|Directory|Path) (?P<path>'.*') is not readable\.", N_("%(label)s %(path)s is not readable.")),
    (r"(?P<label>File|Directory|Path) (?P<path>'.*') is not writable\.", N_("%(label)s %(path)s is not writable.")),
))
#: the kinds of path Typer names in its errors
PATH_LABELS = {"File": N_("File"), "Directory": N_("Directory"), "Path": N_("Path")}
#: the text fields of a command or group, and of an option or argument
_COMMAND_TEXTS = ("help", "short_help", "epilog")
_PARAM_TEXTS = ("help",)


class _Formatter(HelpFormatter):
    """Click's help formatter with "Usage:" in the language of the last ``localize``."""

    usage = "Usage: "

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, self.usage if prefix is None else prefix)


class _Context(typer.Context):
    formatter_class = _Formatter


class HelpGroup(TyperGroup):
    """The ``kiemtin`` group: translates the command tree for the language before parsing the arguments."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        config, lang = _leading_options(argv)
        set_config_path(Path(config) if config else None)
        set_language(usable_language(lang))  # an unknown one is refused by the main callback, in words
        localize(self, language())
        return super().main(argv, *rest, **extra)

    def make_context(self, *args: Any, **kwargs: Any) -> Context:
        with _usage_errors_said():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Context) -> Any:
        with _usage_errors_said():  # the commands' own arguments are parsed here
            return super().invoke(ctx)


@contextmanager
def _usage_errors_said() -> Iterator[None]:
    """A usage error of Click's, said again in the CLI's language (shown by Typer with the usage and the hint)."""
    try:
        yield
    except NoArgsIsHelpError:
        raise
    except UsageError as exc:
        said = said_usage_error(exc.format_message(), language())
        if said is None:
            raise
        raise UsageError(said, exc.ctx) from None


def said_usage_error(message: str, lang: str) -> str | None:
    """``message``, one of Click's usage errors (``USAGE_ERRORS``), in ``lang``; None for another message."""
    for pattern, template in USAGE_ERRORS:
        if found := pattern.fullmatch(message):
            params = found.groupdict()
            if "problem" in params:
                params["problem"] = said_usage_error(params["problem"], lang) or params["problem"]
            if "label" in params:
                params["label"] = gettext(lang, PATH_LABELS[params["label"]])
            return gettext(lang, template, **params)
    return None


def _leading_options(args: Sequence[str]) -> tuple[str | None, str | None]:
    """``--config``/``-c`` and ``--lang`` among the arguments before the command (the last one wins), as given."""
    found: dict[str, str | None] = {"--config": None, "--lang": None}
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "--":
        name, sep, value = args[i].partition("=")
        if name.startswith("-c") and len(name) > 2 and not name.startswith("--"):  # -cPATH
            name, sep, value = "-c", "=", args[i][2:]
        name = "--config" if name == "-c" else name
        if name in found and sep:
            found[name] = value
        elif name in found and i + 1 < len(args):
            found[name] = args[i + 1]
            i += 1
        i += 1
    return found["--config"], found["--lang"]


def localize(root: Command, lang: str) -> None:
    """Put ``root``'s tree and Typer's own words in ``lang``; the English is kept, so it can be done again."""
    from typer import rich_utils

    for name, word in RICH_WORDS.items():
        setattr(rich_utils, name, gettext(lang, word))
    # Typer's gettext hook ("No such command", "Missing command")
    setattr(typer.core, "_", partial(gettext, lang))  # noqa: B010
    _Formatter.usage = gettext(lang, "Usage: ")
    for command in _commands(root):
        command.context_class = _Context
        for thing, fields in _texts(command):
            for field, english in _english(thing, fields).items():
                if english:  # shown as written: Typer's rich help would read "[[sources]]" as markup
                    setattr(thing, field, escape(gettext(lang, english)))


def _english(thing: object, fields: Sequence[str]) -> dict[str, str | None]:
    """The English texts of ``thing`` (kept aside the first time it is translated)."""
    kept: dict[str, str | None] = thing.__dict__.setdefault(
        "_english_help", {field: getattr(thing, field, None) for field in fields})
    return kept


def _texts(command: Command) -> Iterator[tuple[Command | Parameter, Sequence[str]]]:
    """A command and its options and arguments (with its ``--help``, which Click makes when first asked), each
    with the fields that hold words."""
    yield command, _COMMAND_TEXTS
    help_option = command.get_help_option(_Context(command))
    for param in [*command.params, *([help_option] if help_option is not None else [])]:
        yield param, _PARAM_TEXTS


def _commands(command: Command) -> Iterator[Command]:
    """``command`` and every command and group below it."""
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _commands(sub)


def help_texts() -> Iterator[tuple[str, str]]:
    """Every help text of the ``kiemtin`` command tree, in English, with the cli module that defines it (a
    command's callback's module; for a group without a callback, the module of its ``typer.Typer``)."""
    from cli.app import app

    groups = {text: name for name, module in sorted(sys.modules.items()) if name.startswith("cli.")
              for value in vars(module).values() if isinstance(value, typer.Typer)
              for text in [value.info.help] if isinstance(text, str)}
    for command in _commands(typer.main.get_command(app)):
        where = getattr(command.callback, "__module__", None) or groups.get(command.help or "", __name__)
        for thing, fields in _texts(command):
            for text in _english(thing, fields).values():
                if text:
                    yield text, where


def extract_help(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple[Any, ...]]:
    """Babel extraction for a cli/ module: its ``_()`` and ``N_()`` strings, and the help texts it defines."""
    from babel.messages.extract import extract_python

    yield from extract_python(fileobj, keywords, comment_tags, options)
    module = "cli." + Path(str(getattr(fileobj, "name", ""))).stem
    for text in dict.fromkeys(text for text, where in help_texts() if where == module):
        yield 1, None, text, []
