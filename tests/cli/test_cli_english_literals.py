"""No command shows an English sentence outside the catalog: every string a cli/ module prints, asks, shows in a
progress bar or a table goes through ``_()`` (``cli.common.translate``), so that ``--lang vi`` reads Vietnamese.
Machine output (JSON, ids, file names) holds no literal words."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

CLI_DIR = Path(__file__).resolve().parents[2] / "cli"
#: calls whose first argument a person reads: printed, asked, shown in a progress bar, or an ``error:`` line
SHOWN = {"echo", "secho", "print", "confirm", "prompt", "fail", "progress", "add_task"}
#: the same, called by their bare name only (``update`` is a progress bar's callback, ``dict.update`` is not)
SHOWN_BARE = {"update"}
#: calls whose arguments are the table a person reads (headers, rows)
TABLES = {"table"}
#: calls whose arguments are not read as words: the catalog's msgid, JSON for machines, a number or a moment
SKIPPED = {"_", "translate", "translated", "N_", "gettext", "ngettext", "dumps", "number", "moment", "strftime",
           "format_scientific", "get"}
#: words that read the same in every language
NEUTRAL = {"sha256", "url", "utc", "http", "https", "id", "mb", "ict", "kiemtin", "json"}


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _english(node: ast.AST) -> list[ast.Constant]:
    """String literals with words in ``node``, outside ``_()`` and the other skipped calls and outside keys
    (``row["name"]``)."""
    if isinstance(node, ast.Call) and _name(node.func) in SKIPPED:
        return []
    if isinstance(node, ast.Subscript):
        return _english(node.value)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        words = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9]+", node.value)} - NEUTRAL
        return [node] if words else []
    return [text for child in ast.iter_child_nodes(node) for text in _english(child)]


def english_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of every English literal a person would read, in a module's source."""
    found: dict[int, ast.Constant] = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        shown = (node.args[:1] if name in SHOWN or (name in SHOWN_BARE and isinstance(node.func, ast.Name))
                 else node.args if name in TABLES else [])
        found.update((id(c), c) for arg in shown for c in _english(arg))
    ordered = sorted(found.values(), key=lambda c: (c.lineno, c.col_offset))
    return [(c.lineno, str(c.value)) for c in ordered]




def test_the_check_sees_english_outside_the_catalog() -> None:
    source = '''
typer.echo("no sources")
typer.echo(f"{name}: paused")
typer.echo(_("%(name)s: paused", name=name) if changed else f"{name}: was already paused")
typer.echo("  " + _("secret: %(s)s", s=s) + f"  sha256 {h}")
typer.echo(json.dumps({"label": 1}))
typer.echo(table(("name", "kind"), [(c["name"], "yes")], (5, 5)))
raise fail(_("no source named %(name)r", name=x))
with progress("crawling") as update: update(f"{n:,} rows written", n, None)
'''
    assert [text for _line, text in english_literals(source)] == [
        "no sources", ": paused", ": was already paused", "name", "kind", "yes", "crawling", " rows written"]


@pytest.mark.parametrize("path", sorted(CLI_DIR.glob("*.py")), ids=lambda p: p.name)
def test_every_message_a_command_shows_goes_through_the_catalog(path: Path) -> None:
    found = english_literals(path.read_text(encoding="utf-8"))
    assert not found, f"cli/{path.name}: wrap in _(...): {found[:5]}"
