"""The outbox side of delivery: claim due rows with a lease, then record what happened.

Claiming is one statement on both databases: an UPDATE of the rows picked by a
sub-select (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent workers never
wait on each other; SQLite runs the statement under its write lock). A claimed row
is `processing` with `next_attempt_at = locked_until` = the end of the lease, so a
worker killed mid-send leaves a row that simply becomes due again when the lease
ends. Results only count while the row's lease token still matches.
"""
import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, case, delete, insert, literal, select, text, update

from webapp.extensions import db
from webapp.infra import metrics
from webapp.models import WebhookAttempt, WebhookEndpoint, WebhookOutbox
from webapp.models.base import utcnow
from webapp.models.webhooks import WAITING
from webapp.services.webhooks.health import update_endpoints
from webapp.services.webhooks.sender import Delivery

O = WebhookOutbox
# Core tables in the hot path: the ORM's bulk paths add work per row and give nothing here.
OUTBOX = WebhookOutbox.__table__
ATTEMPTS = WebhookAttempt.__table__
# A claim of a row whose lease ran out (its last holder never reported) is marked.
INTERRUPTED = "!"
INTERRUPTED_ERROR = ("The previous attempt did not finish: the worker stopped or took longer "
                     "than its lease.")


@dataclass
class Claim:
    id: str
    token: str
    attempts: int
    endpoint_id: str
    event_id: str
    event_type: str
    payload: str

    @property
    def interrupted(self):
        return self.token.endswith(INTERRUPTED)


def relax_commit():
    """Let this transaction's commit skip the wait for the disk (PostgreSQL).

    Only for the delivery bookkeeping: if the database crashes and loses the last
    fraction of a second of these commits, a claim or a "delivered" mark is undone
    and the event is sent again, which at-least-once delivery allows (receivers
    drop duplicates by webhook-id). The outbox rows themselves are written by the
    causing transaction with the usual durable commit.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def claim_due_deliveries(limit, lease_seconds, now=None):
    relax_commit()
    now = now or utcnow()
    lease_end = now + timedelta(seconds=lease_seconds)
    token = uuid.uuid4().hex
    due = (select(O.id)
           .join(WebhookEndpoint, WebhookEndpoint.id == O.endpoint_id)
           .where(WAITING, O.next_attempt_at <= now, WebhookEndpoint.enabled.is_(True))
           .order_by(O.next_attempt_at)
           .limit(limit)
           .with_for_update(skip_locked=True, of=O))
    t = OUTBOX.c
    stmt = (update(OUTBOX)
            .where(t.id.in_(due.scalar_subquery()), t.next_attempt_at <= now, WAITING)
            .values(status="processing", attempts=t.attempts + 1, locked_until=lease_end,
                    next_attempt_at=lease_end, updated_at=now,
                    lease_token=literal(token) + case((t.lease_token.is_not(None), INTERRUPTED),
                                                      else_=""))
            .returning(t.id, t.lease_token, t.attempts, t.endpoint_id, t.event_id,
                       t.event_type, t.payload))
    claims = [Claim(*row) for row in db.session.execute(stmt)]
    interrupted = [c for c in claims if c.interrupted]
    if interrupted:
        db.session.execute(insert(ATTEMPTS), [
            dict(outbox_id=c.id, endpoint_id=c.endpoint_id, number=c.attempts - 1,
                 attempted_at=now, outcome="interrupted", error=INTERRUPTED_ERROR)
            for c in interrupted])
    return claims


def signing_secrets(secret, previous=None, previous_expires_at=None, now=None):
    """The secrets that sign now: after a rotation, the old one too until it expires."""
    now = now or utcnow()
    if previous and previous_expires_at and previous_expires_at > now:
        return [secret, previous]
    return [secret]


def prepare_deliveries(claims, now=None):
    """Pair each claim with its endpoint's URL and signing secrets (one query)."""
    E = WebhookEndpoint
    ids = {c.endpoint_id for c in claims}
    rows = db.session.execute(select(
        E.id, E.url, E.secret, E.previous_secret, E.previous_secret_expires_at, E.enabled,
    ).where(E.id.in_(ids))).all()
    endpoints = {row.id: row for row in rows}
    deliveries = []
    for claim in claims:
        e = endpoints.get(claim.endpoint_id)
        if e is not None:  # an endpoint deleted meanwhile took its rows with it
            deliveries.append(Delivery(claim, e.url, signing_secrets(
                e.secret, e.previous_secret, e.previous_secret_expires_at, now), e.enabled))
    return deliveries


def renew_leases(claims, lease_seconds):
    """Extend the lease of rows still waiting in this worker's batch."""
    if not claims:
        return
    lease_end = utcnow() + timedelta(seconds=lease_seconds)
    by_token = {}
    for c in claims:
        c = getattr(c, "claim", c)
        by_token.setdefault(c.token, []).append(c.id)
    for token, ids in by_token.items():
        db.session.execute(
            update(O).where(O.id.in_(ids), O.lease_token == token)
            .values(locked_until=lease_end, next_attempt_at=lease_end)
            .execution_options(synchronize_session=False))


def next_delay(attempts_done, config=None, retry_after=None):
    """Seconds until the next attempt, or None when the attempts are used up."""
    config = config or current_app.config
    schedule = config["WEBHOOK_RETRY_SCHEDULE"]
    if attempts_done >= len(schedule):
        return None
    if retry_after is not None:
        return min(max(retry_after, 0.0), config["WEBHOOK_RETRY_AFTER_MAX"])
    jitter = config["WEBHOOK_RETRY_JITTER"]
    return schedule[attempts_done] * random.uniform(1 - jitter, 1 + jitter)


def _bulk_update(values):
    """Update outbox rows by (id, token); every dict has the same keys."""
    if not values:
        return
    # Without .values(), the SET clause comes from the keys that name columns.
    db.session.execute(
        update(OUTBOX).where(OUTBOX.c.id == bindparam("_id"), OUTBOX.c.lease_token == bindparam("_token")),
        values)


def record_outcomes(outcomes, now=None):
    """Write the attempts and the rows' new states; returns the endpoint summaries."""
    relax_commit()
    now = now or utcnow()
    config = current_app.config
    attempts, finished, skipped = [], [], []
    for o in outcomes:
        metrics.delivery(o.kind)
        c = o.claim
        if o.kind == "skipped":
            skipped.append(dict(_id=c.id, _token=c.token, status="pending", attempts=c.attempts - 1,
                                next_attempt_at=o.retry_at, locked_until=None, lease_token=None,
                                last_error=o.error, updated_at=now))
            continue
        attempts.append(dict(outbox_id=c.id, endpoint_id=c.endpoint_id, number=c.attempts,
                             attempted_at=o.attempted_at, outcome="delivered" if o.ok else "failed",
                             status_code=o.status_code, duration_ms=o.duration_ms,
                             response_excerpt=o.excerpt, error=o.error))
        row = dict(_id=c.id, _token=c.token, locked_until=None, lease_token=None,
                   last_status_code=o.status_code, last_error=o.error, updated_at=now)
        if o.ok:
            row.update(status="delivered", next_attempt_at=now, delivered_at=o.attempted_at)
        else:
            delay = None if o.kind == "gone" else next_delay(c.attempts, config, o.retry_after)
            row.update(status="failed" if delay is None else "pending", delivered_at=None,
                       next_attempt_at=now if delay is None else now + timedelta(seconds=delay))
        finished.append(row)
    if attempts:
        db.session.execute(insert(ATTEMPTS), attempts)
    _bulk_update(finished)
    _bulk_update(skipped)
    return update_endpoints(outcomes, now)


def prune_delivered(days=None):
    """Drop delivered rows (and their attempts) older than the retention period."""
    days = days if days is not None else current_app.config["WEBHOOK_RETENTION_DAYS"]
    cutoff = utcnow() - timedelta(days=days)
    result = db.session.execute(
        delete(O).where(O.status == "delivered", O.delivered_at < cutoff)
        .execution_options(synchronize_session=False))
    return result.rowcount
