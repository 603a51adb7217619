"""The whole path: a code made through the API, scanned at /s/<slug>, edited, deleted,
each event delivered signed to a real receiver by a real RQ worker."""
import pytest
from standardwebhooks import Webhook

from tests.support.processes import wait_for
from tests.support.receiver import Receiver
from tests.support.webhooks import WEBHOOK_SETTINGS

EVENTS = ["qr.created", "qr.scanned", "qr.updated", "qr.deleted"]


pytestmark = pytest.mark.settings(WEBHOOK_SETTINGS)


def test_code_lifecycle_and_a_real_scan_reach_the_receiver_signed(app, client, runner, run_jobs):
    runner.invoke(args=["users", "create", "shop@example.com", "--password", "long enough pw"])
    key = runner.invoke(args=["api-keys", "create", "shop@example.com"]).output.strip()
    api = {"Authorization": f"Bearer {key}"}

    with Receiver() as receiver:
        endpoint = client.post("/api/webhooks", headers=api,
                               json={"url": receiver.url(), "events": EVENTS})
        assert endpoint.status_code == 201, endpoint.json
        secret = endpoint.json["secret"]

        code = client.post("/api/qr-codes", headers=api, json={
            "kind": "dynamic", "target_url": "https://shop.example.com/menu", "title": "Menu"}).json
        scan = client.get(f"/s/{code['slug']}", headers={
            "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15"})
        assert scan.status_code == 302 and scan.headers["Location"] == "https://shop.example.com/menu"
        assert client.patch(f"/api/qr-codes/{code['id']}", headers=api,
                            json={"target_url": "https://shop.example.com/winter"}).status_code == 200
        assert client.get(f"/s/{code['slug']}").headers["Location"] == "https://shop.example.com/winter"
        assert client.delete(f"/api/qr-codes/{code['id']}", headers=api).status_code in (200, 204)

        def all_delivered():
            run_jobs()
            return len(receiver.requests) >= 5 and receiver.requests

        received = wait_for(all_delivered, timeout=30, message="five deliveries")

    verifier = Webhook(secret)
    bodies = [verifier.verify(r.body, r.headers) for r in received]
    types = [body["type"] for body in bodies]
    assert sorted(types) == sorted(["qr.created", "qr.scanned", "qr.updated", "qr.scanned", "qr.deleted"])
    assert len({r.event_id for r in received}) == 5
    scanned = [b for b in bodies if b["type"] == "qr.scanned"]
    assert {b["data"]["qr_code"]["slug"] for b in scanned} == {code["slug"]}
    assert {b["data"]["scan"]["os"] for b in scanned} >= {"iOS"}
    updated = next(b for b in bodies if b["type"] == "qr.updated")
    assert updated["data"]["changes"]["target_url"] == {
        "old": "https://shop.example.com/menu", "new": "https://shop.example.com/winter"}
