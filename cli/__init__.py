"""The command line (top layer): ``kiemtin ...`` sub-commands, each a thin adapter over one action."""

from cli.app import app

__all__ = ["app"]
