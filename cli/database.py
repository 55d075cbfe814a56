"""``kiemtin db ...``: database migrations."""

from __future__ import annotations

import typer

from cli.common import runtime
from cli.common import translate as _

__all__ = ["db_app"]

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all database migrations (also done automatically by every command)."""
    rt = runtime(seed=False, migrate=False)
    rt.db.upgrade()
    typer.echo(_("database at revision %(revision)s (%(backend)s)", revision=rt.db.current_revision(),
                 backend=rt.db.url.get_backend_name()))


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision."""
    rt = runtime(seed=False, migrate=False)
    typer.echo(rt.db.current_revision() or _("empty (run `kiemtin db upgrade`)"))

