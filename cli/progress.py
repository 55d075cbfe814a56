"""Progress for long work (training, crawling many sources, big exports, evaluation), drawn with rich on
stderr so that what a command prints on stdout (JSON, file names) stays clean. Nothing is drawn when stderr is
not a terminal (scripts, CI, tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

__all__ = ["Update", "progress"]

Update = Callable[[str, int, int | None], None]  # (what is happening, done, total or None)


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Update]:
    """A progress bar for ``total`` steps (a spinner and a counter when the total is unknown)."""
    console = Console(stderr=True)
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(description, total=total)

        def update(what: str, done: int, of: int | None) -> None:
            bar.update(task, description=what, completed=done, total=of)

        yield update
