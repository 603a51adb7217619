"""Workspaces and who is in them: the personal workspace of sign-up, the caller's list,
the current one of a browser."""
import re

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Workspace, WorkspaceMember
from webapp.services import ServiceError
from webapp.services.workspaces.roles import OWNER

MAX_NAME = 100


def slug_base(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "workspace"


def check_name(name):
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ServiceError(f"Give the workspace a name of 1 to {MAX_NAME} characters, on one line.",
                           fields={"name": "required, at most 100 characters"}, status=422)
    return name


def create_workspace(user, name, personal=False):
    """A new workspace with `user` as its owner. The slug ends in the id, so it is unique
    without a retry loop."""
    workspace = Workspace(name=check_name(name), slug=f"tmp-{id(user)}", personal=personal)
    db.session.add(workspace)
    db.session.flush()
    workspace.slug = f"{slug_base(name)}-{workspace.id}"
    db.session.add(WorkspaceMember(workspace_id=workspace.id, user_id=user.id, role=OWNER))
    db.session.flush()
    return workspace


def create_personal(user):
    return create_workspace(user, user.email.split("@")[0][:MAX_NAME], personal=True)


def workspaces_of(user_id):
    """[(Workspace, role)] of the user, personal first, then by name."""
    return db.session.execute(
        select(Workspace, WorkspaceMember.role)
        .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
        .where(WorkspaceMember.user_id == user_id)
        .order_by(Workspace.personal.desc(), Workspace.name, Workspace.id)).all()


def find_by_slug(slug):
    return db.session.scalar(select(Workspace).where(Workspace.slug == slug))


def default_workspace_id(user_id):
    """The workspace a browser starts in: the user's personal one, else their first."""
    rows = workspaces_of(user_id)
    return rows[0][0].id if rows else None
