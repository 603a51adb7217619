"""/api/webhooks: endpoints, their deliveries, redelivery (docs/api.md gives the shapes)."""
from typing import Literal

from flask import g, jsonify
from pydantic import BaseModel, ConfigDict, Field

from webapp.extensions import db
from webapp.services.webhooks import endpoints
from webapp.services.webhooks.events import iso
from webapp.views.api.blueprint import bp
from webapp.views.api.schema import operation, parse_body, parse_query
from webapp.web.access import needs

EventType = Literal["qr.scanned", "qr.created", "qr.updated", "qr.deleted", "job.completed", "job.failed"]
Status = Literal["pending", "processing", "delivered", "failed"]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=2048, description="https:// URL that receives the events")
    events: list[EventType] = Field(min_length=1, max_length=6)
    qr_code_id: str | None = Field(None, max_length=64, description="only events of this code (id or slug)")


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(None, max_length=2048)
    events: list[EventType] | None = Field(None, min_length=1, max_length=6)
    qr_code_id: str | None = Field(None, max_length=64, description="null removes the filter")
    enabled: bool | None = None
    rotate_secret: bool = Field(False, description="new secret; the old one also signs for 24 h")


class DeliveriesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Status | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=64)


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[EventType]
    qr_code_id: str | None
    enabled: bool
    disabled_at: str | None
    disabled_reason: str | None
    failure_streak: int
    last_success_at: str | None
    secret_rotated_until: str | None
    created_at: str
    updated_at: str
    secret: str | None = Field(None, description="only when created or rotated")


def endpoint_json(endpoint, secret=False):
    data = {
        "id": endpoint.id, "url": endpoint.url, "events": list(endpoint.events or []),
        "qr_code_id": endpoint.qr_code_id, "enabled": endpoint.enabled,
        "disabled_at": iso(endpoint.disabled_at), "disabled_reason": endpoint.disabled_reason,
        "failure_streak": endpoint.failure_streak or 0, "last_success_at": iso(endpoint.last_success_at),
        "secret_rotated_until": iso(endpoint.previous_secret_expires_at) if endpoint.previous_secret else None,
        "created_at": iso(endpoint.created_at), "updated_at": iso(endpoint.updated_at),
    }
    if secret:
        data["secret"] = endpoint.secret
    return data


def attempt_json(attempt):
    return {"number": attempt.number, "attempted_at": iso(attempt.attempted_at),
            "outcome": attempt.outcome, "status_code": attempt.status_code,
            "duration_ms": attempt.duration_ms, "response_excerpt": attempt.response_excerpt,
            "error": attempt.error}


def delivery_json(row, attempts):
    return {
        "id": row.id, "event_id": row.event_id, "event_type": row.event_type, "status": row.status,
        "attempt_count": row.attempts, "next_attempt_at": iso(row.next_attempt_at)
        if row.status in ("pending", "processing") else None,
        "last_status_code": row.last_status_code, "last_error": row.last_error,
        "delivered_at": iso(row.delivered_at), "created_at": iso(row.created_at),
        "attempts": [attempt_json(a) for a in attempts],
    }


@bp.post("/webhooks")
@needs("admin")
@operation("POST", "/api/webhooks", "Create a webhook endpoint; the answer holds its secret",
           body=WebhookCreate, response=WebhookOut, status=201, tag="webhooks")
def create_webhook():
    body = parse_body(WebhookCreate)
    endpoint = endpoints.create_endpoint(g.actor, body.url, body.events, body.qr_code_id)
    db.session.commit()
    return jsonify(endpoint_json(endpoint, secret=True)), 201


@bp.get("/webhooks")
@needs("admin")
@operation("GET", "/api/webhooks", "Your webhook endpoints", tag="webhooks")
def list_webhooks():
    return jsonify(items=[endpoint_json(e) for e in endpoints.list_endpoints(g.actor)])


@bp.get("/webhooks/<endpoint_id>")
@needs("admin")
@operation("GET", "/api/webhooks/{endpoint_id}", "A webhook endpoint", response=WebhookOut,
           tag="webhooks")
def get_webhook(endpoint_id):
    return jsonify(endpoint_json(endpoints.get_endpoint(g.actor, endpoint_id)))


@bp.patch("/webhooks/<endpoint_id>")
@needs("admin")
@operation("PATCH", "/api/webhooks/{endpoint_id}", "Change, enable, disable or rotate the secret",
           body=WebhookPatch, response=WebhookOut, tag="webhooks")
def patch_webhook(endpoint_id):
    endpoint = endpoints.get_endpoint(g.actor, endpoint_id)
    body = parse_body(WebhookPatch)
    given = body.model_fields_set
    changes = {name: getattr(body, name) for name in ("url", "events", "enabled")
               if name in given and getattr(body, name) is not None}
    if "qr_code_id" in given:
        changes["qr_code_id"] = body.qr_code_id
    endpoints.update_endpoint(g.actor, endpoint, **changes)
    if body.rotate_secret:
        endpoints.rotate_secret(g.actor, endpoint)
    db.session.commit()
    return jsonify(endpoint_json(endpoint, secret=body.rotate_secret))


@bp.delete("/webhooks/<endpoint_id>")
@needs("admin")
@operation("DELETE", "/api/webhooks/{endpoint_id}", "Delete an endpoint and its deliveries",
           status=204, tag="webhooks")
def delete_webhook(endpoint_id):
    endpoints.delete_endpoint(g.actor, endpoints.get_endpoint(g.actor, endpoint_id))
    db.session.commit()
    return "", 204


@bp.get("/webhooks/<endpoint_id>/deliveries")
@needs("admin")
@operation("GET", "/api/webhooks/{endpoint_id}/deliveries",
           "The endpoint's outbox rows, newest first, with their attempts", query=DeliveriesQuery,
           tag="webhooks")
def list_webhook_deliveries(endpoint_id):
    endpoint = endpoints.get_endpoint(g.actor, endpoint_id)
    query = parse_query(DeliveriesQuery)
    rows, next_cursor = endpoints.list_deliveries(endpoint, query.status, query.cursor, query.limit)
    attempts = endpoints.attempts_of([r.id for r in rows])
    return jsonify(items=[delivery_json(r, attempts[r.id]) for r in rows], next_cursor=next_cursor)


@bp.post("/webhooks/deliveries/<delivery_id>/redeliver")
@needs("admin")
@operation("POST", "/api/webhooks/deliveries/{delivery_id}/redeliver",
           "Send a delivered or failed event again (same event id)", status=202, tag="webhooks")
def redeliver_webhook(delivery_id):
    row = endpoints.redeliver(g.actor, delivery_id)
    db.session.commit()
    return jsonify(delivery_json(row, endpoints.attempts_of([row.id])[row.id])), 202
