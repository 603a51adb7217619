"""POST /api/qr-codes/batch and /api/qr-codes/<id>/duplicate: counts, one audit entry per
batch, the scan cache and webhooks told of each changed code as for single edits."""
import pytest
from sqlalchemy import select

from tests.factories import make_api_user, make_endpoint
from tests.support.qrcodes import decode_svg
from tests.support.webhooks import WEBHOOK_SETTINGS
from webapp.extensions import db
from webapp.models import AuditEntry, QrCode, WebhookOutbox
from webapp.services.scans import targets

URL = "http://127.0.0.1:9/hook"  # never contacted: nothing is drained here
pytestmark = pytest.mark.settings(WEBHOOK_SETTINGS)


@pytest.fixture
def ada(app):
    with app.app_context():
        user, headers = make_api_user("ada@example.com")
        make_endpoint(user, URL, events=["qr.updated", "qr.deleted"])
        db.session.commit()
        return headers


def create(client, headers, **body):
    body.setdefault("target_url", "https://example.com/menu")
    response = client.post("/api/qr-codes", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def batch(client, headers, **body):
    return client.post("/api/qr-codes/batch", json=body, headers=headers)


def events(app):
    with app.app_context():
        return [row.event_type for row in db.session.scalars(select(WebhookOutbox))]


def test_pause_counts_outcomes_drops_cached_lookups_and_audits_once(app, client, ada):
    codes = [create(client, ada, title=f"c{i}") for i in range(3)]
    static = create(client, ada, title="wifi", kind="static", target_url=None, content_type="wifi",
                    content={"ssid": "Cafe", "password": "secret-pass"})
    with app.app_context():
        assert targets.lookup(codes[0]["slug"]).active  # now cached
    ids = [c["id"] for c in codes] + [static["id"], "01JNOTACODE0000000000000000"]
    response = batch(client, ada, ids=ids, action="pause")
    assert response.status_code == 200
    assert response.get_json() == {"changed": 3, "unchanged": 1, "not_found": 1}
    with app.app_context():
        assert targets.lookup(codes[0]["slug"]).active is False  # the cached entry was dropped
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "codes.batch")).all()
        assert entry.changes["changed"] == 3 and sorted(entry.changes["codes"]) == sorted(ids[:3])
    assert events(app).count("qr.updated") == 3
    again = batch(client, ada, ids=ids[:3], action="pause").get_json()
    assert again == {"changed": 0, "unchanged": 3, "not_found": 0}
    assert batch(client, ada, ids=ids[:2], action="resume").get_json()["changed"] == 2


def test_tag_untag_move_and_delete(app, client, ada):
    ids = [create(client, ada, title=f"c{i}", tags=["old"])["id"] for i in range(3)]
    assert batch(client, ada, ids=ids, action="tag", tags=["sale", "old"]).get_json()["changed"] == 3
    assert batch(client, ada, ids=ids[:1], action="untag", tags=["old"]).get_json()["changed"] == 1
    assert batch(client, ada, ids=ids[:2], action="move", folder="Windows").get_json()["changed"] == 2
    read = [client.get(f"/api/qr-codes/{i}", headers=ada).get_json() for i in ids]
    assert [r["tags"] for r in read] == [["sale"], ["old", "sale"], ["old", "sale"]]
    assert [r["folder"] for r in read] == ["Windows", "Windows", None]
    assert batch(client, ada, ids=ids[:2], action="delete").get_json() == {
        "changed": 2, "unchanged": 0, "not_found": 0}
    with app.app_context():
        assert db.session.scalars(select(QrCode.id)).all() == [ids[2]]
    assert events(app).count("qr.deleted") == 2


@pytest.mark.parametrize("body", [
    {"ids": [], "action": "pause"}, {"ids": [f"x{i}" for i in range(1001)], "action": "pause"},
    {"ids": "abc", "action": "pause"}, {"ids": ["a"], "action": "explode"},
    {"ids": ["a"], "action": "tag"}, {"ids": ["a"], "action": "tag", "tags": ["a,b"]},
    {"ids": ["a"], "action": "move", "folder": "f" * 101}, {"ids": ["a"], "action": "pause", "extra": 1},
])
def test_bad_batches_are_refused_and_change_nothing(app, client, ada, body):
    code = create(client, ada)
    if isinstance(body["ids"], list) and body["ids"] == ["a"]:
        body["ids"] = [code["id"]]
    response = batch(client, ada, **body)
    assert response.status_code in (400, 422), response.get_json()
    assert client.get(f"/api/qr-codes/{code['id']}", headers=ada).get_json()["active"] is True


def test_another_workspaces_codes_are_not_found_and_untouched(app, client, ada):
    code = create(client, ada)
    with app.app_context():
        bob = make_api_user("bob@example.com")[1]
    assert batch(client, bob, ids=[code["id"]], action="delete").get_json() == {
        "changed": 0, "unchanged": 0, "not_found": 1}
    assert client.post(f"/api/qr-codes/{code['id']}/duplicate", headers=bob).status_code == 404
    assert client.get(f"/api/qr-codes/{code['id']}", headers=ada).status_code == 200


def test_duplicate_copies_everything_but_the_slug(client, ada):
    code = create(client, ada, title="Menu", tags=["food"], folder="Tables", style={"dark": "#1d3fdc"},
                  rules=[{"when": {"device": "ios"}, "target_url": "https://example.com/app"}],
                  utm={"source": "poster"}, max_scans=500, expired_url="https://example.com/over")
    response = client.post(f"/api/qr-codes/{code['id']}/duplicate", headers=ada)
    assert response.status_code == 201
    copy = response.get_json()
    assert copy["id"] != code["id"] and copy["slug"] != code["slug"]
    assert copy["title"] == "Menu (copy)" and copy["target_url"] == code["target_url"]
    assert copy["tags"] == ["food"] and copy["folder"] == "Tables"
    assert copy["style"] == code["style"]
    assert [copy[field] for field in ("rules", "utm", "max_scans", "expired_url")] == \
        [code[field] for field in ("rules", "utm", "max_scans", "expired_url")]
    svg = client.get(f"/api/qr-codes/{copy['id']}/image.svg", headers=ada).get_data(as_text=True)
    assert decode_svg(svg) == [copy["scan_url"]]
    wifi = create(client, ada, kind="static", target_url=None, content_type="wifi",
                  content={"ssid": "Cafe", "password": "pw"})
    copy = client.post(f"/api/qr-codes/{wifi['id']}/duplicate", headers=ada).get_json()
    assert copy["content"] == wifi["content"] and copy["content_fields"] == wifi["content_fields"]


def test_duplicate_takes_an_optional_title_and_refuses_a_bad_body(client, ada):
    code = create(client, ada, title="Menu")
    named = client.post(f"/api/qr-codes/{code['id']}/duplicate", json={"title": "Menu, terrace"}, headers=ada)
    assert named.status_code == 201 and named.get_json()["title"] == "Menu, terrace"
    for body in ({"title": "x" * 201}, {"slug": "mine"}, [1]):
        refused = client.post(f"/api/qr-codes/{code['id']}/duplicate", json=body, headers=ada)
        assert refused.status_code in (400, 422), body
    assert len(client.get("/api/qr-codes", headers=ada).get_json()["items"]) == 2
