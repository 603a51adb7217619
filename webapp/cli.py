"""`flask --app wsgi users …` and `api-keys …`, as docs/api.md describes them, and
`storage migrate` (docs/deploying.md)."""
import secrets

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.extensions import db
from webapp.infra.storage import get_storage, migrate, storage_for
from webapp.services import ServiceError
from webapp.services.accounts import admin_users, api_keys, users
from webapp.services.workspaces import memberships
from webapp.services.workspaces.roles import ROLES

users_cli = AppGroup("users", help="Manage user accounts.")
api_keys_cli = AppGroup("api-keys", help="Manage API keys.")
storage_cli = AppGroup("storage", help="Move the stored files.")


@users_cli.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Give the user access to the admin pages.")
def create_user(email, password, admin):
    """Create a user; exits non-zero if it exists."""
    try:
        user = users.create_user(email, password, is_admin=admin,
                                    min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message)
    db.session.commit()
    click.echo(f"Created {'admin ' if admin else ''}user {user.email}")


@users_cli.command("ensure-demo")
@click.option("--email", default="admin@example.com", show_default=True)
def ensure_demo(email):
    """Create a demo admin when there is no user at all; print its password once."""
    if users.count_users():
        return
    password = secrets.token_urlsafe(12)
    users.create_user(email, password, is_admin=True,
                         min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    db.session.commit()
    click.echo("")
    click.echo("  A demo admin was created (shown only this once):")
    click.echo(f"    e-mail:   {email}")
    click.echo(f"    password: {password}")
    click.echo("")


def _user_or_fail(email):
    user = users.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with the e-mail address {email}")
    return user


@users_cli.command("disable")
@click.argument("email")
def disable_user(email):
    """Disable a user: their sessions end, log-ins and API keys are refused."""
    user = _user_or_fail(email)
    ended = admin_users.disable(None, user)
    db.session.commit()
    click.echo(f"Disabled {user.email}; {ended} browser session(s) ended")


@users_cli.command("enable")
@click.argument("email")
def enable_user(email):
    """Let a disabled user log in (and use their API keys) again."""
    user = _user_or_fail(email)
    admin_users.enable(user)
    db.session.commit()
    click.echo(f"Enabled {user.email}")


@api_keys_cli.command("create")
@click.argument("email")
@click.option("--name", default="", help="A label to recognise the key by.")
@click.option("--workspace", "workspace_slug", default=None,
              help="The slug of the workspace it acts in (default: the user's personal one).")
@click.option("--role", type=click.Choice(ROLES), default=None,
              help="At most this role (default: the user's role in the workspace).")
def create_api_key(email, name, workspace_slug, role):
    """Print a new API key once; only its hash is stored."""
    user = _user_or_fail(email)
    workspace_id = None
    if workspace_slug is not None:
        workspace = memberships.find_by_slug(workspace_slug)
        if workspace is None:
            raise click.ClickException(f"No workspace with the slug {workspace_slug}")
        workspace_id = workspace.id
    try:
        _, raw = api_keys.create_api_key(user, name, workspace_id, role, via="cli")
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message)
    db.session.commit()
    click.echo(raw)


@storage_cli.command("migrate")
@click.option("--to", "to", required=True, metavar="s3://bucket/prefix",
              help="The bucket to copy into; S3_ENDPOINT_URL and AWS_* settings apply.")
@click.option("--dry-run", is_flag=True, help="List what would be copied; copy nothing.")
@click.option("--checksum", is_flag=True,
              help="Skip only objects whose ETag matches the file's MD5, not just its size.")
def migrate_storage(to, dry_run, checksum):
    """Copy every file of the local store into a bucket; run again to resume.

    Exits non-zero when any file failed to copy."""
    source = get_storage().backend  # the store itself: the migration counts its own failures
    try:
        target = storage_for({**current_app.config, "STORAGE_URL": to})
        items = migrate.plan(source, target, checksum=checksum)
    except ValueError as exc:
        raise click.ClickException(str(exc))
    todo = [item for item in items if item.action == "copy"]
    if dry_run:
        for item in todo:
            click.echo(f"would copy {item.key} ({item.size} bytes, {item.reason})")
        click.echo(f"{len(todo)} to copy, {len(items) - len(todo)} already there (dry run)")
        return
    summary = migrate.Summary(skipped=len(items) - len(todo))
    with click.progressbar(length=sum(item.size for item in todo) or 1,
                           label=f"Copying {len(todo)} file(s) to {to}") as bar:
        migrate.run(source, target, todo, summary, on_item=lambda item: bar.update(item.size))
    for key, error in summary.failed:
        click.echo(f"failed: {key}: {error}", err=True)
    click.echo(f"copied {summary.copied} ({summary.copied_bytes} bytes), "
               f"skipped {summary.skipped}, failed {len(summary.failed)}")
    if summary.failed:
        raise SystemExit(1)


def register(app):
    app.cli.add_command(users_cli)
    app.cli.add_command(api_keys_cli)
    app.cli.add_command(storage_cli)
