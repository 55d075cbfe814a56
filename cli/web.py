"""``kiemtin serve``: the review web app."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import runtime

__all__ = ["serve"]


def serve(host: Annotated[str | None, typer.Option(help="address (default settings.web_host)")] = None,
          port: Annotated[int | None, typer.Option(help="port (default settings.web_port)")] = None) -> None:
    """Serve the review web app (queue, items, decisions, dashboard, audit) until Ctrl-C."""
    from web.server import serve as serve_web

    serve_web(runtime(), host=host, port=port)
