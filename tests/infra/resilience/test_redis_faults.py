"""Redis goes away (a real cut, through a TCP proxy): scans still redirect and are
recorded; jobs and webhook deliveries wait in the database and catch up when it returns."""
import time

import pytest
from sqlalchemy import func, select

from tests.factories import make_code, make_endpoint
from tests.support.backends import redis_url
from tests.support.faults import FAST_FAILURE, through_redis_proxy
from tests.support.receiver import Receiver
from tests.support.webhooks import WEBHOOK_SETTINGS
from webapp.extensions import db
from webapp.models import BackgroundJob, ScanEvent, User, WebhookOutbox
from webapp.services.jobs import lifecycle, queues
from webapp.services.webhooks import dispatch

pytestmark = pytest.mark.settings(FAST_FAILURE, WEBHOOK_SETTINGS, "through_the_proxy")


@pytest.fixture
def through_the_proxy(redis_proxy):
    return through_redis_proxy(redis_url(), redis_proxy)


def count_rows(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("fault", ["cut", "reset"])
def test_scans_redirect_and_are_recorded_while_redis_is_down(app, client, redis_proxy, fault):
    with app.app_context():
        make_code(slug="cached", target_url="https://shop.example/a")
        make_code(slug="fresh", target_url="https://shop.example/b")
    assert client.get("/s/cached").status_code == 302  # now in the slug cache
    redis_proxy.mode = fault

    timings = []
    for slug, location in [("cached", "https://shop.example/a"), ("fresh", "https://shop.example/b")] * 3:
        started = time.monotonic()
        response = client.get(f"/s/{slug}")
        timings.append(time.monotonic() - started)
        assert response.status_code == 302
        assert response.headers["Location"] == location
    assert count_rows(app, ScanEvent) == 7
    # Each failing Redis call costs at most one socket timeout, and once the redis
    # breaker has opened a scan does not wait on Redis at all.
    assert max(timings) < 2 * FAST_FAILURE["REDIS_SOCKET_TIMEOUT"] + 1
    assert timings[-1] < FAST_FAILURE["REDIS_SOCKET_TIMEOUT"]
    with app.app_context():
        from webapp.infra.resilience.breakers import redis_breaker

        assert redis_breaker().current_state == "open"

    redis_proxy.restore()
    time.sleep(FAST_FAILURE["REDIS_BREAKER_RESET_SECONDS"] + 0.1)
    assert client.get("/s/cached").status_code == 302
    with app.app_context():
        assert redis_breaker().current_state == "closed"
    assert count_rows(app, ScanEvent) == 8


def test_a_redis_that_hangs_costs_scans_a_timeout_only_until_its_breaker_opens(
        app, client, redis_proxy):
    """A partition: Redis accepts connections and never answers. Every guarded call,
    including reading the shared database breaker from Redis, must stop waiting on it."""
    with app.app_context():
        make_code(slug="cached", target_url="https://shop.example/a")
    assert client.get("/s/cached").status_code == 302
    redis_proxy.slow(30)
    timings = []
    for _ in range(6):
        time.sleep(0.6)  # past the breakers' half-second read cache, each time
        started = time.monotonic()
        assert client.get("/s/cached").status_code == 302
        timings.append(time.monotonic() - started)
    assert count_rows(app, ScanEvent) == 7
    # Once the redis breaker has opened (the first scan's timeouts), a scan waits for
    # Redis only as the breaker's trial after each reset period, for one timeout at
    # most, and the others not at all.
    timeout = FAST_FAILURE["REDIS_SOCKET_TIMEOUT"]
    assert max(timings[1:]) < 1.5 * timeout, timings
    assert sum(t < timeout / 2 for t in timings[1:]) >= 2, timings


def test_a_job_submitted_while_redis_is_down_stays_pending_and_the_sweep_enqueues_it(
        app, redis_proxy, run_jobs):
    redis_proxy.cut()
    with app.app_context():
        row = queues.submit("worker.check")
        job_id = row.id
        assert db.session.get(BackgroundJob, job_id).status == "pending"
    redis_proxy.restore()
    run_jobs()  # nothing was enqueued: nothing runs
    with app.app_context():
        assert db.session.get(BackgroundJob, job_id).status == "pending"
        assert lifecycle.enqueue_lost_jobs() == {"enqueued": 1, "failed": 0}
        db.session.commit()
    run_jobs()
    with app.app_context():
        assert db.session.get(BackgroundJob, job_id).status == "completed"


def test_webhook_deliveries_of_scans_taken_while_redis_was_down_catch_up(
        app, client, redis_proxy, run_jobs):
    with Receiver() as receiver:
        with app.app_context():
            code = make_code(slug="hooked")
            make_endpoint(db.session.get(User, code.workspace_id), receiver.url())
            db.session.commit()
        redis_proxy.cut()
        for _ in range(3):
            assert client.get("/s/hooked").status_code == 302
        assert count_rows(app, ScanEvent) == 3
        # the outbox rows committed with the scans; their delivery request was lost
        assert count_rows(app, WebhookOutbox, WebhookOutbox.event_type == "qr.scanned") == 3

        redis_proxy.restore()
        with app.app_context():
            dispatch.sweep_due_deliveries()
            db.session.commit()
        run_jobs()
        receiver.wait_for(3)
        assert count_rows(app, WebhookOutbox, WebhookOutbox.status == "delivered") == 3
