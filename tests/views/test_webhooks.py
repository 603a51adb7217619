"""The webhook pages: create, see the secret, rotate, test, the delivery log with filters, redeliver."""
import re

import pytest
from sqlalchemy import select

from tests.factories import make_user
from tests.support.auth import PASSWORD
from tests.support.receiver import always
from tests.support.webhooks import WEBHOOK_SETTINGS
from webapp.extensions import db
from webapp.models import WebhookEndpoint, WebhookOutbox
from workers.webhooks import drain_deliveries

pytestmark = pytest.mark.settings(WEBHOOK_SETTINGS)


def create(client, auth, url, events=("qr.scanned",), code=""):
    token = auth.token("/webhooks/")
    return client.post("/webhooks/", data={"url": url, "events": list(events), "qr_code": code,
                                           "csrf_token": token})


def only_endpoint(app):
    with app.app_context():
        endpoint = db.session.scalar(select(WebhookEndpoint))
        db.session.expunge_all()
        return endpoint


def post(client, auth, path, **data):
    return client.post(path, data={"csrf_token": auth.token("/webhooks/"), **data})


def test_adding_an_endpoint_shows_its_secret_and_lists_it(client, auth, app, receiver):
    auth.signup()
    empty = client.get("/webhooks/").get_data(as_text=True)
    assert "No endpoint yet" in empty and 'href="/webhooks/"' in empty
    response = create(client, auth, receiver.url(), events=["qr.scanned", "job.failed"])
    assert response.status_code == 302
    endpoint = only_endpoint(app)
    assert endpoint.events == ["qr.scanned", "job.failed"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert endpoint.secret in page and "<details open>" in page
    listing = client.get("/webhooks/").get_data(as_text=True)
    assert receiver.url() in listing and "Enabled" in listing


@pytest.mark.parametrize("url, events, message", [
    ("http://10.0.0.1/hook", ["qr.scanned"], "private network address"),
    ("http://169.254.169.254/", ["qr.scanned"], "link-local"),
    ("", ["qr.scanned"], "Enter the URL"),
    ("http://127.0.0.1:9/hook", [], "Choose at least one event"),
    ("http://127.0.0.1:9/hook", ["qr.exploded"], "is not a valid choice"),
])
def test_a_refused_endpoint_shows_why_next_to_the_field_and_saves_nothing(client, auth, app, url,
                                                                         events, message):
    auth.signup()
    response = create(client, auth, url, events=events)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'class="field-error"' in html
    assert only_endpoint(app) is None


def test_a_code_filter_must_be_ones_own_code(client, auth, app):
    auth.signup()
    response = create(client, auth, "http://127.0.0.1:9/hook", code="someone-elses")
    assert response.status_code == 422
    assert "You have no code with that id or slug" in response.get_data(as_text=True)


def test_another_users_endpoint_is_not_found(client, auth, app):
    auth.signup()
    create(client, auth, "http://127.0.0.1:9/hook")
    endpoint = only_endpoint(app)
    auth.logout()
    auth.signup(email="eve@example.com")
    assert client.get(f"/webhooks/{endpoint.id}").status_code == 404
    assert post(client, auth, f"/webhooks/{endpoint.id}/rotate").status_code == 404
    assert post(client, auth, f"/webhooks/{endpoint.id}/delete").status_code == 404
    assert only_endpoint(app).secret == endpoint.secret


def test_rotating_keeps_the_old_secret_signing_for_a_day(client, auth, app):
    auth.signup()
    create(client, auth, "http://127.0.0.1:9/hook")
    before = only_endpoint(app)
    response = post(client, auth, f"/webhooks/{before.id}/rotate")
    after = only_endpoint(app)
    assert after.secret != before.secret and after.previous_secret == before.secret
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert after.secret in page and "The previous secret also signs until" in page


def test_test_event_is_delivered_and_the_log_filters_by_status(client, auth, app, receiver):
    auth.signup()
    create(client, auth, receiver.url())
    endpoint = only_endpoint(app)
    assert post(client, auth, f"/webhooks/{endpoint.id}/test").status_code == 302
    receiver.behaviour = always(500, body=b"receiver says no")
    drain_deliveries()
    assert receiver.requests[0].json()["type"] == "webhook.test"

    page = client.get(f"/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "webhook.test" in page and "receiver says no" in page and "HTTP 500" in page

    fragment = client.get(f"/webhooks/{endpoint.id}?status=delivered", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and "No delivered deliveries." in html
    pending = client.get(f"/webhooks/{endpoint.id}?status=pending", headers={"HX-Request": "true"})
    assert "webhook.test" in pending.get_data(as_text=True)
    assert client.get(f"/webhooks/{endpoint.id}?status=bogus").status_code == 400


def test_redeliver_from_the_log(client, auth, app, receiver):
    auth.signup()
    create(client, auth, receiver.url())
    endpoint = only_endpoint(app)
    post(client, auth, f"/webhooks/{endpoint.id}/test")
    drain_deliveries()
    with app.app_context():
        row_id = db.session.scalar(select(WebhookOutbox.id))
    response = post(client, auth, f"/webhooks/deliveries/{row_id}/redeliver")
    # htmx sends the header; a plain form post gets a redirect
    assert response.status_code == 302
    again = client.post(f"/webhooks/deliveries/{row_id}/redeliver",
                        data={"csrf_token": auth.token("/webhooks/")}, headers={"HX-Request": "true"})
    assert again.status_code == 409
    assert "already waiting to be sent" in again.get_data(as_text=True)
    drain_deliveries()
    assert receiver.event_ids()[0] == receiver.event_ids()[1]
    done = client.post(f"/webhooks/deliveries/{row_id}/redeliver",
                       data={"csrf_token": auth.token("/webhooks/")}, headers={"HX-Request": "true"})
    assert done.status_code == 200 and "Queued to be sent again." in done.get_data(as_text=True)


def test_disable_and_enable_show_the_reason(client, auth, app):
    auth.signup()
    create(client, auth, "http://127.0.0.1:9/hook")
    endpoint = only_endpoint(app)
    post(client, auth, f"/webhooks/{endpoint.id}/disable")
    page = client.get(f"/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "This endpoint is disabled." in page and "Disabled by its owner." in page
    assert post(client, auth, f"/webhooks/{endpoint.id}/test").status_code == 409
    post(client, auth, f"/webhooks/{endpoint.id}/enable")
    assert only_endpoint(app).enabled is True


def test_editing_an_endpoint_and_deleting_it(client, auth, app):
    auth.signup()
    create(client, auth, "http://127.0.0.1:9/hook")
    endpoint = only_endpoint(app)
    bad = post(client, auth, f"/webhooks/{endpoint.id}/edit", url="http://10.1.2.3/x", events=["qr.created"])
    assert bad.status_code == 422 and "private network address" in bad.get_data(as_text=True)
    assert only_endpoint(app).url == "http://127.0.0.1:9/hook"
    assert only_endpoint(app).events == ["qr.scanned"]
    ok = post(client, auth, f"/webhooks/{endpoint.id}/edit", url="http://127.0.0.1:10/new",
              events=["qr.created", "qr.deleted"])
    assert ok.status_code == 302
    assert only_endpoint(app).events == ["qr.created", "qr.deleted"]
    post(client, auth, f"/webhooks/{endpoint.id}/delete")
    assert only_endpoint(app) is None


def test_the_status_page_shows_breakers_to_admins_only(client, auth, app, receiver):
    auth.signup()
    create(client, auth, receiver.url())
    post(client, auth, f"/webhooks/{only_endpoint(app).id}/test")
    drain_deliveries()
    assert client.get("/admin/status/").status_code == 403
    auth.logout()
    with app.app_context():
        make_user("root@example.com", password=PASSWORD, is_admin=True)
        db.session.commit()
    auth.login("root@example.com")
    page = client.get("/admin/status/").get_data(as_text=True)
    assert f"webhook:127.0.0.1:{receiver.port}" in page
    assert re.search(r'badge-closed">closed', page)
