"""Delivery to a real receiver: signatures, retries, Retry-After, 410, timeouts, the log."""
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook, WebhookVerificationError

from tests.factories import make_code, make_endpoint, make_user, workspace_of
from tests.support.processes import wait_for
from tests.support.receiver import Receiver, always, failing_first
from tests.support.webhooks import WEBHOOK_SETTINGS
from webapp.extensions import db
from webapp.models import WebhookAttempt, WebhookEndpoint, WebhookOutbox
from webapp.models.base import utcnow
from webapp.services.webhooks import endpoints
from webapp.services.workspaces import actors
from workers.periodic import run_task
from workers.webhooks import drain_deliveries

pytestmark = pytest.mark.settings(WEBHOOK_SETTINGS)


def create_events(app, url, n=1, events=("qr.created",)):
    """An endpoint at `url` and n qr.created events for it; returns the endpoint id."""
    with app.app_context():
        owner = make_user()
        endpoint = make_endpoint(owner, url, events=events)
        for i in range(n):
            make_code(owner, f"code{i}", commit=False)
        db.session.commit()
        return endpoint.id


def rows(app):
    with app.app_context():
        result = db.session.scalars(select(WebhookOutbox).order_by(WebhookOutbox.created_at)).all()
        db.session.expunge_all()
        return result


def attempts(app):
    with app.app_context():
        result = db.session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)).all()
        db.session.expunge_all()
        return result


def endpoint(app, endpoint_id):
    with app.app_context():
        result = db.session.get(WebhookEndpoint, endpoint_id)
        db.session.expunge_all()
        return result


def drain_until(app, predicate, timeout=10, message="deliveries"):
    def step():
        drain_deliveries()
        return predicate()
    return wait_for(step, timeout=timeout, interval=0.05, message=message)


def test_every_delivery_verifies_with_the_endpoint_secret(app, receiver, run_jobs):
    endpoint_id = create_events(app, receiver.url(), n=3)
    secret = endpoint(app, endpoint_id).secret
    assert secret.startswith("whsec_")
    run_jobs()  # the job the commit enqueued, in a real RQ worker
    received = receiver.wait_for(3)
    for request in received:
        event = Webhook(secret).verify(request.body, request.headers)
        assert event["id"] == request.event_id and event["type"] == "qr.created"
        assert request.headers["content-type"] == "application/json"
        with pytest.raises(WebhookVerificationError):
            Webhook(endpoints.new_secret()).verify(request.body, request.headers)
    assert {r.status for r in rows(app)} == {"delivered"}
    assert [a.outcome for a in attempts(app)] == ["delivered"] * 3
    assert attempts(app)[0].status_code == 200 and attempts(app)[0].response_excerpt == "thanks"


def test_during_rotation_both_secrets_verify_and_after_it_only_the_new_one(app, receiver):
    endpoint_id = create_events(app, receiver.url(), n=0)
    with app.app_context():
        row = db.session.get(WebhookEndpoint, endpoint_id)
        old = row.secret
        new = endpoints.rotate_secret(actors.system(row.workspace_id), row)
        workspace_id = row.workspace_id
        db.session.commit()
        make_code(workspace_id, "rotating", commit=False)
        db.session.commit()
    drain_deliveries()
    during = receiver.wait_for(1)[0]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(during.body, during.headers)
    assert Webhook(new).verify(during.body, during.headers)

    with app.app_context():
        row = db.session.get(WebhookEndpoint, endpoint_id)
        row.previous_secret_expires_at = utcnow() - timedelta(seconds=1)
        make_code(workspace_id, "rotated", commit=False)
        db.session.commit()
    drain_deliveries()
    after = receiver.wait_for(2)[1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)


def test_a_failed_attempt_is_retried_with_the_same_id_and_bytes(app, receiver):
    receiver.behaviour = failing_first(2)
    create_events(app, receiver.url())
    drain_until(app, lambda: rows(app)[0].status == "delivered")
    first, second, third = receiver.wait_for(3)
    assert first.event_id == second.event_id == third.event_id
    assert first.body == second.body == third.body
    assert [a.outcome for a in attempts(app)] == ["failed", "failed", "delivered"]
    assert [a.number for a in attempts(app)] == [1, 2, 3]
    assert attempts(app)[0].status_code == 500 and "500" in attempts(app)[0].error
    # the schedule's 0.2 s between attempts was kept
    assert second.at - first.at >= 0.2 and third.at - second.at >= 0.2


def test_attempts_run_out_into_a_dead_letter_that_can_be_redelivered(app, receiver):
    receiver.behaviour = always(500)
    endpoint_id = create_events(app, receiver.url())
    drain_until(app, lambda: rows(app)[0].status == "failed", message="the dead letter")
    assert receiver.count() == len(app.config["WEBHOOK_RETRY_SCHEDULE"])
    row = rows(app)[0]
    receiver.behaviour = always(204)
    with app.app_context():
        endpoints.redeliver(actors.system(endpoint(app, endpoint_id).workspace_id), row.id)
        db.session.commit()
    drain_until(app, lambda: rows(app)[0].status == "delivered")
    assert receiver.event_ids()[-1] == row.event_id


def test_a_slow_receiver_is_a_failed_attempt_and_is_retried(app, receiver):
    receiver.behaviour = failing_first(0)
    slow = receiver.sleeping(1.6)  # past the 1 s read timeout
    calls = {"n": 0}

    def behaviour(request):
        calls["n"] += 1
        return slow(request) if calls["n"] == 1 else (200, {}, b"ok")
    receiver.behaviour = behaviour
    create_events(app, receiver.url())
    drain_deliveries()
    first = attempts(app)[0]
    assert first.outcome == "failed" and first.status_code is None
    assert "read timeout" in first.error
    assert 900 <= first.duration_ms < 3000
    drain_until(app, lambda: rows(app)[0].status == "delivered")
    assert receiver.count() == 2


def test_410_gone_disables_the_endpoint_with_a_reason(app, receiver):
    receiver.behaviour = always(410)
    endpoint_id = create_events(app, receiver.url(), n=3)
    drain_deliveries()
    gone = endpoint(app, endpoint_id)
    assert gone.enabled is False and "410" in gone.disabled_reason
    assert receiver.count() == 1  # the rest of the batch is not sent to a disabled endpoint
    statuses = sorted(r.status for r in rows(app))
    assert statuses == ["failed", "pending", "pending"]
    drain_deliveries()
    assert receiver.count() == 1  # and nothing later either


def test_429_with_retry_after_waits_that_long(app, receiver):
    answers = iter([(429, {"Retry-After": "2"}, b"slow down")])
    receiver.behaviour = lambda request: next(answers, (200, {}, b"ok"))
    create_events(app, receiver.url())
    drain_deliveries()
    row = rows(app)[0]
    first = attempts(app)[0]
    assert row.status == "pending" and first.status_code == 429
    wait = (row.next_attempt_at - first.attempted_at).total_seconds()
    assert 1.9 <= wait <= 2.5  # not the schedule's 0.2 s
    drain_deliveries()
    assert receiver.count() == 1  # too early: nothing sent
    drain_until(app, lambda: rows(app)[0].status == "delivered")
    second = receiver.requests[1]
    assert second.at - receiver.requests[0].at >= 1.9


@pytest.mark.settings(WEBHOOK_DISABLE_AFTER_SECONDS=0.5, WEBHOOK_RETRY_SCHEDULE=(0,) + (0.2,) * 20)
def test_an_endpoint_failing_too_long_without_success_is_disabled(app, receiver):
    receiver.behaviour = always(503)
    endpoint_id = create_events(app, receiver.url())
    drain_until(app, lambda: not endpoint(app, endpoint_id).enabled, message="the endpoint to be disabled")
    disabled = endpoint(app, endpoint_id)
    assert "without a successful delivery" in disabled.disabled_reason
    assert "503" in disabled.disabled_reason
    assert disabled.failure_streak >= 2 and disabled.failing_since is not None
    assert rows(app)[0].status == "pending"  # kept for when the owner enables it again
    count = receiver.count()
    time.sleep(0.3)
    drain_deliveries()
    assert receiver.count() == count


def test_a_redirect_is_never_followed(app, receiver):
    with Receiver() as internal:
        receiver.behaviour = always(302, {"Location": internal.url("/admin")})
        create_events(app, receiver.url())
        drain_deliveries()
        time.sleep(0.2)
        assert internal.count() == 0
    first = attempts(app)[0]
    assert first.status_code == 302 and "redirects are not followed" in first.error


@pytest.mark.settings(WEBHOOK_MAX_RESPONSE_BYTES=4096)
def test_response_excerpt_is_capped(app, receiver):
    receiver.behaviour = always(200, body=b"x" * 100_000)
    create_events(app, receiver.url(), n=2)
    drain_deliveries()
    assert [r.status for r in rows(app)] == ["delivered", "delivered"]
    assert all(len(a.response_excerpt) == 1000 for a in attempts(app))


def test_the_body_is_the_documented_event(app, receiver):
    create_events(app, receiver.url())
    drain_deliveries()
    event = json.loads(receiver.wait_for(1)[0].body)
    assert set(event) == {"id", "type", "created_at", "data"}
    assert event["id"].startswith("evt_") and event["created_at"].endswith("Z")
    code = event["data"]["qr_code"]
    assert code["slug"] == "code0" and code["scan_url"].endswith("/s/code0")


def test_a_failed_attempt_schedules_its_own_wake_up(app, receiver, redis, run_jobs):
    from rq.registry import ScheduledJobRegistry

    from webapp.services.jobs.queues import queue

    receiver.behaviour = failing_first(1)
    create_events(app, receiver.url())
    run_jobs()
    row = rows(app)[0]
    assert row.status == "pending" and row.attempts == 1
    registry = ScheduledJobRegistry(queue=queue("default", redis))
    [job_id] = registry.get_job_ids()
    at = registry.get_scheduled_time(job_id)
    assert abs((at - row.next_attempt_at).total_seconds()) < 1.0


def test_old_delivered_events_are_pruned_with_their_attempts(app, receiver):
    create_events(app, receiver.url(), n=2)
    drain_deliveries()
    with app.app_context():
        old = db.session.scalars(select(WebhookOutbox)).first()
        old.delivered_at = utcnow() - timedelta(days=31)
        db.session.commit()
        old_id = old.id
    assert run_task("webhooks.prune") == 1  # as the periodic scheduler runs it
    assert [r.id for r in rows(app)] != [] and old_id not in [r.id for r in rows(app)]
    assert len(attempts(app)) == 1


def test_an_unsendable_row_fails_alone_and_the_batch_goes_on(app, receiver):
    with app.app_context():
        owner = make_user()
        make_endpoint(owner, receiver.url(), events=["qr.created"])
        broken = WebhookEndpoint(workspace_id=workspace_of(owner), url="http://[::1/hook", secret=endpoints.new_secret(),
                                 events=["qr.created"], enabled=True, failure_streak=0)
        db.session.add(broken)  # stored as is, as if saved before a rule existed
        for slug in ("a", "b"):
            make_code(owner, slug, commit=False)
        db.session.commit()
        broken_id = broken.id
    drain_deliveries()
    statuses = sorted((r.endpoint_id == broken_id, r.status) for r in rows(app))
    assert statuses == [(False, "delivered"), (False, "delivered"), (True, "pending"), (True, "pending")]
    assert receiver.count() == 2
    errors = {a.error for a in attempts(app) if a.error}
    assert errors and all(e.startswith("Not sent: ValueError") for e in errors)
