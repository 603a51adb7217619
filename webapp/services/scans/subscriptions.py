"""Which webhook endpoints want a code's scans, known without a query per scan.

A scan's outbox rows are written in the scan's own transaction (`scan_writes`),
on the redirect's hot path. Asking the database there for the owner's endpoints
would add a query to every scan of every code, though few owners have any. So
each owner's `qr.scanned` subscriptions, `[(endpoint id, code filter or None)]`
(empty for most owners), are kept in each code's slug look-up (`slug_cache`,
read by the scan redirect) and in a per-owner entry here (for the other writers
of scans), and both are dropped after any commit that changes one of the owner's
endpoints. Without Redis the database answers.
"""
import logging

import pybreaker
from sqlalchemy import event, select

from flask_sqlalchemy.session import Session

from webapp.infra.resilience import breakers
from webapp.infra.resilience.guard import guard
from webapp.extensions import cache, db
from webapp.models import WebhookEndpoint
from webapp.services import signals

log = logging.getLogger(__name__)

EVENT = "qr.scanned"
TTL = 300


def cache_key(owner_id):
    return f"scan-hooks:{owner_id}"


def load_subscriptions(owner_id):
    rows = db.session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.qr_code_id, WebhookEndpoint.events)
        .where(WebhookEndpoint.owner_id == owner_id, WebhookEndpoint.enabled.is_(True))
        .order_by(WebhookEndpoint.id))
    return [(endpoint_id, code_filter) for endpoint_id, code_filter, events in rows
            if EVENT in (events or [])]


def subscriptions(owner_id):
    key = cache_key(owner_id)
    breaker = breakers.redis_breaker()
    try:
        value = guard(breaker, cache.get, key)
    except Exception as exc:
        if not isinstance(exc, pybreaker.CircuitBreakerError):
            log.warning("scan-hooks cache unavailable; asking the database", exc_info=True)
        return load_subscriptions(owner_id)
    if value is None:
        value = load_subscriptions(owner_id)
        try:
            guard(breaker, cache.set, key, value, timeout=TTL)
        except Exception:
            log.warning("could not cache the scan hooks of owner %s", owner_id, exc_info=True)
    return value


def endpoints_for(owner_id, code_id):
    """Ids of the owner's enabled endpoints that subscribed to this code's scans."""
    return [endpoint_id for endpoint_id, code_filter in subscriptions(owner_id)
            if code_filter in (None, code_id)]


def invalidate(*owner_ids):
    from webapp.services.scans.targets import invalidate_owner  # slug_cache loads subscriptions from here

    cache.delete_many(*(cache_key(owner_id) for owner_id in owner_ids))
    for owner_id in owner_ids:
        invalidate_owner(owner_id)


def invalidate_after_commit(*owner_ids):
    signals.after_commit(invalidate, *sorted(set(owner_ids)))


@event.listens_for(Session, "after_flush")
def _endpoint_changes(session, _context):
    """Any endpoint added, changed or deleted through the ORM drops its owner's entry."""
    owners = {obj.owner_id for obj in (*session.new, *session.dirty, *session.deleted)
              if isinstance(obj, WebhookEndpoint)}
    if owners:
        signals.after_commit_in(session, invalidate, *sorted(owners))
