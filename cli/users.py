"""``kiemtin users ...``: people who sign in to the web app (the console may manage them; so may an admin
with ``--as``)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cli.common import AsOption, actor_for, refusals, runtime

__all__ = ["users_app"]

users_app = typer.Typer(help="People who sign in to the web app.", no_args_is_help=True)


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help="analyst, operator, reviewer or admin")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False,
    as_user: AsOption = None,
) -> None:
    """Create a user (the password is asked for, hidden, unless --password-stdin)."""
    from review.users import add_user

    password = sys.stdin.readline().rstrip("\n") if password_stdin else typer.prompt(
        "password", hide_input=True, confirmation_prompt=True)
    with refusals():
        user = add_user(runtime(seed=False).db, actor_for(as_user), username=name, password=password, role=role)
    typer.echo(f"created {user.role} {user.username} (pseudonym {user.pseudonym})")


@users_app.command("list")
def users_list(as_user: AsOption = None) -> None:
    """List users and their roles."""
    from review.users import people

    with refusals():
        everyone = people(runtime(seed=False).db, actor_for(as_user))
    for user in everyone:
        typer.echo(f"{user.username:<20} {user.role:<9} {'active' if user.active else 'deactivated'}")


@users_app.command("deactivate")
def users_deactivate(name: str, as_user: AsOption = None) -> None:
    """Deactivate a user: they are signed out everywhere at once and cannot sign in again."""
    from review.users import deactivate_user

    with refusals():
        user, changed = deactivate_user(runtime(seed=False).db, actor_for(as_user), name)
    typer.echo(f"{user.username}: deactivated" if changed else f"{user.username}: was already deactivated")
