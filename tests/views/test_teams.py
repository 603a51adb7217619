"""The workspace pages: inviting by mail (the link works once, for the invited address only),
the settings page per role, the switcher, and a pasted code URL between members."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_code, make_job, make_user
from tests.support.auth import AuthActions, user_id
from tests.support.teams import bearer, join
from webapp.extensions import db
from webapp.models import (
    ApiKey,
    AuditEntry,
    QrCode,
    StylePreset,
    User,
    WorkspaceInvitation,
    WorkspaceMember,
)
from webapp.models.base import utcnow
from webapp.services.accounts import api_keys
from webapp.services.teams import invitations
from webapp.services.workspaces import memberships

pytestmark = pytest.mark.settings("smtp_settings")


def form_token(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def post(client, path, data, page="/workspace"):
    data = dict(data, csrf_token=form_token(client.get(page).get_data(as_text=True)))
    return client.post(path, data=data)


def agency(app, email="ada@example.com"):
    with app.app_context():
        workspace = memberships.create_workspace(make_user(email), "Agency")
        db.session.commit()
        return workspace.id


def switch(client, workspace_id):
    return post(client, f"/workspaces/{workspace_id}/switch", {}, page="/")


def invite(client, email, role="editor"):
    return post(client, "/workspace/invitations", {"email": email, "role": role})


def test_an_invitation_is_mailed_accepted_once_and_only_by_its_address(
        app, client, auth, owner, mail_server, run_jobs):
    workspace_id = agency(app)
    assert switch(client, workspace_id).status_code == 302
    page = invite(client, "grace@example.com").get_data(as_text=True)
    # shown once to the inviter, to copy
    link = re.search(r'value="(http[^"]+/invitations/[^"]+)"[^>]*id="invitation-link"', page).group(1)
    assert "grace@example.com" in page
    run_jobs()
    [message] = mail_server.to("grace@example.com")
    assert "Agency" in message.subject and "editor" in message.body
    path = message.path_of("/invitations/")
    assert link.endswith(path)

    # someone else, logged in, cannot use it; nothing changes
    mallory = AuthActions(app.test_client())
    mallory.signup("mallory@example.com")
    refused = mallory.client.post(path, data={"csrf_token": mallory.token("/")})
    assert refused.status_code == 403 and "for grace@example.com" in refused.get_data(as_text=True)

    grace = AuthActions(app.test_client())
    assert grace.client.get(path).status_code == 302  # log in first
    grace.signup("grace@example.com")
    assert "Join “Agency”" in grace.client.get(path).get_data(as_text=True)
    assert grace.client.post(path, data={"csrf_token": grace.token("/")}).status_code == 302
    with app.app_context():
        grace_id = user_id(app, "grace@example.com")
        assert db.session.get(WorkspaceMember, (workspace_id, grace_id)).role == "editor"
    again = grace.client.post(path, data={"csrf_token": grace.token("/")})
    assert again.status_code == 410 and "used already" in again.get_data(as_text=True)
    # grace now works in Agency: the switcher shows it as current
    assert 'aria-current="true">Agency' in grace.client.get("/codes/").get_data(as_text=True)


def test_an_expired_or_withdrawn_invitation_gets_a_clear_page(app, client, auth, owner):
    workspace_id = agency(app)
    switch(client, workspace_id)
    invite(client, "grace@example.com")
    invite(client, "hopper@example.com")
    with app.app_context():
        rows = {i.email: i for i in db.session.scalars(select(WorkspaceInvitation))}
        rows["grace@example.com"].expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        paths = {email: "/invitations/" + invitations.token_of(i) for email, i in rows.items()}
        hopper_id = rows["hopper@example.com"].id
    assert "Pending invitations" in client.get("/workspace").get_data(as_text=True)
    post(client, f"/workspace/invitations/{hopper_id}/revoke", {})
    for email, words in (("grace@example.com", "expired"), ("hopper@example.com", "withdrawn")):
        other = AuthActions(app.test_client())
        other.signup(email)
        response = other.client.get(paths[email])
        assert response.status_code == 410 and words in response.get_data(as_text=True)
    forged = AuthActions(app.test_client())
    forged.signup("forger@example.com")
    assert forged.client.get("/invitations/not-a-token").status_code == 404


def test_a_pasted_code_url_opens_for_a_member_and_not_for_others(app, client, auth, owner):
    workspace_id = agency(app)
    grace = AuthActions(app.test_client())
    grace.signup("grace@example.com")
    with app.app_context():
        code_id = make_code(workspace_id, title="Autumn menu").id
        join(db.session.get(User, user_id(app, "grace@example.com")), workspace_id, "viewer")
        db.session.commit()
    outsider = AuthActions(app.test_client())
    outsider.signup("eve@example.com")
    # Ada is in her personal workspace; the link of Agency's code still opens, in Agency
    page = client.get(f"/codes/{code_id}")
    assert page.status_code == 200 and 'aria-current="true">Agency' in page.get_data(as_text=True)
    # a viewer's page of it: the code and its downloads, no button to save or delete
    viewed = grace.client.get(f"/codes/{code_id}").get_data(as_text=True)
    assert "Autumn menu" in viewed and "Save changes" not in viewed and "Delete code" not in viewed
    assert "Save changes" in page.get_data(as_text=True)
    assert outsider.client.get(f"/codes/{code_id}").status_code == 404
    assert post(outsider.client, f"/workspaces/{workspace_id}/switch", {}, page="/").status_code == 404


def test_the_settings_page_per_role_and_deleting_from_it(app, client, auth, owner):
    workspace_id = agency(app)
    with app.app_context():
        make_code(workspace_id, slug="agency-poster")
    viewer = AuthActions(app.test_client())
    viewer.signup("vic@example.com")
    with app.app_context():
        join(db.session.get(User, user_id(app, "vic@example.com")), workspace_id, "viewer")
        db.session.commit()
    switch(viewer.client, workspace_id)
    seen = viewer.client.get("/workspace").get_data(as_text=True)
    assert "vic@example.com" in seen and "Invite someone" not in seen and "Delete this workspace" not in seen
    assert post(viewer.client, "/workspace/invitations", {"email": "x@example.com", "role": "viewer"}
                ).status_code == 403

    switch(client, workspace_id)
    seen = client.get("/workspace").get_data(as_text=True)
    assert "Invite someone" in seen and "Delete this workspace" in seen
    post(client, "/workspace/delete", {"confirm": "agenc"})
    assert client.get("/s/agency-poster").status_code == 302
    done = post(client, "/workspace/delete", {"confirm": "Agency"})
    assert done.status_code == 302
    assert client.get("/s/agency-poster").status_code == 410
    # both land back in a workspace of theirs
    for browser in (client, viewer.client):
        listing = browser.get("/codes/")
        assert listing.status_code == 200 and "agency-poster" not in listing.get_data(as_text=True)


def test_an_admin_sets_the_default_preset_and_new_code_starts_from_it(app, client, auth, owner):
    with app.app_context():
        preset = StylePreset(workspace_id=owner, name="House", style={"dark": "#7a1f5c"})
        db.session.add(preset)
        db.session.commit()
        preset_id = preset.id
    assert 'value="#7a1f5c"' not in client.get("/codes/new").get_data(as_text=True)
    post(client, "/workspace", {"default_preset_id": preset_id})
    assert f'value="{preset_id}" selected' in client.get("/workspace").get_data(as_text=True)
    assert 'value="#7a1f5c"' in client.get("/codes/new").get_data(as_text=True)


def test_a_poll_of_an_older_tab_does_not_move_the_forms_of_the_others(app, client, auth, owner):
    """Ada works in her personal workspace; a tab left open on a job of Agency keeps
    polling its card. Her next code still lands where she is, not in Agency."""
    with app.app_context():
        boss = make_user("boss@example.com")
        agency = memberships.create_workspace(boss, "Agency")
        join(db.session.get(User, user_id(app)), agency.id, "editor")
        job = make_job(agency.id, "exports.codes", started_at=utcnow(), finished_at=utcnow())
        db.session.commit()
        agency_id, job_id = agency.id, job.id
    assert client.get(f"/jobs/{job_id}/card", headers={"HX-Request": "true"}).status_code == 200
    token = auth.token("/codes/new")
    response = client.post("/codes/", data={"kind": "dynamic", "target_url": "https://example.com/mine",
                                            "title": "Mine", "csrf_token": token})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
    with app.app_context():
        made = db.session.scalar(select(QrCode).where(QrCode.title == "Mine"))
        assert made.workspace_id == owner and made.workspace_id != agency_id
    # opening the job's page as a page (not a fragment) does switch, as a pasted link should
    assert client.get(f"/jobs/{job_id}/card").status_code == 200
    with client.session_transaction() as session:
        assert session["workspace_id"] == agency_id


def test_an_admin_sees_and_revokes_every_members_keys_of_the_workspace(app, client, auth, owner):
    with app.app_context():
        editor = make_user("editor@example.com")
        join(editor, owner, "editor")
        headers = bearer(editor, owner)
        other = make_user("other@example.com")
        other_key, _ = api_keys.create_api_key(other, "theirs")
        db.session.commit()
        key_id = db.session.scalar(select(ApiKey.id).where(ApiKey.user_id == editor.id))
        other_key_id = other_key.id
    assert client.get("/api/qr-codes", headers=headers).status_code == 200
    page = client.get("/workspace").get_data(as_text=True)
    assert "editor@example.com" in page and "other@example.com" not in page
    token = auth.token("/workspace")
    assert client.post(f"/workspace/api-keys/{other_key_id}/revoke",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/workspace/api-keys/{key_id}/revoke",
                       data={"csrf_token": token}).status_code == 302
    assert client.get("/api/qr-codes", headers=headers).status_code == 401
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_key.revoked"))
        assert entry.object_id == key_id and entry.actor_id == user_id(app)


def test_a_form_from_a_tab_of_another_workspace_changes_nothing(app, client, auth, owner):
    """The settings page of Agency is open in one tab; in another Ada switched back to her
    own workspace. Removing a member from the old tab must not act in the new workspace."""
    with app.app_context():
        boss = make_user("boss@example.com")
        agency = memberships.create_workspace(boss, "Agency")
        ada = db.session.get(User, user_id(app))
        join(ada, agency.id, "admin")
        grace = make_user("grace@example.com")
        join(grace, agency.id, "viewer")
        join(grace, owner, "viewer")
        db.session.commit()
        agency_id, grace_id = agency.id, grace.id
    token = auth.token("/workspace")
    assert client.post(f"/workspaces/{agency_id}/switch", data={"csrf_token": token}).status_code == 302
    page = client.get("/workspace").get_data(as_text=True)
    assert f'name="workspace_id" value="{agency_id}"' in page
    assert client.post(f"/workspaces/{owner}/switch", data={"csrf_token": token}).status_code == 302
    stale = client.post(f"/workspace/members/{grace_id}/remove",
                        data={"csrf_token": token, "workspace_id": str(agency_id)})
    assert stale.status_code == 409 and "reload" in stale.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(WorkspaceMember, (owner, grace_id)) is not None
        assert db.session.get(WorkspaceMember, (agency_id, grace_id)) is not None
