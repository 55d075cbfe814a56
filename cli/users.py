"""``kiemtin users ...``: people who sign in to the web app (the console may manage them; so may an admin
with ``--as``): add, list, deactivate (asks first), reactivate, role, reset-password (asks first)."""

from __future__ import annotations

import sys
from datetime import UTC
from typing import Annotated

import typer

from cli.common import AsOption, YesOption, actor_for, load, moment, refusals, runtime
from cli.common import translate as _

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
        _("password"), hide_input=True, confirmation_prompt=_("Repeat for confirmation"))
    with refusals():
        user = add_user(runtime(seed=False).db, actor_for(as_user), username=name, password=password, role=role)
    typer.echo(_("created %(role)s %(name)s (pseudonym %(pseudonym)s)", role=_(user.role), name=user.username,
                 pseudonym=user.pseudonym))


@users_app.command("list")
def users_list(as_user: AsOption = None) -> None:
    """List users and their roles."""
    from review.users import people

    with refusals():
        everyone = people(runtime(seed=False).db, actor_for(as_user))
    for user in everyone:
        typer.echo(f"{user.username:<20} {_(user.role):<15} {_('active') if user.active else _('deactivated')}")


@users_app.command("deactivate")
def users_deactivate(name: str, yes: YesOption = False, as_user: AsOption = None) -> None:
    """Deactivate a user: they are signed out everywhere at once and cannot sign in until reactivated."""
    from review.users import deactivate_user

    if not yes:
        typer.confirm(_("deactivate %(name)s? They are signed out everywhere at once", name=name), abort=True)
    with refusals():
        user, changed = deactivate_user(runtime(seed=False).db, actor_for(as_user), name)
    typer.echo(_("%(name)s: deactivated", name=user.username) if changed else
               _("%(name)s: was already deactivated", name=user.username))


@users_app.command("reactivate")
def users_reactivate(name: str, as_user: AsOption = None) -> None:
    """Let a deactivated user sign in again."""
    from review.users import reactivate_user

    with refusals():
        user, changed = reactivate_user(runtime(seed=False).db, actor_for(as_user), name)
    typer.echo(_("%(name)s: reactivated", name=user.username) if changed else
               _("%(name)s: was already active", name=user.username))


@users_app.command("role")
def users_role(name: str, role: Annotated[str, typer.Argument(help="analyst, operator, reviewer or admin")],
               as_user: AsOption = None) -> None:
    """Give a user another role (it counts from their next click)."""
    from review.users import change_role

    with refusals():
        user, before = change_role(runtime(seed=False).db, actor_for(as_user), name, role)
    typer.echo(f"{user.username}: {_(before)} -> {_(user.role)}" if before != user.role else
               _("%(name)s: was already %(role)s", name=user.username, role=_(user.role)))


@users_app.command("reset-password")
def users_reset_password(name: str, yes: YesOption = False, as_user: AsOption = None) -> None:
    """Print a one-time link with which the user chooses a new password; their old password stops working and
    they are signed out everywhere."""
    from datetime import timedelta

    from review.users import issue_password_reset

    settings = load().settings
    if not yes:
        typer.confirm(_("reset the password of %(name)s? Their current password stops working at once", name=name),
                      abort=True)
    with refusals():
        link = issue_password_reset(runtime(seed=False).db, actor_for(as_user), name,
                                    valid_for=timedelta(hours=settings.reset_link_hours))
    typer.echo(_("%(name)s: hand over this link, valid once until %(time)s UTC:", name=link.username,
                 time=moment(link.expires_at, zone=UTC)))

    typer.echo(f"  http://{settings.web_host}:{settings.web_port}{link.path}")
    typer.echo("  " + _("(on the address people use for the web app, if that is another one)"))
