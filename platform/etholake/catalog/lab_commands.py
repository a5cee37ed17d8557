"""CLI commands that manage who may read and write a lab: ``labs list|members|add-member|remove-member``."""

from __future__ import annotations

import typer

from etholake.catalog import open_catalog
from etholake.config import load_settings
from etholake.tables import OutputFormat, print_frame

labs_app = typer.Typer(
    help="The labs, your role in each, and their members (owners change roles).", no_args_is_help=True
)
FORMAT = typer.Option(OutputFormat.table, "--format", help="table, csv or json.")
ROLE_HELP = "owner (changes roles), member (reads and writes) or viewer (reads)."


@labs_app.command("list")
def labs_list(output: OutputFormat = FORMAT) -> None:
    """Every lab in the catalog and your role in it (empty where you have none)."""
    user = load_settings().user
    with open_catalog() as catalog:
        frame = catalog.labs(user)
    print_frame(frame, output, title=f"roles of {user}")


@labs_app.command("members")
def labs_members(lab: str = typer.Argument(..., help="The lab."), output: OutputFormat = FORMAT) -> None:
    """The users with a role in a lab (only its members may list them)."""
    with open_catalog() as catalog:
        frame = catalog.members(load_settings().user, lab)
    print_frame(frame, output, title=f"members of {lab}")


@labs_app.command("add-member")
def labs_add_member(
    lab: str = typer.Argument(..., help="The lab."),
    user: str = typer.Argument(..., help="The user to give the role to."),
    role: str = typer.Option("member", help=ROLE_HELP),
) -> None:
    """Give a user a role in a lab, or change the role they have (owners only)."""
    with open_catalog() as catalog:
        catalog.add_member(load_settings().user, lab, user, role)
    typer.echo(f"{user} is now {'an' if role == 'owner' else 'a'} {role} of lab {lab}")


@labs_app.command("remove-member")
def labs_remove_member(
    lab: str = typer.Argument(..., help="The lab."), user: str = typer.Argument(..., help="The user.")
) -> None:
    """Take a user's role in a lab away (owners only; a lab keeps at least one owner)."""
    with open_catalog() as catalog:
        role = catalog.remove_member(load_settings().user, lab, user)
    typer.echo(f"{user} is no longer {'an' if role == 'owner' else 'a'} {role} of lab {lab}")


def register(app: typer.Typer) -> None:
    """Add the ``labs`` commands to the etholake CLI."""
    app.add_typer(labs_app, name="labs")
