"""A shared workspace with a member of every role, each with an API key acting in it."""
from dataclasses import dataclass, field

from webapp.extensions import db
from webapp.models import WorkspaceMember
from webapp.services.accounts import api_keys
from webapp.services.workspaces import memberships

ROLES = ("owner", "admin", "editor", "viewer")


@dataclass
class Team:
    workspace_id: int
    outsider_workspace_id: int
    users: dict = field(default_factory=dict)  # role (or "outsider") -> user id
    headers: dict = field(default_factory=dict)  # role (or "outsider") -> bearer headers


def join(user, workspace_id, role):
    db.session.add(WorkspaceMember(workspace_id=workspace_id, user_id=user.id, role=role))
    db.session.flush()


def bearer(user, workspace_id=None, role=None):
    _, raw = api_keys.create_api_key(user, "tests", workspace_id=workspace_id, role=role)
    return {"Authorization": f"Bearer {raw}"}


def make_team(make_user, name="Agency"):
    """Owner, admin, editor and viewer of the workspace `name`, and an outsider with a key
    of their own personal workspace; committed."""
    owner = make_user("owner@example.com")
    workspace = memberships.create_workspace(owner, name)
    team = Team(workspace.id, 0)
    team.users["owner"], team.headers["owner"] = owner.id, bearer(owner, workspace.id)
    for role in ROLES[1:]:
        user = make_user(f"{role}@example.com")
        join(user, workspace.id, role)
        team.users[role], team.headers[role] = user.id, bearer(user, workspace.id)
    outsider = make_user("outsider@example.com")
    team.users["outsider"], team.headers["outsider"] = outsider.id, bearer(outsider)
    team.outsider_workspace_id = memberships.default_workspace_id(outsider.id)
    db.session.commit()
    return team
