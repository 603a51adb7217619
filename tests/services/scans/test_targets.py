"""A scan's webhook rows come from the subscriptions cached in its slug's look-up, which
follow every change of the owner's endpoints."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from tests.factories import make_code, make_endpoint, make_user, owner_of
from tests.support.webhooks import WEBHOOK_SETTINGS
from webapp.extensions import db
from webapp.models import User, WebhookEndpoint, WebhookOutbox
from webapp.services.scans import targets
from webapp.services.webhooks import endpoints, health

URL = "http://127.0.0.1:9/hook"


pytestmark = pytest.mark.settings(WEBHOOK_SETTINGS)


def scan(client, slug="shopwindow"):
    assert client.get(f"/s/{slug}").status_code == 302


def outbox_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(WebhookOutbox))


def test_an_endpoint_added_after_the_owner_was_cached_hears_the_next_scan(app, client):
    with app.app_context():
        owner = make_user()
        make_code(owner, "shopwindow", announce=False, commit=False)
        db.session.commit()
        user_id = owner.id
    scan(client)
    with app.app_context():
        assert targets.lookup("shopwindow").hooks == ()  # cached: no endpoint
        endpoint = make_endpoint(db.session.get(User, user_id), URL, events=["qr.scanned"])
        db.session.commit()
        endpoint_id = endpoint.id
    scan(client)
    with app.app_context():
        rows = db.session.scalars(select(WebhookOutbox)).all()
        assert [(r.endpoint_id, r.event_type) for r in rows] == [(endpoint_id, "qr.scanned")]


def test_disabling_an_endpoint_by_its_owner_or_by_its_failures_stops_scan_events(app, client):
    with app.app_context():
        owner = make_user()
        make_code(owner, "shopwindow", announce=False, commit=False)
        by_owner = make_endpoint(owner, URL, events=["qr.scanned"])
        by_failures = make_endpoint(owner, URL, events=["qr.scanned"])
        db.session.commit()
        by_owner_id, by_failures_id = by_owner.id, by_failures.id
    scan(client)
    assert outbox_count(app) == 2
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, by_owner_id)
        endpoints.set_enabled(owner_of(endpoint.workspace_id), endpoint, False)
        db.session.commit()
    scan(client)
    assert outbox_count(app) == 3
    with app.app_context():
        assert health.disable(by_failures_id, "Gone (410).", datetime.now(timezone.utc)) == 1
        db.session.commit()
    scan(client)
    assert outbox_count(app) == 3


def test_a_code_filter_decides_which_scans_an_endpoint_hears(app, client):
    with app.app_context():
        owner = make_user()
        make_code(owner, "window", announce=False, commit=False)
        poster = make_code(owner, "poster", announce=False, commit=False)
        make_endpoint(owner, URL, events=["qr.scanned"], qr_code_id=poster.slug)
        db.session.commit()
    scan(client, "window")
    assert outbox_count(app) == 0
    scan(client, "poster")
    assert outbox_count(app) == 1


def test_without_redis_the_database_answers(app, app_factory):
    with app.app_context():
        owner = make_user()
        code = make_code(owner, "shopwindow", announce=False, commit=False)
        endpoint = make_endpoint(owner, URL, events=["qr.scanned"])
        db.session.commit()
        workspace_id, code_id, endpoint_id = owner.id, code.id, endpoint.id
    down = app_factory(REDIS_URL="redis://127.0.0.1:1/0", REDIS_SOCKET_TIMEOUT=0.2)
    with down.app_context():
        target = targets.lookup("shopwindow")
        assert (target.workspace_id, target.code_id, target.endpoints()) == (workspace_id, code_id,
                                                                          [endpoint_id])


def test_a_stale_cache_naming_a_deleted_endpoint_loses_no_scan(app, client):
    """A scan that read the endpoints just before one was deleted can write its answer
    back into the cache after the delete dropped it: scans meanwhile must still count."""
    from webapp.extensions import cache
    from webapp.models import ScanEvent

    with app.app_context():
        owner = make_user()
        make_code(owner, "shopwindow", announce=False, commit=False)
        gone = make_endpoint(owner, URL, events=["qr.scanned"])
        kept = make_endpoint(owner, URL + "2", events=["qr.scanned"])
        db.session.commit()
        gone_id, kept_id = gone.id, kept.id
        stale = targets.load_slug("shopwindow")
        assert {endpoint for endpoint, _ in targets.ScanTarget(*stale).hooks} == {gone_id, kept_id}
        endpoints.delete_endpoint(owner_of(gone.workspace_id), db.session.get(WebhookEndpoint, gone_id))
        db.session.commit()
        cache.set(targets.cache_key("shopwindow"), stale, timeout=300)
    scan(client)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScanEvent)) == 1
        assert db.session.scalars(select(WebhookOutbox.endpoint_id)).all() == [kept_id]
