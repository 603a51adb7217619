"""Webhook endpoints as their owner manages them, and their delivery log."""
import base64
import os
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, or_, select, tuple_

from webapp.extensions import db
from webapp.models import QrCode, WebhookAttempt, WebhookEndpoint, WebhookOutbox
from webapp.models.base import utcnow
from webapp.services import Conflict, NotFound, ServiceError, audit, signals
from webapp.services.ids import looks_like_id
from webapp.services.ownership import get_owned
from webapp.services.webhooks.dispatch import request_drain
from webapp.services.webhooks.events import EVENT_TYPES, write_test_event
from webapp.services.webhooks.urls import validate_url

UNSET = object()
DELIVERY_STATUSES = ("pending", "processing", "delivered", "failed")


def new_secret():
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def clean_events(events):
    if isinstance(events, str):
        events = [events]
    events = [e.strip() for e in (events or []) if isinstance(e, str) and e.strip()]
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise ServiceError(f"Unknown event type: {', '.join(unknown)}. Choose from "
                           f"{', '.join(EVENT_TYPES)}.", fields={"events": "unknown event type"},
                           status=422)
    if not events:
        raise ServiceError("Choose at least one event.", fields={"events": "choose at least one"},
                           status=422)
    return [e for e in EVENT_TYPES if e in events]


def resolve_code(actor, code_ref):
    """The id of one of the owner's codes, given its id or its slug; None clears the filter."""
    code_ref = (code_ref or "").strip()
    if not code_ref:
        return None
    code_id = db.session.scalar(select(QrCode.id).where(
        QrCode.workspace_id == actor.workspace_id, or_(QrCode.id == code_ref, QrCode.slug == code_ref)))
    if code_id is None:
        message = "You have no code with that id or slug."
        raise ServiceError(message, fields={"qr_code_id": message}, status=422)
    return code_id


def checked_url(url):
    config = current_app.config
    return validate_url(url, allow_http=config["WEBHOOK_ALLOW_HTTP"],
                        allow_private=config["WEBHOOK_ALLOW_PRIVATE"])


def create_endpoint(actor, url, events, qr_code_id=None):
    endpoint = WebhookEndpoint(workspace_id=actor.workspace_id, url=checked_url(url), events=clean_events(events),
                               qr_code_id=resolve_code(actor, qr_code_id), secret=new_secret(),
                               enabled=True, failure_streak=0)
    db.session.add(endpoint)
    db.session.flush()
    audit.record(actor, "webhook.created", "webhook", endpoint.id, audit.created(_logged(endpoint)))
    return endpoint


def _logged(endpoint):
    """The fields the audit log follows; never the secret."""
    return {"url": endpoint.url, "events": list(endpoint.events or []),
            "qr_code_id": endpoint.qr_code_id}


def list_endpoints(actor):
    return db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == actor.workspace_id)
                              .order_by(WebhookEndpoint.created_at.desc())).all()


def get_endpoint(actor, endpoint_id):
    return get_owned(WebhookEndpoint, actor.workspace_id, endpoint_id, "No such webhook endpoint.")


def update_endpoint(actor, endpoint, url=UNSET, events=UNSET, qr_code_id=UNSET, enabled=UNSET):
    before = _logged(endpoint)
    if url is not UNSET:
        endpoint.url = checked_url(url)
    if events is not UNSET:
        endpoint.events = clean_events(events)
    if qr_code_id is not UNSET:
        endpoint.qr_code_id = resolve_code(actor, qr_code_id)
    after = _logged(endpoint)
    diff = {field: (before[field], after[field]) for field in after if before[field] != after[field]}
    if diff:
        audit.record(actor, "webhook.updated", "webhook", endpoint.id, audit.before_after(diff))
    if enabled is not UNSET:
        set_enabled(actor, endpoint, enabled)
    return endpoint


def set_enabled(actor, endpoint, enabled):
    if bool(enabled) != endpoint.enabled:
        audit.record(actor, "webhook.enabled" if enabled else "webhook.disabled", "webhook",
                     endpoint.id, {"enabled": [endpoint.enabled, bool(enabled)]})
    if enabled and not endpoint.enabled:
        # A fresh start: what failed before must not disable it again at once.
        endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = True, None, None
        endpoint.failure_streak, endpoint.failing_since = 0, None
        signals.after_commit_once(request_drain)  # its waiting events can go now
    elif not enabled and endpoint.enabled:
        endpoint.enabled, endpoint.disabled_at = False, utcnow()
        endpoint.disabled_reason = "Disabled by its owner."


def rotate_secret(actor, endpoint):
    """A new secret; the old one keeps signing (as a second signature) for the overlap."""
    audit.record(actor, "webhook.secret_rotated", "webhook", endpoint.id, {"secret": "rotated"})
    overlap = current_app.config["WEBHOOK_SECRET_OVERLAP_SECONDS"]
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = utcnow() + timedelta(seconds=overlap)
    endpoint.secret = new_secret()
    return endpoint.secret


def delete_endpoint(actor, endpoint):
    audit.record(actor, "webhook.deleted", "webhook", endpoint.id, audit.deleted(_logged(endpoint)))
    db.session.delete(endpoint)


def send_test_event(endpoint):
    if not endpoint.enabled:
        raise Conflict("Enable the endpoint before sending it a test event.")
    return write_test_event(endpoint)


def list_deliveries(endpoint, status=None, cursor=None, limit=50):
    """One page of the endpoint's outbox rows, newest first; (rows, next cursor)."""
    O = WebhookOutbox
    query = select(O).where(O.endpoint_id == endpoint.id)
    if status:
        if status not in DELIVERY_STATUSES:
            raise ServiceError(f"Status must be one of {', '.join(DELIVERY_STATUSES)}.",
                               fields={"status": "unknown status"}, status=422)
        query = query.where(O.status == status)
    if cursor:
        anchor = db.session.execute(select(O.created_at, O.id).where(
            O.id == cursor, O.endpoint_id == endpoint.id)).first()
        if anchor is None:
            raise ServiceError("That cursor is not valid.", fields={"cursor": "unknown"}, status=422)
        query = query.where(tuple_(O.created_at, O.id) < tuple_(anchor.created_at, anchor.id))
    rows = db.session.scalars(query.order_by(O.created_at.desc(), O.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def attempts_of(outbox_ids):
    result = {outbox_id: [] for outbox_id in outbox_ids}
    if outbox_ids:
        for attempt in db.session.scalars(select(WebhookAttempt).where(
                WebhookAttempt.outbox_id.in_(outbox_ids)).order_by(WebhookAttempt.attempted_at,
                                                                   WebhookAttempt.id)):
            result[attempt.outbox_id].append(attempt)
    return result


def get_delivery(actor, delivery_id):
    """An outbox row of one of the owner's endpoints, else NotFound."""
    row = db.session.get(WebhookOutbox, delivery_id) if looks_like_id(delivery_id) else None
    if row is None:
        raise NotFound("No such delivery.")
    get_owned(WebhookEndpoint, actor.workspace_id, row.endpoint_id, "No such delivery.")
    return row


def redeliver(actor, delivery_id):
    """Send a delivered or failed event again, with the same event id and body."""
    row = get_delivery(actor, delivery_id)
    if row.status in ("pending", "processing"):
        raise Conflict("This event is already waiting to be sent.")
    if not get_endpoint(actor, row.endpoint_id).enabled:
        raise Conflict("Enable the endpoint before sending its events again.")
    row.status, row.attempts, row.next_attempt_at = "pending", 0, utcnow()
    row.locked_until = row.lease_token = row.delivered_at = None
    row.last_error = None
    signals.after_commit_once(request_drain)
    return row


def status_counts(endpoint_ids):
    """{endpoint id: {status: count}} for the list page."""
    counts = {endpoint_id: {} for endpoint_id in endpoint_ids}
    if endpoint_ids:
        O = WebhookOutbox
        for endpoint_id, status, n in db.session.execute(
                select(O.endpoint_id, O.status, func.count()).where(O.endpoint_id.in_(endpoint_ids))
                .group_by(O.endpoint_id, O.status)):
            counts[endpoint_id][status] = n
    return counts


def announce_changes(session, _flush_context):
    """Session after_flush listener (webapp/wiring.py): every endpoint added, changed or
    deleted through the ORM sends `webhooks_changed` for its owner."""
    owners = {obj.workspace_id for obj in (*session.new, *session.dirty, *session.deleted)
              if isinstance(obj, WebhookEndpoint)}
    for workspace_id in sorted(owners):
        signals.webhooks_changed.send(workspace_id, session=session)
