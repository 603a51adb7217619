"""Submitting background work: the row is committed first, then the RQ job is enqueued."""
import logging
from dataclasses import dataclass

from rq import Queue, Retry

from .extensions import db
from .models import BackgroundJob
from .redis_client import get_redis

log = logging.getLogger(__name__)

QUEUES = ("high", "default", "low")


@dataclass(frozen=True)
class JobSpec:
    func: str
    queue: str = "default"
    timeout: int = 180
    retries: tuple = ()  # waits in seconds before each retry; empty = no retry
    result_ttl: int = 3600


JOB_TYPES = {
    "worker.check": JobSpec("workers.maintenance.check_worker", queue="high", timeout=30),
    # payload {"day": "YYYY-MM-DD"} for one day; empty for the due days (see rollups.due_days)
    "scans.rollup": JobSpec("workers.analytics.rollup_scans_job", queue="low", timeout=3600,
                            retries=(60, 600)),
}


def queue(name, connection=None):
    return Queue(name, connection=connection or get_redis())


def submit(job_type, owner_id=None, payload=None, **fields):
    """Commit a tracked job and enqueue it. Returns the BackgroundJob row.

    The caller's pending changes are committed with the row, so the worker never
    looks for something that is not there yet.
    """
    spec = JOB_TYPES[job_type]
    row = BackgroundJob(type=job_type, owner_id=owner_id, payload=payload or {},
                        queue=spec.queue, **fields)
    db.session.add(row)
    db.session.commit()
    enqueue(row)
    return row


def enqueue(row):
    """Put an already committed row on its queue. A Redis failure leaves it pending for the sweep."""
    spec = JOB_TYPES[row.type]
    try:
        queue(spec.queue).enqueue(
            spec.func, row.id,
            job_id=row.id,
            job_timeout=spec.timeout,
            result_ttl=spec.result_ttl,
            failure_ttl=7 * 24 * 3600,
            retry=Retry(max=len(spec.retries), interval=list(spec.retries)) if spec.retries else None,
            description=f"{row.type} {row.id}",
        )
    except Exception:  # Redis unavailable: the row stays pending and is enqueued later
        log.warning("could not enqueue job %s (%s); it stays pending", row.id, row.type, exc_info=True)
        return False
    row.rq_job_id = row.id
    db.session.commit()
    return True
