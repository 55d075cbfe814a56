"""research/ is run from the repository root, is not installed, and no shipped module imports it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("crawler", "classifier", "store", "review", "config", "service", "pipeline.py")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def test_no_shipped_module_imports_research() -> None:
    files = [p for name in SHIPPED for p in ([ROOT / name] if name.endswith(".py") else (ROOT / name).rglob("*.py"))]
    assert len(files) > 50, files  # the walk found the packages
    offenders = sorted(
        f"{path.relative_to(ROOT)} imports {module}"
        for path in files
        for module in _imported_modules(path)
        if module == "research" or module.startswith("research.")
    )
    assert offenders == []


def test_research_is_not_installed(tmp_path: Path) -> None:
    probe = "import importlib.util, sys; print(importlib.util.find_spec('research') is None)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=_clean_env(),
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True", "research/ must stay out of the installed package"


def test_experiments_run_as_a_module_from_the_repository_root() -> None:
    for module in ("research.experiments", "research.stack_experiments"):
        done = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, env=_clean_env(),
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "--data" in done.stdout, done.stdout
