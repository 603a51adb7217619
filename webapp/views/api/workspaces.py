"""/api/workspaces: the caller's workspaces, their members and invitations (docs/api.md).

Routes under /api/workspaces/<id> act in the workspace the URL names (`needs(...,
workspace=...)`): one the caller is not in answers 404; an API key sees only its own.
"""
from flask import g, jsonify
from pydantic import BaseModel, ConfigDict, Field

from webapp.extensions import db
from webapp.models import User
from webapp.services.teams import invitations, members, workspaces
from webapp.services.workspaces import actors, memberships
from webapp.services.workspaces.roles import Forbidden
from webapp.views.api.blueprint import bp
from webapp.views.api.schema import operation, parse_body
from webapp.views.teams.limits import invitations_per_user
from webapp.web.access import needs


class WorkspaceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=100)


class WorkspacePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=100, description="owner")
    default_preset_id: str | None = Field(None, max_length=26, description="admin; null clears it")


class WorkspaceDelete(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confirm: str = Field(max_length=100, description="the workspace's name, exactly")


class MemberPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str = Field(max_length=16)


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254)
    role: str = Field(max_length=16)


class InvitationOut(BaseModel):
    id: str
    email: str
    role: str
    expires_at: str
    accept_url: str


@bp.get("/workspaces")
@needs("viewer")
@operation("GET", "/api/workspaces", "Your workspaces with your role (an API key: its own)",
           tag="workspaces")
def list_workspaces():
    rows = memberships.workspaces_of(g.actor.user_id)
    if g.get("api_actor") is not None:
        rows = [(w, g.actor.role) for w, _role in rows if w.id == g.actor.workspace_id]
    return jsonify(items=[workspaces.workspace_json(w, role) for w, role in rows])


@bp.post("/workspaces")
@needs("viewer")
@operation("POST", "/api/workspaces", "Create a workspace; you become its owner",
           body=WorkspaceCreate, status=201, tag="workspaces")
def create_workspace():
    body = parse_body(WorkspaceCreate)
    if actors.is_capped(g.actor):
        raise Forbidden(f"This key is limited to {g.actor.role}; it cannot make workspaces.")
    workspace = memberships.create_workspace(db.session.get(User, g.actor.user_id), body.name)
    db.session.commit()
    return jsonify(workspaces.workspace_json(workspace, "owner")), 201


@bp.get("/workspaces/<int:workspace_id>")
@needs("viewer", workspace="workspace_id")
@operation("GET", "/api/workspaces/{workspace_id}", "A workspace and your role in it",
           tag="workspaces")
def get_workspace(workspace_id):
    return jsonify(workspaces.workspace_json(workspaces.get_workspace(g.actor), g.actor.role))


@bp.patch("/workspaces/<int:workspace_id>")
@needs("admin", workspace="workspace_id")
@operation("PATCH", "/api/workspaces/{workspace_id}",
           "Rename (owner) or set the default style preset (admin)", body=WorkspacePatch,
           tag="workspaces")
def patch_workspace(workspace_id):
    body = parse_body(WorkspacePatch)
    workspace = workspaces.get_workspace(g.actor)
    if "name" in body.model_fields_set:
        workspace = workspaces.rename(g.actor, body.name)
    if "default_preset_id" in body.model_fields_set:
        workspace = workspaces.set_default_preset(g.actor, body.default_preset_id)
    db.session.commit()
    return jsonify(workspaces.workspace_json(workspace, g.actor.role))


@bp.delete("/workspaces/<int:workspace_id>")
@needs("owner", workspace="workspace_id")
@operation("DELETE", "/api/workspaces/{workspace_id}",
           "Delete the workspace and its codes (their scan URLs answer 410)",
           body=WorkspaceDelete, status=204, tag="workspaces")
def delete_workspace(workspace_id):
    workspaces.delete_workspace(g.actor, parse_body(WorkspaceDelete).confirm)
    db.session.commit()
    return "", 204


@bp.get("/workspaces/<int:workspace_id>/members")
@needs("viewer", workspace="workspace_id")
@operation("GET", "/api/workspaces/{workspace_id}/members", "The members and their roles",
           tag="workspaces")
def list_members(workspace_id):
    return jsonify(items=[members.member_json(u, m) for u, m in members.list_members(g.actor)])


@bp.patch("/workspaces/<int:workspace_id>/members/<int:user_id>")
@needs("admin", workspace="workspace_id")
@operation("PATCH", "/api/workspaces/{workspace_id}/members/{user_id}", "Change a member's role",
           body=MemberPatch, tag="workspaces")
def patch_member(workspace_id, user_id):
    membership = members.change_role(g.actor, user_id, parse_body(MemberPatch).role)
    db.session.commit()
    return jsonify(members.member_json(db.session.get(User, user_id), membership))


@bp.delete("/workspaces/<int:workspace_id>/members/<int:user_id>")
@needs("viewer", workspace="workspace_id")
@operation("DELETE", "/api/workspaces/{workspace_id}/members/{user_id}",
           "Remove a member (admin), or leave (yourself); their API keys for it are revoked",
           status=204, tag="workspaces")
def delete_member(workspace_id, user_id):
    members.remove_member(g.actor, user_id)
    db.session.commit()
    return "", 204


@bp.post("/workspaces/<int:workspace_id>/invitations")
@invitations_per_user
@needs("admin", workspace="workspace_id")
@operation("POST", "/api/workspaces/{workspace_id}/invitations",
           "Invite by e-mail (a signed single-use link, 7 days); your role caps the role given",
           body=InvitationCreate, response=InvitationOut, status=201, tag="workspaces")
def create_invitation(workspace_id):
    body = parse_body(InvitationCreate)
    invitation = invitations.create_invitation(g.actor, body.email, body.role)
    invitations.send_later(invitation)
    invitations.log_link(invitation)
    return jsonify(invitations.invitation_json(invitation, with_url=True)), 201
