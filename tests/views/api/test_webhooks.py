"""/api/webhooks as docs/api.md describes it: create with a secret, read, change, delete, deliveries."""
import time

import pytest
from sqlalchemy import select

from tests.factories import make_api_user, make_code
from tests.support.receiver import Receiver, always
from tests.support.webhooks import WEBHOOK_SETTINGS
from webapp.extensions import db
from webapp.models import User, WebhookOutbox

pytestmark = pytest.mark.settings(WEBHOOK_SETTINGS)


@pytest.fixture
def api(app, client):
    """A client with the bearer key of a fresh user."""
    with app.app_context():
        _, headers = make_api_user("api@example.com")
    return Api(client, headers)


class Api:
    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def __getattr__(self, method):
        return lambda path, **kw: getattr(self.client, method)(path, headers=self.headers, **kw)


def test_create_answers_201_with_a_whsec_secret_shown_only_then(api):
    response = api.post("/api/webhooks", json={"url": "http://127.0.0.1:8123/hook",
                                               "events": ["qr.scanned", "job.failed"]})
    assert response.status_code == 201
    body = response.json
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["events"] == ["qr.scanned", "job.failed"] and body["enabled"] is True
    read = api.get(f"/api/webhooks/{body['id']}")
    assert read.status_code == 200 and "secret" not in read.json
    assert [e["id"] for e in api.get("/api/webhooks").json["items"]] == [body["id"]]


@pytest.mark.parametrize("payload, field", [
    ({"url": "http://127.0.0.1:8123/hook", "events": []}, "events"),
    ({"url": "http://127.0.0.1:8123/hook", "events": ["qr.exploded"]}, "events.0"),
    ({"url": "http://127.0.0.1:8123/hook"}, "events"),
    ({"url": "ftp://127.0.0.1/hook", "events": ["qr.scanned"]}, "url"),
    ({"url": "http://10.0.0.1/hook", "events": ["qr.scanned"]}, "url"),
    ({"url": "http://127.0.0.1:8123/hook", "events": ["qr.scanned"], "qr_code_id": "nope"}, "qr_code_id"),
    ({"url": "http://127.0.0.1:8123/hook", "events": ["qr.scanned"], "colour": "red"}, "colour"),
    ({"url": 5, "events": ["qr.scanned"]}, "url"),
])
def test_bad_input_is_a_422_naming_the_field_and_creates_nothing(api, app, payload, field):
    response = api.post("/api/webhooks", json=payload)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    assert api.get("/api/webhooks").json["items"] == []


def test_a_body_that_is_not_json_is_a_400(api):
    response = api.post("/api/webhooks", data="url=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_patch_changes_rotates_disables_and_clears_the_filter(api, app):
    with app.app_context():
        owner = db.session.scalar(select(User))
        make_code(owner, "poster", announce=False, commit=False)
        db.session.commit()
    created = api.post("/api/webhooks", json={"url": "http://127.0.0.1:8123/a", "events": ["qr.scanned"],
                                              "qr_code_id": "poster"}).json
    assert created["qr_code_id"] is not None
    path = f"/api/webhooks/{created['id']}"

    changed = api.patch(path, json={"url": "http://127.0.0.1:8124/b", "events": ["qr.created"]}).json
    assert changed["url"].endswith(":8124/b") and changed["events"] == ["qr.created"]
    assert changed["qr_code_id"] == created["qr_code_id"]  # untouched when not given
    assert "secret" not in changed

    rotated = api.patch(path, json={"rotate_secret": True}).json
    assert rotated["secret"] != created["secret"] and rotated["secret_rotated_until"]

    disabled = api.patch(path, json={"enabled": False, "qr_code_id": None}).json
    assert disabled["enabled"] is False and disabled["disabled_reason"] == "Disabled by its owner."
    assert disabled["qr_code_id"] is None
    enabled = api.patch(path, json={"enabled": True}).json
    assert enabled["enabled"] is True and enabled["disabled_reason"] is None

    refused = api.patch(path, json={"url": "http://169.254.169.254/latest/meta-data"})
    assert refused.status_code == 422 and "link-local" in refused.json["error"]["fields"]["url"]
    assert api.get(path).json["url"].endswith(":8124/b")


def test_another_users_endpoint_is_404_everywhere(api, app, client):
    created = api.post("/api/webhooks", json={"url": "http://127.0.0.1:8123/a", "events": ["qr.scanned"]}).json
    with app.app_context():
        _, headers = make_api_user("eve@example.com")
    eve_api = Api(client, headers)
    path = f"/api/webhooks/{created['id']}"
    assert eve_api.get(path).status_code == 404
    assert eve_api.patch(path, json={"enabled": False}).status_code == 404
    assert eve_api.delete(path).status_code == 404
    assert eve_api.get(path + "/deliveries").status_code == 404
    assert api.get(path).json["enabled"] is True


def test_malformed_ids_are_404_not_a_database_error(api, client, auth, app):
    """PostgreSQL refuses text holding NUL with an error: such ids must not reach a query."""
    for bad in ("ab%00cd", "x" * 300, "%C3%BF"):
        assert api.get(f"/api/webhooks/{bad}").status_code == 404, bad
        assert api.get(f"/api/webhooks/{bad}/deliveries").status_code == 404, bad
        assert api.post(f"/api/webhooks/deliveries/{bad}/redeliver").status_code == 404, bad
    auth.signup()
    token = auth.token("/account/")
    for bad in ("ab%00cd", "x" * 300):
        response = client.post(f"/account/api-keys/{bad}/revoke", data={"csrf_token": token})
        assert response.status_code == 404, bad
        response = client.post(f"/webhooks/deliveries/{bad}/redeliver", data={"csrf_token": token})
        assert response.status_code == 404, bad


def test_deliveries_list_attempts_filters_pages_and_redelivers(api, app, run_jobs):
    with Receiver(always(500)) as receiver:
        created = api.post("/api/webhooks", json={"url": receiver.url(), "events": ["qr.created"]}).json
        with app.app_context():
            owner = db.session.scalar(select(User))
            for i in range(3):
                make_code(owner, f"c{i}", commit=False)
            db.session.commit()
            ids = [r.id for r in db.session.scalars(select(WebhookOutbox))]
            # the first one fails for good; the others will succeed
            for row in db.session.scalars(select(WebhookOutbox)):
                if row.id != ids[0]:
                    row.status = "delivered"
            db.session.commit()
        from workers.webhooks import drain_deliveries

        for _ in range(len(app.config["WEBHOOK_RETRY_SCHEDULE"])):  # every attempt, 0.2 s apart
            drain_deliveries()
            time.sleep(0.22)
        path = f"/api/webhooks/{created['id']}/deliveries"
        failed = api.get(path + "?status=failed").json
        assert [d["id"] for d in failed["items"]] == [ids[0]]
        item = failed["items"][0]
        assert item["attempt_count"] == len(item["attempts"]) == len(app.config["WEBHOOK_RETRY_SCHEDULE"])
        assert item["attempts"][0]["status_code"] == 500 and item["attempts"][0]["outcome"] == "failed"

        first_page = api.get(path + "?limit=2").json
        assert len(first_page["items"]) == 2 and first_page["next_cursor"]
        second_page = api.get(path + f"?limit=2&cursor={first_page['next_cursor']}").json
        seen = [d["id"] for d in first_page["items"] + second_page["items"]]
        assert sorted(seen) == sorted(ids) and second_page["next_cursor"] is None
        assert api.get(path + "?status=lost").status_code == 422
        assert api.get(path + "?limit=0").status_code == 422
        assert api.get(path + "?cursor=nonsense").status_code == 422

        pending = api.post(f"/api/webhooks/deliveries/{ids[0]}/redeliver")
        assert pending.status_code == 202 and pending.json["status"] == "pending"
        again = api.post(f"/api/webhooks/deliveries/{ids[0]}/redeliver")
        assert again.status_code == 409
        assert api.post("/api/webhooks/deliveries/nope/redeliver").status_code == 404
        receiver.behaviour = always(200)
        run_jobs()
        assert api.get(path + "?status=delivered").json["items"][-1]["id"] in ids
        assert len(api.get(path + "?status=delivered").json["items"]) == 3


def test_delete_removes_the_endpoint_and_its_outbox(api, app):
    created = api.post("/api/webhooks", json={"url": "http://127.0.0.1:8123/a", "events": ["qr.created"]}).json
    with app.app_context():
        make_code(db.session.scalar(select(User)), commit=False)
        db.session.commit()
    assert api.delete(f"/api/webhooks/{created['id']}").status_code == 204
    assert api.get(f"/api/webhooks/{created['id']}").status_code == 404
    with app.app_context():
        assert db.session.scalars(select(WebhookOutbox)).all() == []


def test_openapi_lists_the_webhook_operations(client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert {"post", "get"} <= set(paths["/api/webhooks"])
    assert {"get", "patch", "delete"} <= set(paths["/api/webhooks/{endpoint_id}"])
    assert "post" in paths["/api/webhooks/deliveries/{delivery_id}/redeliver"]
