"""kiemtin's entry point: the stages wired into one command, ``kiemtin``.

    crawler/ -> store/ -> classifier/ -> review/ (queue, decisions, exports)
    service/ runs them (ingest, crawl jobs, scheduler); web/ and cli/ are how people reach the actions.

Every command reads ``kiemtin.toml`` (or ``--config``/``KIEMTIN_CONFIG``) and applies pending database
migrations before it starts.
"""

from __future__ import annotations

from cli import app

__all__ = ["app", "main"]


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
