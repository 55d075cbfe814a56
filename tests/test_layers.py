"""The shape of the house: imports point down only, and the classifier stays a pure library.

    vntext                                   text for matching (bottom of the bottom)
    crawler  classifier  store  config       the bottom layer (config may validate crawler options)
    review                                   the domain: queue, decisions, appeals, exports, permissions
    service                                  running it: ingest, crawl jobs, scheduler, sources, health
    web  cli                                 how people reach the actions (the CLI may start the web app)
    pipeline.py  research                    the entry point; experiments (not installed)

Every import counts, also one inside a function or under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYER = {"vntext": 0, "crawler": 1, "classifier": 1, "store": 1, "config": 1, "review": 2, "service": 3, "web": 4,
         "cli": 4, "pipeline": 5, "research": 5}
ALSO_ALLOWED = {("config", "crawler"), ("cli", "web")}  # sideways edges, on purpose (see the docstring)
PURE = {"classifier": {"vntext"}, "crawler": {"vntext"}, "vntext": set()}  # project packages they may import


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
    return names & set(LAYER)


def _sources() -> list[tuple[str, Path]]:
    found = [("pipeline", ROOT / "pipeline.py")]
    for package in LAYER:
        folder = ROOT / package
        if folder.is_dir():
            found += [(package, p) for p in sorted(folder.rglob("*.py")) if "migrations" not in p.parts]
    return found


def test_every_package_of_the_project_has_a_layer() -> None:
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    assert packages <= set(LAYER), f"give {sorted(packages - set(LAYER))} a layer in this test"


@pytest.mark.parametrize(("package", "path"), _sources(), ids=lambda v: str(v.relative_to(ROOT)) if isinstance(
    v, Path) else v)
def test_imports_point_down(package: str, path: Path) -> None:
    upward = sorted(name for name in _imports(path) - {package}
                    if LAYER[name] >= LAYER[package] and (package, name) not in ALSO_ALLOWED)
    assert not upward, f"{path.relative_to(ROOT)} ({package}, layer {LAYER[package]}) imports {upward}"


@pytest.mark.parametrize("package", sorted(PURE))
def test_bottom_libraries_import_nothing_of_the_project(package: str) -> None:
    for kind, path in _sources():
        if kind == package:
            extra = _imports(path) - {package} - PURE[package]
            assert not extra, f"{path.relative_to(ROOT)} imports {sorted(extra)}: {package} is a pure library"


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from web.app import create_app\n    import service.runtime\n", encoding="utf-8")
    assert _imports(bad) == {"web", "service"}
