"""What the admin status page shows besides the breakers: queues, backlogs, delivery health.

Each part is read on its own, so that one dependency being down leaves the others
visible (the page exists to be read during an outage).
"""
import logging
from datetime import timedelta

from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy import case, func, select

from webapp.extensions import db
from webapp.infra.redis_client import get_redis
from webapp.models import WebhookAttempt, WebhookEndpoint, WebhookOutbox
from webapp.models.base import utcnow
from webapp.services.jobs import queues
from webapp.services.scans import buffer

log = logging.getLogger(__name__)

SUCCESS_WINDOW = timedelta(hours=24)


def queue_lengths():
    """[{"queue", "waiting", "failed"}] for every RQ queue, or None without Redis."""
    redis = get_redis()
    try:
        return [{"queue": name, "waiting": Queue(name, connection=redis).count,
                 "failed": FailedJobRegistry(name, connection=redis).count}
                for name in queues.QUEUES]
    except Exception:
        log.warning("status: Redis did not answer", exc_info=True)
        return None


def scan_backlog():
    """(buffered, being written) scans waiting for the database, or None without Redis."""
    try:
        return buffer.backlog()
    except Exception:
        return None


def outbox_backlog():
    """{status: rows} of the webhook outbox rows not delivered, or None without the database."""
    try:
        rows = db.session.execute(
            select(WebhookOutbox.status, func.count())
            .where(WebhookOutbox.status != "delivered").group_by(WebhookOutbox.status))
        counts = {"pending": 0, "processing": 0, "failed": 0}
        counts.update({status: count for status, count in rows})
        return counts
    except Exception:
        log.warning("status: the database did not answer", exc_info=True)
        db.session.rollback()
        return None


def delivery_success(now=None):
    """Per endpoint over the last 24 hours: attempts, delivered, and the rate (0..1)."""
    since = (now or utcnow()) - SUCCESS_WINDOW
    delivered = func.sum(case((WebhookAttempt.outcome == "delivered", 1), else_=0))
    try:
        rows = db.session.execute(
            select(WebhookAttempt.endpoint_id, WebhookEndpoint.url, func.count(), delivered)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookAttempt.endpoint_id, isouter=True)
            .where(WebhookAttempt.attempted_at >= since)
            .group_by(WebhookAttempt.endpoint_id, WebhookEndpoint.url)
            .order_by(WebhookEndpoint.url))
    except Exception:
        log.warning("status: the database did not answer", exc_info=True)
        db.session.rollback()
        return None
    return [{"endpoint_id": endpoint_id, "url": url or "(deleted)", "attempts": attempts,
             "delivered": int(ok or 0), "rate": (int(ok or 0) / attempts) if attempts else None}
            for endpoint_id, url, attempts, ok in rows]
