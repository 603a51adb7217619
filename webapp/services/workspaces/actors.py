"""The member acting: in a browser session, through an API key, or in a job they submitted.

Every service that reads or changes a workspace's data takes an Actor; queries are
scoped by `actor.workspace_id`, so another workspace's object is not found (404), and
`actor.require(role)` refuses a role too low (403 `forbidden`).
"""
from dataclasses import dataclass

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import User, WorkspaceMember
from webapp.services.workspaces.roles import Forbidden, at_least, lower

VIA = ("browser", "api", "job")


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    email: str
    workspace_id: int
    role: str
    via: str = "browser"

    def can(self, role):
        return at_least(self.role, role)

    def require(self, role):
        if not self.can(role):
            raise Forbidden(f"This needs the {role} role in this workspace; you are {self.role}.")
        return self


def is_capped(actor):
    """True for an API key limited below its user's role: it acts in its workspace only,
    and cannot make workspaces or take its user out of one."""
    return actor.role != role_of(actor.user_id, actor.workspace_id)


def role_of(user_id, workspace_id):
    """The user's role in the workspace, or None if they are not a member."""
    return db.session.scalar(select(WorkspaceMember.role).where(
        WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id == user_id))


def member(user, workspace_id, via="browser", cap=None):
    """The user acting in the workspace, or None if they are not a member (or disabled).

    `cap` limits the role (an API key made for a lower role)."""
    if user is None or user.disabled_at is not None:
        return None
    role = role_of(user.id, workspace_id)
    if role is None:
        return None
    return Actor(user.id, user.email, workspace_id, lower(role, cap), via)


def for_job(user_id, workspace_id, needed):
    """The submitter acting in a job, checked again as it runs: a member who left, was
    demoted or disabled since cannot have their job act for them."""
    user = db.session.get(User, user_id) if user_id is not None else None
    actor = member(user, workspace_id, via="job")
    if actor is None:
        raise Forbidden("The member who started this job is no longer in this workspace.")
    return actor.require(needed)


def system(workspace_id):
    """Work the instance does for a workspace on no one's behalf (a scheduled job)."""
    return Actor(None, "", workspace_id, "owner", "job")
