"""The webhook job: drain the due outbox rows (the sweep and the pruning are periodic
tasks, webapp/services/jobs/periodic.py)."""
import logging
import time

from flask import current_app

from webapp.extensions import db
from webapp.services.webhooks import delivery, dispatch
from webapp.services.webhooks.sender import Sender
from workers.context import in_app_context

log = logging.getLogger(__name__)


@in_app_context
def drain_deliveries():
    """Claim due rows in batches and send them until none is due or the time is up.

    Each batch is committed as claimed (the lease is visible to other workers before
    any slow HTTP), and the outcomes are committed about once a second, with the
    leases of the rows still waiting renewed in the same transaction.
    """
    config = current_app.config
    dispatch.drain_started()
    deadline = time.monotonic() + config["WEBHOOK_DRAIN_SECONDS"]
    batch_size, lease = config["WEBHOOK_BATCH_SIZE"], config["WEBHOOK_LEASE_SECONDS"]
    sender = Sender()
    sent = 0
    try:
        while time.monotonic() < deadline:
            claims = delivery.claim_due_deliveries(batch_size, lease)
            deliveries = delivery.prepare_deliveries(claims) if claims else []
            db.session.commit()
            if not claims:
                break
            if len(claims) == batch_size:
                dispatch.request_drain()  # more is waiting: let an idle worker join in
            for outcomes, waiting in sender.send_all(deliveries):
                delivery.record_outcomes(outcomes)
                delivery.renew_leases(waiting, lease)
                db.session.commit()
                sent += len(outcomes)
        else:
            dispatch.request_drain()  # out of time with work left: hand over
    finally:
        sender.close()
    dispatch.schedule_next_wakeup()
    return sent
