from webapp.extensions import db
from webapp.models import User, WorkspaceMember
from webapp.services.workspaces import memberships


def test_users_create_and_duplicate(runner, app):
    result = runner.invoke(args=["users", "create", "ops@example.com", "--password", "long enough pw", "--admin"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.query(User).one()
        assert user.is_admin
    result = runner.invoke(args=["users", "create", "ops@example.com", "--password", "long enough pw"])
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_api_key_authenticates_and_revocation_stops_it(runner, client, app, auth):
    runner.invoke(args=["users", "create", "ops@example.com", "--password", "long enough pw"])
    result = runner.invoke(args=["api-keys", "create", "ops@example.com", "--name", "ci"])
    assert result.exit_code == 0
    key = result.output.strip()
    assert key.startswith("sk_")
    response = client.get("/api/me", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert response.json["email"] == "ops@example.com"

    auth.login("ops@example.com", "long enough pw")
    with app.app_context():
        from webapp.models import ApiKey

        key_id = db.session.query(ApiKey).one().id
    token = auth.token("/account/")
    client.post(f"/account/api-keys/{key_id}/revoke", data={"csrf_token": token})
    auth.logout()
    response = client.get("/api/me", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_api_without_or_with_bad_key_is_401_json(client):
    assert client.get("/api/me").status_code == 401
    for header in ("Bearer nope", "Basic abc", "Bearer ", "Bearer " + "x" * 5000):
        response = client.get("/api/me", headers={"Authorization": header})
        assert response.status_code == 401
        assert set(response.json["error"]) >= {"code", "message"}


def test_api_key_for_unknown_user(runner):
    result = runner.invoke(args=["api-keys", "create", "ghost@example.com"])
    assert result.exit_code != 0
    assert "No user" in result.output


def test_demo_admin_only_when_there_is_no_user(runner, app):
    first = runner.invoke(args=["users", "ensure-demo"])
    assert "password:" in first.output
    second = runner.invoke(args=["users", "ensure-demo"])
    assert second.output == ""
    with app.app_context():
        assert db.session.query(User).count() == 1


def test_an_api_key_for_a_shared_workspace_acts_there_with_at_most_its_role(runner, client, app):
    for email in ("ops@example.com", "lead@example.com"):
        runner.invoke(args=["users", "create", email, "--password", "long enough pw"])
    with app.app_context():
        lead = db.session.query(User).filter_by(email="lead@example.com").one()
        ops = db.session.query(User).filter_by(email="ops@example.com").one()
        shop = memberships.create_workspace(lead, "Shop")
        db.session.add(WorkspaceMember(workspace_id=shop.id, user_id=ops.id, role="editor"))
        db.session.commit()
        slug, shop_id = shop.slug, shop.id

    result = runner.invoke(args=["api-keys", "create", "ops@example.com", "--workspace", slug,
                                 "--role", "viewer"])
    assert result.exit_code == 0, result.output
    headers = {"Authorization": f"Bearer {result.output.strip()}"}
    me = client.get("/api/me", headers=headers).json
    assert me["workspace"] == {"id": shop_id, "role": "viewer"}
    refused = client.post("/api/qr-codes", json={"target_url": "https://example.com"}, headers=headers)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"

    for args, message in ((["--workspace", "nowhere"], "No workspace"),
                          (["--role", "boss"], "Invalid value")):
        result = runner.invoke(args=["api-keys", "create", "ops@example.com", *args])
        assert result.exit_code != 0 and message in result.output
    result = runner.invoke(args=["api-keys", "create", "lead@example.com", "--workspace",
                                 f"ops-{ops_id(app)}"])
    assert result.exit_code != 0 and "member" in result.output


def ops_id(app):
    with app.app_context():
        return db.session.query(User.id).filter_by(email="ops@example.com").scalar()
