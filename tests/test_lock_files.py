"""The lock files agree with pyproject.toml, pin everything with hashes, and are what this environment runs."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _pins(name: str) -> dict[str, str]:
    """{package: version} of a lock file, for the pins whose environment marker holds on this interpreter;
    every pin must be exact and carry at least one hash."""
    text = (ROOT / name).read_text(encoding="utf-8").replace("\\\n", " ")
    pins: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        spec, *hashes = line.split(" --hash=")
        req = Requirement(spec.strip())
        assert hashes and all(h.strip().startswith("sha256:") for h in hashes), f"{name}: {req.name} has no hash"
        (pinned,) = req.specifier
        assert pinned.operator == "==", f"{name}: {req} is not an exact pin"
        if req.marker is None or req.marker.evaluate():
            pins[canonicalize_name(req.name)] = pinned.version
    return pins


def _unmet(requirements: list[str], pins: dict[str, str], extras: tuple[str, ...] = ()) -> list[str]:
    unmet = []
    for line in requirements:
        req = Requirement(line)
        if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in extras or ("",)):
            continue
        pinned = pins.get(canonicalize_name(req.name))
        if pinned is None or not req.specifier.contains(pinned, prereleases=True):
            unmet.append(f"{req} (locked: {pinned})")
    return unmet


def test_runtime_lock_satisfies_the_project_dependencies() -> None:
    assert _unmet(PROJECT["dependencies"], _pins("requirements.lock")) == [], "run `make lock`"


def test_dev_lock_adds_the_dev_and_research_extras_with_the_runtime_pins_unchanged() -> None:
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    extras = PROJECT["optional-dependencies"]
    assert _unmet(PROJECT["dependencies"] + extras["dev"] + extras["research"], dev) == [], "run `make lock`"
    assert {name: dev.get(name) for name in runtime} == runtime
    assert "underthesea" in runtime  # explanations of flagged posts segment words with it
    assert "pytest" in dev and "pytest" not in runtime


def test_uv_is_pinned_with_hashes() -> None:
    assert list(_pins("requirements-uv.lock")) == ["uv"]


def test_this_environment_runs_the_locked_versions() -> None:
    """make builds .venv from the locks; a package at another version means the venv did not come from them."""
    pins = _pins("requirements-dev.lock")
    installed = {}
    for name in pins:
        try:
            installed[name] = version(name)
        except PackageNotFoundError:
            installed[name] = None
    assert installed == pins, "this venv was not built from requirements-dev.lock: run `make test` (or rm -rf .venv)"
