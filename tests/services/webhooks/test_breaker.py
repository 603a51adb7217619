"""One circuit breaker per receiver host, its state shared through Redis."""
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from tests.factories import make_code, make_endpoint, make_user
from tests.support.processes import ROOT, process_env, wait_for
from tests.support.receiver import Receiver, always
from tests.support.webhooks import WEBHOOK_SETTINGS
from webapp.extensions import db
from webapp.infra.redis_client import get_redis
from webapp.infra.resilience import breakers
from webapp.models import WebhookAttempt, WebhookOutbox
from workers.context import set_app
from workers.webhooks import drain_deliveries

BREAKER = dict(WEBHOOK_BREAKER_FAIL_MAX=3, WEBHOOK_BREAKER_RESET_SECONDS=3,
               WEBHOOK_RETRY_SCHEDULE=(0,) + (0.1,) * 10)


pytestmark = pytest.mark.settings(WEBHOOK_SETTINGS, BREAKER)


def create_events(app, url, n):
    with app.app_context():
        owner = make_user()
        make_endpoint(owner, url, events=["qr.created"])
        for i in range(n):
            make_code(owner, f"c{i}", commit=False)
        db.session.commit()


def breaker_state(app, receiver):
    with app.app_context():
        breaker = breakers.get_breaker(f"webhook:127.0.0.1:{receiver.port}", fail_max=3,
                                         reset_timeout=3)
        return breaker.current_state


def state_in_another_process(app, receiver):
    """What a separate Python process (another worker, say) reads for this breaker."""
    code = ("from webapp.app import create_app; from webapp.infra.resilience import breakers;"
            "app = create_app();"
            "ctx = app.app_context(); ctx.push();"
            f"print(breakers.get_breaker('webhook:127.0.0.1:{receiver.port}', fail_max=3,"
            " reset_timeout=3).current_state)")
    env = process_env(app)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_breaker_opens_stops_attempts_and_closes_after_a_success_everywhere(app, app_factory, receiver):
    receiver.behaviour = always(500)
    create_events(app, receiver.url(), 6)
    drain_deliveries()

    assert receiver.count() == 3  # three failures open it; the other three were never sent
    with app.app_context():
        rows = db.session.scalars(select(WebhookOutbox)).all()
        assert sorted(r.attempts for r in rows) == [0, 0, 0, 1, 1, 1]
        skipped = [r for r in rows if r.attempts == 0]
        assert all("circuit is open" in r.last_error and r.status == "pending" for r in skipped)
        assert db.session.query(WebhookAttempt).count() == 3

    time.sleep(0.3)  # the 0.1 s retries are due, but the circuit is open
    drain_deliveries()
    assert receiver.count() == 3

    other = app_factory(**{**WEBHOOK_SETTINGS, **BREAKER})  # a second app instance: its own breaker objects
    assert breaker_state(other, receiver) == "open"
    assert state_in_another_process(app, receiver) == "open"

    receiver.behaviour = always(200)
    set_app(other)  # the trial call comes from the other instance
    with other.app_context():
        def delivered():
            drain_deliveries()
            return db.session.scalar(select(db.func.count()).where(
                WebhookOutbox.status == "delivered")) == 6
        wait_for(delivered, timeout=10, interval=0.2, message="the circuit to close")
    assert receiver.count() == 3 + 6
    assert breaker_state(app, receiver) == "closed"
    assert state_in_another_process(app, receiver) == "closed"

    with app.app_context():
        [snapshot] = breakers.breaker_snapshots(get_redis(app))
    assert snapshot["name"] == f"webhook:127.0.0.1:{receiver.port}"
    assert (snapshot["opened"], snapshot["half_opened"], snapshot["closed"]) == (1, 1, 1)
    assert snapshot["state"] == "closed" and snapshot["failures"] == 0


def test_client_errors_do_not_open_the_breaker(app, receiver):
    receiver.behaviour = always(400)
    create_events(app, receiver.url(), 5)
    drain_deliveries()
    assert receiver.count() == 5
    assert breaker_state(app, receiver) == "closed"


def test_an_open_breaker_on_one_host_does_not_hold_up_another(app, receiver):
    with Receiver() as healthy:
        receiver.behaviour = always(503)
        with app.app_context():
            owner = make_user()
            make_endpoint(owner, receiver.url(), events=["qr.created"])
            make_endpoint(owner, healthy.url(), events=["qr.created"])
            for i in range(5):
                make_code(owner, f"c{i}", commit=False)
            db.session.commit()
        drain_deliveries()
        assert receiver.count() == 3 and healthy.count() == 5
