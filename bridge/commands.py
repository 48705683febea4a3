"""CLI commands: `flask users create`, `flask users set-password` (ends the user's sessions),
`flask users deactivate` / `activate`, `flask backup create`,
`flask backup restore`, `flask demo seed`, `flask xero sync-payments` (bridge.xero.scheduling.commands)."""
import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from bridge import backup
from bridge.extensions import db
from bridge.models import ROLES, User

users_cli = AppGroup("users", help="Manage the people who can log in.")


def create_user(email: str, name: str, role: str, password: str) -> User:
    """Add a user; raises ValueError when the email is taken or the role unknown."""
    email = email.strip().lower()
    if role not in ROLES:
        raise ValueError(f"Role must be one of: {', '.join(ROLES)}.")
    if db.session.scalar(select(User).where(func.lower(User.email) == email)):
        raise ValueError(f"A user with the email {email} already exists.")
    user = User(email=email, name=name, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
@click.option("--password", help="Leave out to have a strong one generated and printed once.")
def create_user_command(email, name, role, password):
    """Create a user who can log in."""
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        user = create_user(email, name, role, password)
    except ValueError as error:
        raise click.ClickException(str(error))
    click.echo(f"Created {user.role} {user.email}.")
    if generated:
        click.echo(f"Password (shown once): {password}")


def find_user(email: str) -> User:
    """The user with this email (any case), or a ClickException."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No user with the email {email}.")
    return user


@users_cli.command("set-password")
@click.option("--email", required=True)
def set_password_command(email):
    """Give a user a new generated password, printed once; the user's sessions end."""
    user = find_user(email)
    password = secrets.token_urlsafe(12)
    user.set_password(password)
    db.session.commit()
    click.echo(f"New password for {user.email} (shown once): {password}")
    click.echo("Every session of this user has ended.")


@users_cli.command("deactivate")
@click.option("--email", required=True)
def deactivate_command(email):
    """Stop a user from logging in and end every session of theirs, on every machine."""
    user = find_user(email)
    user.active = False
    user.end_sessions()
    db.session.commit()
    click.echo(f"Deactivated {user.email}; every session of theirs has ended.")


@users_cli.command("activate")
@click.option("--email", required=True)
def activate_command(email):
    """Let a deactivated user log in again."""
    user = find_user(email)
    user.active = True
    db.session.commit()
    click.echo(f"Activated {user.email}.")


backup_cli = AppGroup("backup", help="Back up and restore the SQLite database.")


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_create_command(path):
    """Copy the database to PATH (a new file); safe while the app runs."""
    try:
        copied = backup.create(current_app.config["SQLALCHEMY_DATABASE_URI"], path)
    except backup.BackupError as error:
        raise click.ClickException(str(error))
    click.echo(f"Backed up {copied.tables} tables ({copied.size:,} bytes) to {copied.path}; integrity check ok.")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite an existing database (stop the app first).")
def backup_restore_command(path, replace):
    """Restore the backup at PATH into DATABASE_URL's file. Stop the app first."""
    try:
        copied = backup.restore(path, current_app.config["SQLALCHEMY_DATABASE_URI"], replace=replace)
    except backup.BackupError as error:
        raise click.ClickException(str(error))
    click.echo(f"Restored {copied.tables} tables into {copied.path}; integrity check ok.")


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(backup_cli)
