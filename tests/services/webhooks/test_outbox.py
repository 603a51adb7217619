"""The outbox writer: signals become outbox rows in the same transaction, one per subscriber."""
import json

import pytest
import sqlalchemy
from sqlalchemy import select

from tests.factories import make_code, make_endpoint, make_job, make_user, owner_of, workspace_of
from tests.support.webhooks import WEBHOOK_SETTINGS
from webapp.extensions import db
from webapp.models import WebhookOutbox
from webapp.services import signals
from webapp.services.scans import recording
from webapp.services.webhooks import endpoints, events
from webapp.services.webhooks.dispatch import REQUESTED_KEY, sweep_due_deliveries

URL = "http://127.0.0.1:9/hook"  # never contacted here: nothing is drained in this module


pytestmark = pytest.mark.settings(WEBHOOK_SETTINGS)


def outbox():
    return db.session.scalars(select(WebhookOutbox).order_by(WebhookOutbox.created_at)).all()


def test_a_scan_writes_one_row_per_subscribed_enabled_endpoint_of_the_owner(app, redis):
    with app.app_context():
        owner, other = make_user(), make_user("other@example.com")
        code = make_code(owner, "shopwindow", announce=False, commit=False)
        scans = make_endpoint(owner, URL, events=["qr.scanned"])
        make_endpoint(owner, URL, events=["qr.created"])  # not subscribed to scans
        disabled = make_endpoint(owner, URL, events=["qr.scanned"])
        endpoints.set_enabled(owner_of(disabled.workspace_id), disabled, False)
        make_endpoint(other, URL, events=["qr.scanned"])  # someone else's
        db.session.commit()
        redis.delete(REQUESTED_KEY)

        scan = recording.record_scan(code.id, user_agent="Mozilla/5.0 (iPhone)")
        assert redis.llen("rq:queue:default") == 0  # nothing is enqueued before the commit
        db.session.commit()

        rows = outbox()
        assert [r.endpoint_id for r in rows] == [scans.id]
        body = json.loads(rows[0].payload)
        assert body["type"] == "qr.scanned" and body["id"] == rows[0].event_id
        assert body["data"]["scan"]["id"] == str(scan.id)
        assert body["data"]["qr_code"]["slug"] == "shopwindow"
        assert "ip_hash" not in body["data"]["scan"]
    assert redis.llen("rq:queue:default") == 1


def test_a_rolled_back_change_leaves_no_row_and_enqueues_nothing(app, redis):
    with app.app_context():
        owner = make_user()
        make_endpoint(owner, URL)
        db.session.commit()
        redis.delete(REQUESTED_KEY)
        code = make_code(owner, "shopwindow", announce=False, commit=False)
        signals.code_created.send(code)
        db.session.rollback()
        assert outbox() == []
        db.session.commit()
    assert redis.llen("rq:queue:default") == 0


def test_code_filter_limits_code_events_and_excludes_job_events(app):
    with app.app_context():
        owner = make_user()
        window = make_code(owner, "window", announce=False, commit=False)
        poster = make_code(owner, "poster", announce=False, commit=False)
        everything = make_endpoint(owner, URL, events=["qr.updated", "job.completed"])
        only_poster = make_endpoint(owner, URL, events=["qr.updated", "job.completed"],
                                    qr_code_id=poster.slug)
        assert only_poster.qr_code_id == poster.id
        db.session.commit()

        signals.code_updated.send(window, changes={"title": ("Window", "Front window")})
        signals.code_updated.send(poster, changes={"target_url": ("https://a.example", "https://b.example")})
        job = make_job(workspace_of(owner), "bulk.create", result={"created": 3})
        signals.job_finished.send(job)
        db.session.commit()

        sent = {(r.endpoint_id, r.event_type, json.loads(r.payload)["data"].get("qr_code", {}).get("slug"))
                for r in outbox()}
        assert sent == {
            (everything.id, "qr.updated", "window"),
            (everything.id, "qr.updated", "poster"),
            (everything.id, "job.completed", None),
            (only_poster.id, "qr.updated", "poster"),
        }
        poster_event = next(json.loads(r.payload) for r in outbox()
                            if r.endpoint_id == only_poster.id)
        assert poster_event["data"]["changes"] == {
            "target_url": {"old": "https://a.example", "new": "https://b.example"}}


def test_one_event_to_two_endpoints_keeps_one_event_id_and_one_enqueue(app, redis):
    with app.app_context():
        owner = make_user()
        first, second = make_endpoint(owner, URL), make_endpoint(owner, URL)
        db.session.commit()
        redis.delete(REQUESTED_KEY)
        codes = [make_code(owner, f"c{i}", announce=False, commit=False) for i in range(5)]
        for code in codes:
            signals.code_created.send(code)
        db.session.commit()
        rows = outbox()
        assert len(rows) == 10
        by_event = {}
        for row in rows:
            by_event.setdefault(row.event_id, set()).add(row.endpoint_id)
        assert all(ids == {first.id, second.id} for ids in by_event.values())
        assert len(by_event) == 5
    assert redis.llen("rq:queue:default") == 1  # one drain job for the whole transaction


def test_codes_created_in_one_lookup_reach_every_subscriber_for_one_query(app):
    """A bulk chunk's codes share one look-up of the endpoints; outside it, each event looks."""
    with app.app_context():
        owner, other = make_user(), make_user("other@example.com")
        first, second = make_endpoint(owner, URL), make_endpoint(owner, URL, events=["qr.created"])
        theirs = make_endpoint(other, URL)
        db.session.commit()
        mine = [make_code(owner, f"m{i}", announce=False, commit=False) for i in range(4)]
        yours = make_code(other, "y0", announce=False, commit=False)
        selects = []

        def count(_conn, _cursor, statement, *_args):
            if "FROM webhook_endpoints" in statement:
                selects.append(statement)

        sqlalchemy.event.listen(db.engine, "before_cursor_execute", count)
        try:
            with events.one_lookup():
                for code in (*mine, yours):
                    signals.code_created.send(code)
            assert len(selects) == 2  # one per workspace, not one per code
            signals.code_created.send(make_code(owner, "after", announce=False, commit=False))
            assert len(selects) == 3  # the block's look-ups end with it
        finally:
            sqlalchemy.event.remove(db.engine, "before_cursor_execute", count)
        db.session.commit()
        sent = sorted((r.endpoint_id, json.loads(r.payload)["data"]["qr_code"]["slug"])
                      for r in outbox())
        assert sent == sorted([(e.id, slug) for e in (first, second)
                               for slug in ("m0", "m1", "m2", "m3", "after")]
                              + [(theirs.id, "y0")])


def test_a_deleted_code_still_reaches_an_endpoint_filtered_on_it(app):
    with app.app_context():
        owner = make_user()
        code = make_code(owner, "shopwindow", announce=False, commit=False)
        endpoint = make_endpoint(owner, URL, events=["qr.deleted"], qr_code_id=code.id)
        db.session.commit()
        signals.code_deleted.send(code)
        db.session.delete(code)
        db.session.commit()
        rows = outbox()
        assert [(r.endpoint_id, r.event_type) for r in rows] == [(endpoint.id, "qr.deleted")]
        assert json.loads(rows[0].payload)["data"]["qr_code"]["id"] == code.id


def test_the_sweep_requests_a_drain_only_when_something_is_due(app, redis):
    with app.app_context():
        owner = make_user()
        make_endpoint(owner, URL)
        db.session.commit()
        assert sweep_due_deliveries() == 0
        assert redis.llen("rq:queue:default") == 0
        make_code(owner, commit=False)
        db.session.commit()
        redis.flushdb()  # the enqueue is lost
        assert sweep_due_deliveries() == 1
    assert redis.llen("rq:queue:default") == 1


def test_with_redis_down_the_change_still_commits_and_its_event_waits_for_the_sweep(
        app, app_factory):
    down = app_factory(**{**{k: app.config[k] for k in ("WEBHOOK_ALLOW_HTTP", "WEBHOOK_ALLOW_PRIVATE")},
                          "REDIS_URL": "redis://127.0.0.1:1/0", "REDIS_SOCKET_TIMEOUT": 0.5})
    with down.app_context():
        owner = make_user()
        make_endpoint(owner, URL)
        make_code(owner, commit=False)
        db.session.commit()  # the enqueue fails after the commit, quietly
    with app.app_context():
        assert [r.status for r in outbox()] == ["pending"]
        assert sweep_due_deliveries() == 1
