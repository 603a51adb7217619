"""Getting delivery jobs onto the queue: on demand, at the next due time, and by the sweep.

The outbox in the database is the truth; Redis only carries wake-up calls. Any of
them may be lost (a Redis restart, a flush, a crashed enqueue): the sweep looks at
the database and asks again, so no event waits for ever.
"""
import logging
import math
import time
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.infra.redis_client import get_redis
from webapp.models import WebhookEndpoint, WebhookOutbox
from webapp.models.base import utcnow
from webapp.models.webhooks import WAITING
from webapp.services.jobs.queues import queue

log = logging.getLogger(__name__)

DRAIN_JOB = "workers.webhooks.drain_deliveries"
QUEUE = "default"
# While set, a drain job is waiting in the queue and another request adds nothing.
# Short-lived: if that job is lost (a worker stopped right after taking it), new
# events wait at most this long before they can ask again.
REQUESTED_KEY = "scanlink:webhooks:drain-requested"
REQUEST_TTL = 10
WAKEUP_KEY = "scanlink:webhooks:wakeup-at"


def _job_timeout():
    config = current_app.config
    return int(config["WEBHOOK_DRAIN_SECONDS"] + config["WEBHOOK_LEASE_SECONDS"] + 60)


def request_drain():
    """Ask for a delivery job unless one is already waiting. False if Redis failed."""
    redis = get_redis()
    try:
        if not redis.set(REQUESTED_KEY, "1", nx=True, ex=REQUEST_TTL):
            return True
        queue(QUEUE, redis).enqueue(DRAIN_JOB, job_timeout=_job_timeout(), result_ttl=0,
                                    failure_ttl=24 * 3600, description="deliver due webhooks")
        return True
    except Exception:  # the outbox keeps the rows; the sweep asks again
        log.warning("could not enqueue webhook delivery; the sweep will", exc_info=True)
        try:
            redis.delete(REQUESTED_KEY)
        except Exception:
            pass
        return False


def drain_started():
    """A drain job took the request: changes committed from now on need a new one."""
    try:
        get_redis().delete(REQUESTED_KEY)
    except Exception:
        log.warning("could not clear the drain request flag", exc_info=True)


def schedule_wakeup(at):
    """One delayed drain job at `at` (aware datetime), unless an earlier one is set."""
    redis = get_redis()
    # RQ's scheduler keeps whole seconds (it floors): a job for 12.4 s could run at 12 s,
    # find its row not yet due and, seeing this wake-up still set, schedule none.
    when = math.ceil(at.timestamp())
    now = time.time()
    if when <= now:
        return request_drain()
    try:
        current = redis.get(WAKEUP_KEY)
        if current is not None and now < float(current) <= when:
            return True
        redis.set(WAKEUP_KEY, f"{when:.3f}", ex=int(when - now) + 60)
        queue(QUEUE, redis).enqueue_at(
            datetime.fromtimestamp(when, timezone.utc), DRAIN_JOB, job_timeout=_job_timeout(),
            result_ttl=0, failure_ttl=24 * 3600, description="deliver webhooks due later")
        return True
    except Exception:
        log.warning("could not schedule the next webhook delivery; the sweep will", exc_info=True)
        return False


def _due_filter():
    return (WAITING, WebhookEndpoint.enabled.is_(True))


def next_due_at():
    """When the earliest waiting delivery of an enabled endpoint is due, or None."""
    return db.session.scalar(
        select(func.min(WebhookOutbox.next_attempt_at))
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookOutbox.endpoint_id)
        .where(*_due_filter()))


def schedule_next_wakeup():
    at = next_due_at()
    if at is not None:
        schedule_wakeup(at)
    return at


def sweep_due_deliveries():
    """The periodic safety net: request delivery of rows whose wake-up was lost.

    Returns how many rows are due now. Cheap when nothing waits: one indexed query.
    """
    now = utcnow()
    due = db.session.scalar(
        select(func.count()).select_from(WebhookOutbox)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookOutbox.endpoint_id)
        .where(*_due_filter(), WebhookOutbox.next_attempt_at <= now))
    if due:
        request_drain()
    else:
        schedule_next_wakeup()
    return due
