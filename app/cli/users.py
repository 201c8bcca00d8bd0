"""``qa users``: the accounts of a shared server, their roles and API tokens (``app.accounts``)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from app.cli.common import HomeOpt, app, assistant_for, run

users = typer.Typer(help="Accounts of a shared `qa serve`: reader (asks), editor (also uploads, removes, feeds), "
                         "admin (also users).", no_args_is_help=True)
app.add_typer(users, name="users")
StdinOpt = Annotated[bool, typer.Option("--password-stdin", help="read the password from standard input (no prompt)")]


def _accounts(home):
    from app.accounts import Accounts

    a = assistant_for(home)
    return Accounts(a.paths.home, a.settings.server.auth)


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("password", hide_input=True, confirmation_prompt=True)


@users.command("add")
def add(name: Annotated[str, typer.Argument(help="the user's login name")],
        role: Annotated[str, typer.Option("--role", help="reader, editor or admin")] = "reader",
        password_stdin: StdinOpt = False, home: HomeOpt = None):
    """Add a user (the password is asked for, or read with --password-stdin)."""
    def body():
        acc = _accounts(home)
        acc.add(name, role, _password(password_stdin))
        typer.echo(f"added {name} ({role})")

    run(body)


@users.command("list")
def list_users(home: HomeOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False):
    """The users, their roles and how many tokens each has."""
    def body():
        rows = _accounts(home).list()
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
            return
        if not rows:
            typer.echo("no users: the server needs no login (add one with `qa users add NAME --role admin`)")
        for r in rows:
            typer.echo(f"{r['name']}\t{r['role']}\ttokens: {r['tokens']}" + (f"\t({r['from']})" if r.get("from") else ""))

    run(body)


@users.command("remove")
def remove(name: Annotated[str, typer.Argument()], home: HomeOpt = None):
    """Remove a user (its tokens stop working)."""
    def body():
        _accounts(home).remove(name)
        typer.echo(f"removed {name}")

    run(body)


@users.command("passwd")
def passwd(name: Annotated[str, typer.Argument()], password_stdin: StdinOpt = False, home: HomeOpt = None):
    """Set a user's password."""
    def body():
        acc = _accounts(home)
        acc.passwd(name, _password(password_stdin))
        typer.echo(f"password of {name} changed")

    run(body)


@users.command("token")
def token(name: Annotated[str, typer.Argument()], home: HomeOpt = None):
    """Make an API token for a user (printed once: send it as `Authorization: Bearer TOKEN`)."""
    def body():
        typer.echo(_accounts(home).token(name))

    run(body)
