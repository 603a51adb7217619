"""The outbox writer: domain signals become outbox rows in the same transaction.

A receiver of `code_created`, `code_updated`, … writes one row per enabled
endpoint of the owner that subscribed to the event (and whose code filter, if
any, matches). The rows commit or roll back with the change that caused them;
only after the commit is a delivery job requested, so the worker never looks for
a row that is not there yet, and a lost request is found again by the sweep.

Scans are written differently, for speed: `scans.writes` inserts their outbox rows
(`scan_outbox_rows`) in the scan's own transaction, for the endpoints the scan's
cached look-up (`scans.targets`) names.

The receivers are connected in webapp/wiring.py.
"""
import json
from contextlib import contextmanager

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import WebhookEndpoint, WebhookOutbox
from webapp.models.base import new_id, utcnow
from webapp.services import signals
from webapp.services.codes.content import code_scan_url
from webapp.services.webhooks.dispatch import request_drain

EVENT_TYPES = ("qr.scanned", "qr.created", "qr.updated", "qr.deleted", "job.completed", "job.failed")
TEST_EVENT = "webhook.test"
# A job's result beyond this is left out of its event rather than sent whole.
MAX_RESULT_CHARS = 32_000
_LOOKUPS = "scanlink_endpoint_lookups"  # session.info: {workspace id: endpoints}, in `one_lookup`


def iso(moment):
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z") if moment else None


def event_body(event_id, event_type, created_at, data):
    """The exact bytes that are signed and sent, on every attempt."""
    return json.dumps({"id": event_id, "type": event_type, "created_at": iso(created_at),
                       "data": data}, separators=(",", ":"), default=_json_default)


def _json_default(value):
    if hasattr(value, "isoformat"):
        return iso(value) if getattr(value, "tzinfo", None) else value.isoformat()
    return str(value)


@contextmanager
def one_lookup():
    """Events written inside share one look-up of each workspace's endpoints: a bulk chunk
    sends `code_created` for hundreds of codes and changes no endpoint meanwhile."""
    info = db.session().info
    if _LOOKUPS in info:  # inside another block: its look-ups serve this one too
        yield
        return
    info[_LOOKUPS] = {}
    try:
        yield
    finally:
        info.pop(_LOOKUPS, None)


def subscribed_endpoints(workspace_id, event_type, qr_code_id=None):
    if workspace_id is None:
        return []
    kept = db.session().info.get(_LOOKUPS)
    endpoints = kept.get(workspace_id) if kept is not None else None
    if endpoints is None:
        endpoints = db.session.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.enabled.is_(True))).all()
        if kept is not None:
            kept[workspace_id] = endpoints
    return [e for e in endpoints
            if event_type in (e.events or []) and e.qr_code_id in (None, qr_code_id)]


def scan_subscriptions(workspace_id):
    """The workspace's enabled `qr.scanned` subscriptions, [(endpoint id, code filter or None)]:
    what a scan's cached look-up keeps (scans/targets.py), so a scan needs no query here."""
    rows = db.session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.qr_code_id, WebhookEndpoint.events)
        .where(WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.enabled.is_(True))
        .order_by(WebhookEndpoint.id))
    return [(endpoint_id, code_filter) for endpoint_id, code_filter, events in rows
            if "qr.scanned" in (events or [])]


def write_event(workspace_id, event_type, data, qr_code_id=None, endpoints=None):
    """Adds the event's outbox rows to the session; returns them (maybe none)."""
    if endpoints is None:
        endpoints = subscribed_endpoints(workspace_id, event_type, qr_code_id)
    if not endpoints:
        return []
    now = utcnow()
    event_id = "evt_" + new_id()
    body = event_body(event_id, event_type, now, data() if callable(data) else data)
    rows = [WebhookOutbox(id=new_id(), event_id=event_id, endpoint_id=e.id, event_type=event_type,
                          payload=body, status="pending", attempts=0, next_attempt_at=now)
            for e in endpoints]
    db.session.add_all(rows)
    signals.after_commit_once(request_drain)
    return rows


def code_data(code):
    data = {
        "id": code.id, "kind": code.kind, "slug": code.slug, "title": code.title,
        "style": code.style or {}, "active": code.active, "expires_at": iso(code.expires_at),
        "scannable": code.scannable, "scan_count": code.scan_count or 0, "folder": code.folder,
        "created_at": iso(code.created_at), "updated_at": iso(code.updated_at),
    }
    if code.kind == "static":
        data["content"] = code.content
    else:
        data["target_url"] = code.target_url
        data["scan_url"] = code_scan_url(code)
    return data


def _on_code_event(event_type, code, changes):
    def data():
        payload = {"qr_code": code_data(code)}
        if changes:
            payload["changes"] = {field: {"old": old, "new": new}
                                  for field, (old, new) in changes.items()}
        return payload
    write_event(code.workspace_id, event_type, data, qr_code_id=code.id)


def on_code_created(code, **_extra):
    _on_code_event("qr.created", code, None)


def on_code_updated(code, changes=None, **_extra):
    _on_code_event("qr.updated", code, changes)


def on_code_deleted(code, **_extra):
    _on_code_event("qr.deleted", code, None)


def scan_outbox_rows(event_id, row, hooks, now=None, live=None):
    """The outbox rows of one scan (`row`: the ScanEvent columns, `event_id` its id) for
    `hooks` = {"endpoints": [ids], "slug", "title"}; `scans.writes` inserts them with the
    scan, in its transaction, and requests the delivery after the commit. With `live`
    (endpoint ids), endpoints not in it are left out."""
    endpoints = [e for e in hooks["endpoints"] if live is None or e in live]
    if not endpoints:
        return []
    now = now or utcnow()
    webhook_event_id = "evt_" + new_id()
    body = event_body(webhook_event_id, "qr.scanned", now, {
        "qr_code": {"id": row["qr_code_id"], "slug": hooks["slug"], "title": hooks["title"]},
        "scan": {"id": str(event_id), "scanned_at": iso(row["scanned_at"]),
                 "device_type": row["device_type"], "os": row["os"], "browser": row["browser"],
                 "user_agent": row["user_agent"], "referrer": row["referrer"],
                 "country": row["country"] or None, "is_bot": bool(row["is_bot"])},
    })
    return [dict(id=new_id(), event_id=webhook_event_id, endpoint_id=endpoint_id,
                 event_type="qr.scanned", payload=body, status="pending", attempts=0,
                 next_attempt_at=now, created_at=now, updated_at=now)
            for endpoint_id in endpoints]


def on_job_finished(job, **_extra):
    if job.status not in ("completed", "failed"):
        return

    def data():
        result = job.result
        payload = {"id": job.id, "type": job.type, "status": job.status, "attempts": job.attempts,
                   "error": job.error, "created_at": iso(job.created_at),
                   "finished_at": iso(job.finished_at)}
        if result is not None and len(json.dumps(result, default=str)) > MAX_RESULT_CHARS:
            payload["result_omitted"] = True  # too large: the API has it
        else:
            payload["result"] = result
        return {"job": payload}
    write_event(job.workspace_id, f"job.{job.status}", data)


def write_test_event(endpoint):
    data = {"message": "A test event from Scanlink. Your endpoint received and can verify it.",
            "endpoint_id": endpoint.id}
    return write_event(endpoint.workspace_id, TEST_EVENT, data, endpoints=[endpoint])[0]
