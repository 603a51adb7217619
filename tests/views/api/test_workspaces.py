"""/api/workspaces as docs/api.md describes it: the caller's workspaces, rename, delete with a
typed confirmation (its scan URLs then answer 410), members and roles, invitations."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tests.factories import make_code, make_user
from tests.support.teams import bearer, make_team
from webapp.extensions import db
from webapp.models import (
    ApiKey,
    QrCode,
    RetiredSlug,
    StylePreset,
    User,
    Workspace,
    WorkspaceInvitation,
    WorkspaceMember,
)
from webapp.services.teams import invitations
from webapp.services.teams.invitations import InvitationProblem


@pytest.fixture
def team(app):
    with app.app_context():
        return make_team(make_user)


def url(team, rest=""):
    return f"/api/workspaces/{team.workspace_id}{rest}"


def test_the_list_holds_the_callers_workspaces_and_a_key_sees_only_its_own(app, client, team):
    items = client.get("/api/workspaces", headers=team.headers["editor"]).json["items"]
    assert [(w["id"], w["role"]) for w in items] == [(team.workspace_id, "editor")]
    created = client.post("/api/workspaces", json={"name": "Side project"},
                          headers=team.headers["viewer"])
    assert created.status_code == 201
    assert created.json["role"] == "owner" and created.json["slug"].startswith("side-project-")
    # the viewer is now an owner elsewhere, but their key still acts in Agency only
    items = client.get("/api/workspaces", headers=team.headers["viewer"]).json["items"]
    assert [w["id"] for w in items] == [team.workspace_id]
    assert client.get(f"/api/workspaces/{created.json['id']}",
                      headers=team.headers["viewer"]).status_code == 404
    assert client.post("/api/workspaces", json={"name": " "},
                       headers=team.headers["viewer"]).status_code == 422


@pytest.mark.parametrize("path", ["", "/members"])
def test_a_workspace_the_caller_is_not_in_is_not_found(client, team, path):
    assert client.get(url(team, path), headers=team.headers["outsider"]).status_code == 404
    assert client.get(url(team, path), headers=team.headers["viewer"]).status_code == 200
    assert client.get(f"/api/workspaces/999999{path}", headers=team.headers["owner"]).status_code == 404
    assert client.get(url(team, path)).status_code == 401


def test_only_an_owner_renames(client, team):
    for role in ("admin", "editor", "viewer"):
        response = client.patch(url(team), json={"name": "Mine now"}, headers=team.headers[role])
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    response = client.patch(url(team), json={"name": "Agency GmbH"}, headers=team.headers["owner"])
    assert response.status_code == 200 and response.json["name"] == "Agency GmbH"
    assert client.patch(url(team), json={"name": "x" * 101},
                        headers=team.headers["owner"]).status_code == 422
    assert client.patch(url(team), json={"name": "Theirs"},
                        headers=team.headers["outsider"]).status_code == 404


def test_members_are_listed_with_their_roles(client, team):
    items = client.get(url(team, "/members"), headers=team.headers["viewer"]).json["items"]
    assert {m["email"]: m["role"] for m in items} == {
        "owner@example.com": "owner", "admin@example.com": "admin",
        "editor@example.com": "editor", "viewer@example.com": "viewer"}


def member(team, role):
    return f"/members/{team.users[role]}"


def test_an_admin_gives_roles_up_to_their_own_and_only_an_owner_touches_owners(app, client, team):
    admin = team.headers["admin"]
    assert client.patch(url(team, member(team, "viewer")), json={"role": "admin"},
                        headers=admin).json["role"] == "admin"
    for target, role in (("editor", "owner"), ("owner", "admin")):
        response = client.patch(url(team, member(team, target)), json={"role": role}, headers=admin)
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert client.patch(url(team, member(team, "viewer")), json={"role": "viewer"},
                        headers=team.headers["editor"]).status_code == 403
    assert client.patch(url(team, member(team, "editor")), json={"role": "boss"},
                        headers=admin).status_code == 422
    assert client.patch(url(team, "/members/999999"), json={"role": "viewer"},
                        headers=admin).status_code == 404
    assert client.patch(url(team, member(team, "editor")), json={"role": "owner"},
                        headers=team.headers["owner"]).json["role"] == "owner"


def test_the_last_owner_can_neither_be_demoted_nor_leave(app, client, team):
    owner = team.headers["owner"]
    for response in (client.patch(url(team, member(team, "owner")), json={"role": "admin"}, headers=owner),
                     client.delete(url(team, member(team, "owner")), headers=owner)):
        assert response.status_code == 422
        assert "last owner" in response.json["error"]["message"]
    client.patch(url(team, member(team, "admin")), json={"role": "owner"}, headers=owner)
    assert client.delete(url(team, member(team, "owner")), headers=owner).status_code == 204
    with app.app_context():
        assert db.session.get(WorkspaceMember, (team.workspace_id, team.users["owner"])) is None


def test_a_member_removed_loses_access_and_their_keys_at_once(app, client, team):
    codes = "/api/qr-codes"
    assert client.get(codes, headers=team.headers["editor"]).status_code == 200
    # an editor cannot remove others, but can leave; an admin removes the editor
    assert client.delete(url(team, member(team, "viewer")),
                         headers=team.headers["editor"]).status_code == 403
    assert client.delete(url(team, member(team, "admin")),
                         headers=team.headers["editor"]).status_code == 403
    response = client.delete(url(team, member(team, "editor")), headers=team.headers["owner"])
    assert response.status_code == 204
    assert client.get(codes, headers=team.headers["editor"]).status_code == 401
    with app.app_context():
        revoked = db.session.scalars(select(ApiKey.revoked_at).where(
            ApiKey.user_id == team.users["editor"], ApiKey.workspace_id == team.workspace_id)).all()
        assert revoked and all(revoked)
    # the viewer leaves on their own
    assert client.delete(url(team, member(team, "viewer")), headers=team.headers["viewer"]).status_code == 204
    assert client.get(url(team), headers=team.headers["viewer"]).status_code == 401


def test_invitations_need_an_admin_and_are_capped_by_their_role(client, team):
    path = url(team, "/invitations")
    response = client.post(path, json={"email": "Grace@Example.com", "role": "editor"},
                           headers=team.headers["admin"])
    assert response.status_code == 201
    body = response.json
    assert body["email"] == "grace@example.com" and body["role"] == "editor"
    assert "/invitations/" in body["accept_url"]
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert timedelta(days=6, hours=23) < expires - datetime.now(timezone.utc) <= timedelta(days=7)
    assert client.post(path, json={"email": "x@example.com", "role": "owner"},
                       headers=team.headers["admin"]).status_code == 403
    assert client.post(path, json={"email": "x@example.com", "role": "viewer"},
                       headers=team.headers["editor"]).status_code == 403
    assert client.post(path, json={"email": "not an address", "role": "viewer"},
                       headers=team.headers["admin"]).status_code == 422
    assert client.post(path, json={"email": "viewer@example.com", "role": "viewer"},
                       headers=team.headers["admin"]).status_code == 409
    assert client.post(path, json={"email": "x@example.com", "role": "viewer"},
                       headers=team.headers["outsider"]).status_code == 404


def test_deleting_needs_the_typed_name_then_retires_the_slugs(app, client, team):
    with app.app_context():
        make_code(team.workspace_id, slug="spring-menu")
    assert client.get("/s/spring-menu").status_code == 302
    for role in ("admin", "editor"):
        assert client.delete(url(team), json={"confirm": "Agency"},
                             headers=team.headers[role]).status_code == 403
    wrong = client.delete(url(team), json={"confirm": "agency"}, headers=team.headers["owner"])
    assert wrong.status_code == 422 and "confirm" in wrong.json["error"]["fields"]
    assert client.get("/s/spring-menu").status_code == 302
    assert client.delete(url(team), json={"confirm": "Agency"},
                         headers=team.headers["owner"]).status_code == 204
    gone = client.get("/s/spring-menu")
    assert gone.status_code == 410 and "was removed" in gone.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Workspace, team.workspace_id) is None
        assert db.session.scalar(select(func.count()).select_from(QrCode).where(
            QrCode.slug == "spring-menu")) == 0
        assert db.session.get(RetiredSlug, "spring-menu") is not None
    # the slug is never handed to another workspace's code
    taken = client.post("/api/qr-codes", json={"kind": "dynamic", "slug": "spring-menu",
                                               "target_url": "https://evil.example.com"},
                        headers=team.headers["outsider"])
    assert taken.status_code == 409
    assert client.get("/s/spring-menu").status_code == 410
    assert client.get(url(team), headers=team.headers["owner"]).status_code == 401


def test_a_personal_workspace_cannot_be_deleted(app, client, team):
    with app.app_context():
        name = db.session.get(Workspace, team.outsider_workspace_id).name
    response = client.delete(f"/api/workspaces/{team.outsider_workspace_id}", json={"confirm": name},
                             headers=team.headers["outsider"])
    assert response.status_code == 422


def test_the_default_preset_is_set_by_an_admin_and_new_codes_start_from_it(app, client, team):
    style = {"dark": "#7a1f5c", "module_shape": "dots"}
    with app.app_context():
        preset = StylePreset(workspace_id=team.workspace_id, name="House", style=style)
        foreign = StylePreset(workspace_id=team.outsider_workspace_id, name="Theirs", style=style)
        db.session.add_all([preset, foreign])
        db.session.commit()
        preset_id, foreign_id = preset.id, foreign.id
    assert client.patch(url(team), json={"default_preset_id": preset_id},
                        headers=team.headers["editor"]).status_code == 403
    assert client.patch(url(team), json={"default_preset_id": foreign_id},
                        headers=team.headers["admin"]).status_code == 422
    response = client.patch(url(team), json={"default_preset_id": preset_id}, headers=team.headers["admin"])
    assert response.status_code == 200 and response.json["default_preset_id"] == preset_id
    made = client.post("/api/qr-codes", json={"kind": "dynamic", "target_url": "https://example.com"},
                       headers=team.headers["editor"])
    assert made.status_code == 201, made.json
    code = made.json
    assert code["style"]["dark"] == "#7a1f5c" and code["style"]["module_shape"] == "dots"
    plain = client.post("/api/qr-codes", json={"kind": "dynamic", "target_url": "https://example.com",
                                               "style": {}}, headers=team.headers["editor"]).json
    assert plain["style"]["dark"] != "#7a1f5c"
    assert client.patch(url(team), json={"default_preset_id": None},
                        headers=team.headers["admin"]).json["default_preset_id"] is None


def test_member_and_workspace_changes_are_in_the_audit_log_with_before_and_after(client, team):
    owner = team.headers["owner"]
    assert client.patch(url(team), json={"name": "Agency GmbH"}, headers=owner).status_code == 200
    assert client.post(url(team, "/invitations"), json={"email": "new@agency.example", "role": "viewer"},
                       headers=owner).status_code == 201
    viewer = team.users["viewer"]
    assert client.patch(url(team, f"/members/{viewer}"), json={"role": "editor"},
                        headers=owner).status_code == 200
    assert client.delete(url(team, f"/members/{viewer}"), headers=owner).status_code == 204
    # a refused change leaves no entry
    assert client.patch(url(team, f"/members/{team.users['owner']}"), json={"role": "viewer"},
                        headers=owner).status_code == 422

    items = client.get("/api/audit-log", headers=owner).json["items"]
    revoked = [item for item in items if item["action"] == "api_key.revoked"]
    assert len(revoked) == 1 and revoked[0]["changes"]["reason"] == "member left"
    items = [item for item in items if not item["action"].startswith("api_key.")]
    by_action = {item["action"]: item for item in items}
    assert [item["action"] for item in items][:4] == [
        "member.removed", "member.role_changed", "invitation.created", "workspace.renamed"]
    assert by_action["workspace.renamed"]["changes"] == {"name": ["Agency", "Agency GmbH"]}
    assert by_action["member.role_changed"]["changes"] == {"role": ["viewer", "editor"]}
    assert by_action["member.role_changed"]["object_id"] == str(viewer)
    assert by_action["member.removed"]["changes"] == {"role": ["editor", None]}
    assert by_action["invitation.created"]["changes"]["email"] == [None, "new@agency.example"]
    assert all(item["via"] == "api" and item["actor"] == "owner@example.com" for item in items[:4])


def test_an_invitation_goes_with_its_senders_rights(app, client, team):
    invited = client.post(url(team, "/invitations"), json={"email": "alt@example.com", "role": "admin"},
                          headers=team.headers["admin"]).json
    assert client.delete(url(team, f"/members/{team.users['admin']}"),
                         headers=team.headers["owner"]).status_code == 204
    with app.app_context():
        user = make_user("alt@example.com")
        db.session.commit()
        assert db.session.get(WorkspaceInvitation, invited["id"]).revoked_at is not None
        with pytest.raises(InvitationProblem, match="withdrawn"):
            invitations.accept(user, invited["accept_url"].rsplit("/", 1)[1])
        assert db.session.get(WorkspaceMember, (team.workspace_id, user.id)) is None


def test_a_key_capped_below_its_users_role_cannot_leave_or_make_workspaces(app, client, team):
    with app.app_context():
        capped = bearer(db.session.get(User, team.users["owner"]), team.workspace_id, role="viewer")
        db.session.commit()
    leave = client.delete(url(team, f"/members/{team.users['owner']}"), headers=capped)
    assert leave.status_code == 403 and leave.json["error"]["code"] == "forbidden"
    made = client.post("/api/workspaces", json={"name": "Elsewhere"}, headers=capped)
    assert made.status_code == 403
    with app.app_context():
        assert db.session.get(WorkspaceMember, (team.workspace_id, team.users["owner"])).role == "owner"
    assert client.post("/api/workspaces", json={"name": "Two\nlines"},
                       headers=team.headers["viewer"]).status_code == 422


@pytest.mark.settings(RATELIMIT_INVITATIONS="2 per hour")
def test_invitations_are_limited_per_inviting_user(client, team):
    for n in range(2):
        assert client.post(url(team, "/invitations"), json={"email": f"p{n}@example.com", "role": "viewer"},
                           headers=team.headers["admin"]).status_code == 201
    refused = client.post(url(team, "/invitations"), json={"email": "p3@example.com", "role": "viewer"},
                          headers=team.headers["admin"])
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    # another admin of the workspace has an allowance of their own
    assert client.post(url(team, "/invitations"), json={"email": "p4@example.com", "role": "viewer"},
                       headers=team.headers["owner"]).status_code == 201
