"""Each endpoint's health: its failure streak, and when it is disabled and why.

An endpoint is disabled when its receiver answers 410 Gone, or when it has failed
for longer than WEBHOOK_DISABLE_AFTER_SECONDS without a single success. Its owner
sees the reason on the endpoint's page and in the API, and can enable it again.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from webapp.extensions import db
from webapp.models import WebhookEndpoint
from webapp.services import signals

E = WebhookEndpoint


@dataclass
class Summary:
    succeeded: bool = False
    last_success: object = None
    failures_after: int = 0
    failing_since: object = None
    last_error: str = None
    gone_at: object = None


def summarise(outcomes):
    per = {}
    for o in outcomes:
        if o.kind == "skipped":
            continue
        s = per.setdefault(o.claim.endpoint_id, Summary())
        if o.ok:
            s.succeeded, s.last_success = True, o.attempted_at
            s.failures_after, s.failing_since = 0, None
        else:
            s.failures_after += 1
            s.failing_since = s.failing_since or o.attempted_at
            s.last_error = o.error
            if o.kind == "gone":
                s.gone_at = o.attempted_at
    return per


def disable(endpoint_id, reason, now, only_if=()):
    result = db.session.execute(
        update(E).where(E.id == endpoint_id, E.enabled.is_(True), *only_if)
        .values(enabled=False, disabled_at=now, disabled_reason=reason[:255])
        .execution_options(synchronize_session=False))
    if result.rowcount:
        # A Core update is invisible to the ORM's flush (endpoints.announce_changes).
        workspace_id = db.session.scalar(select(E.workspace_id).where(E.id == endpoint_id))
        signals.webhooks_changed.send(workspace_id)
    return result.rowcount


def update_endpoints(outcomes, now):
    """Fold a batch of outcomes into the endpoints' health; returns the summaries."""
    per = summarise(outcomes)
    limit = current_app.config["WEBHOOK_DISABLE_AFTER_SECONDS"]
    for endpoint_id, s in per.items():
        if s.succeeded:
            values = dict(failure_streak=s.failures_after, failing_since=s.failing_since,
                          last_success_at=s.last_success)
        else:
            values = dict(failure_streak=E.failure_streak + s.failures_after,
                          failing_since=func.coalesce(E.failing_since, s.failing_since))
        db.session.execute(update(E).where(E.id == endpoint_id).values(**values)
                           .execution_options(synchronize_session=False))
        if s.gone_at is not None:
            disable(endpoint_id, f"The receiver answered 410 Gone at {s.gone_at:%Y-%m-%d %H:%M} UTC, "
                                 "asking us to stop.", now)
        elif s.failures_after:
            cutoff = now - timedelta(seconds=limit)
            disable(endpoint_id, f"Failing for more than {_duration(limit)} without a successful "
                                 f"delivery. Last error: {s.last_error}", now,
                    only_if=(E.failing_since <= cutoff,))
    return per


def _duration(seconds):
    if seconds >= 86400:
        days = seconds / 86400
        return f"{days:g} day{'s' if days != 1 else ''}"
    if seconds >= 3600:
        return f"{seconds / 3600:g} hours"
    return f"{seconds:g} seconds"
