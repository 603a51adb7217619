"""Never lost: a receiver that is down for a while, a worker killed mid-send, a flushed Redis."""
import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook

from tests.factories import make_code, make_endpoint, make_user
from tests.support.processes import wait_for
from tests.support.receiver import Receiver, always
from tests.support.webhooks import WEBHOOK_SETTINGS, as_env
from webapp.extensions import db
from webapp.models import WebhookAttempt, WebhookEndpoint, WebhookOutbox
from webapp.services.scans import recording
from webapp.services.webhooks.dispatch import sweep_due_deliveries
from workers.webhooks import drain_deliveries

# The sweep, the safety net for a lost wake-up, every 2 s instead of 30. Under a loaded
# CI machine the first delivery after the receiver came back has twice missed the 20 s
# window below (not reproduced alone); the test is about no event being lost or sent
# twice, and a short sweep bounds how long any missed wake-up can hold a row back.
OUTAGE = dict(WEBHOOK_RETRY_SCHEDULE=(0,) + (0.3,) * 30, WEBHOOK_BREAKER_FAIL_MAX=5,
              WEBHOOK_BREAKER_RESET_SECONDS=1, WEBHOOK_SWEEP_INTERVAL=2)
KILL = dict(WEBHOOK_READ_TIMEOUT=2.0, WEBHOOK_LEASE_SECONDS=4.5)


pytestmark = pytest.mark.settings(WEBHOOK_SETTINGS)


def scans(app, url, n):
    """n real scans of one code whose owner subscribed `url` to qr.scanned."""
    with app.app_context():
        owner = make_user()
        make_endpoint(owner, url, events=["qr.scanned"])
        code = make_code(owner, "shopwindow", announce=False, commit=False)
        db.session.commit()
        for _ in range(n):
            recording.record_scan(code.id, user_agent="Mozilla/5.0")
        db.session.commit()


def outbox(app):
    with app.app_context():
        rows = db.session.scalars(select(WebhookOutbox)).all()
        db.session.expunge_all()
        return rows


def delivered_attempts(app):
    with app.app_context():
        return dict(db.session.execute(
            select(WebhookAttempt.outbox_id, func.count()).where(WebhookAttempt.outcome == "delivered")
            .group_by(WebhookAttempt.outbox_id)).all())


@pytest.mark.slow
@pytest.mark.settings(OUTAGE)
def test_receiver_down_then_failing_then_up_every_event_delivered_once(app, worker_process):
    receiver = Receiver()  # not listening yet: connection refused
    scans(app, receiver.url(), 20)
    env = as_env({**WEBHOOK_SETTINGS, **OUTAGE})
    workers = [worker_process(**env), worker_process(**env)]  # two, competing for the rows

    wait_for(lambda: any(r.attempts >= 2 for r in outbox(app)), timeout=30,
             message="attempts against the closed port")
    receiver.behaviour = always(500)
    receiver.up()
    receiver.wait_for(1, timeout=20)  # it answers 500s for a while
    receiver.behaviour = always(200, body=b"ok")
    try:
        wait_for(lambda: all(r.status == "delivered" for r in outbox(app)), timeout=60,
                 interval=0.3, message="every event to be delivered")
    except AssertionError:
        raise AssertionError("\n".join(w.output()[-3000:] for w in workers))
    finally:
        receiver.stop()

    rows = outbox(app)
    assert len(rows) == 20
    with app.app_context():
        secret = db.session.scalar(select(WebhookEndpoint.secret))
    for request in receiver.requests:  # every request that arrived is signed with the secret
        assert Webhook(secret).verify(request.body, request.headers)["id"] == request.event_id
    seen = set(receiver.event_ids())
    assert {r.event_id for r in rows} <= seen  # each event reached the receiver at least once
    assert delivered_attempts(app) == {r.id: 1 for r in rows}  # and was marked delivered once
    with app.app_context():
        errors = {a.error for a in db.session.scalars(select(WebhookAttempt)) if a.error}
    assert "Connection refused." in errors and "HTTP 500 Internal Server Error" in errors


@pytest.mark.slow
@pytest.mark.settings(KILL)
def test_a_worker_killed_mid_delivery_delivers_after_the_lease_expires(app, worker_process):
    with Receiver() as receiver:
        receiver.behaviour = receiver.hanging()
        scans(app, receiver.url(), 1)
        worker = worker_process(**as_env({**WEBHOOK_SETTINGS, **KILL}))
        receiver.wait_for(1, timeout=30)  # the worker is inside the POST now
        worker.kill()
        receiver.behaviour = always(200)

        [row] = outbox(app)
        assert row.status == "processing"
        drain_deliveries()  # the lease still holds: nobody else may send it yet
        assert receiver.count() == 1

        def delivered():
            sweep_due_deliveries_in(app)  # the periodic sweep, as the scheduler runs it
            drain_deliveries()
            return outbox(app)[0].status == "delivered"
        wait_for(delivered, timeout=15, interval=0.25, message="delivery after the lease")

    assert receiver.event_ids() == [row.event_id, row.event_id]
    with app.app_context():
        log = [(a.number, a.outcome) for a in db.session.scalars(
            select(WebhookAttempt).order_by(WebhookAttempt.id))]
    assert log == [(1, "interrupted"), (2, "delivered")], [
        (a.number, a.outcome, a.error) for a in all_attempts(app)]


def all_attempts(app):
    with app.app_context():
        return db.session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)).all()


def sweep_due_deliveries_in(app):
    with app.app_context():
        return sweep_due_deliveries()


def test_redis_flushed_between_a_scan_and_its_delivery_the_sweep_delivers_it(app, redis, run_jobs):
    with Receiver() as receiver:
        scans(app, receiver.url(), 1)
        assert redis.llen("rq:queue:default") == 1
        redis.flushdb()  # a Redis restart without persistence
        assert run_jobs() == 0
        assert outbox(app)[0].status == "pending"

        assert sweep_due_deliveries_in(app) == 1
        assert run_jobs() >= 1
        assert outbox(app)[0].status == "delivered"
        assert receiver.count() == 1
