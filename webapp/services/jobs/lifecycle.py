"""The BackgroundJob row's state machine, shared by workers, the reaper and the jobs page.

pending → processing → completed | failed, and processing → pending when an
attempt fails with attempts left or its worker vanished. Each transition is
one conditional UPDATE, so two processes racing (a duplicate delivery, the
reaper and a slow worker, a cancel and a claim) cannot both win. A run holds
the row through its lease; what it writes lands only while the lease is its.
Nothing here commits: the caller owns the transaction.
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, func, literal, or_, select, update

from webapp.extensions import db
from webapp.models import BackgroundJob as Job
from webapp.models.base import UTCDateTime, utcnow
from webapp.services.jobs import queues
from webapp.services.signals import after_commit, job_finished

MAX_ERROR = 2000


def _execute(statement):
    return db.session.execute(statement, execution_options={"synchronize_session": False})


def _stale_before(now):
    return now - timedelta(seconds=current_app.config["JOB_STALE_AFTER"])


def _is_stale(now):
    return or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < _stale_before(now))


def _finished(job_id):
    """Tell listeners (webhooks, later) that a row reached completed or failed."""
    row = db.session.get(Job, job_id, populate_existing=True)
    if row is not None:
        job_finished.send(row)


def claim(job_id, lease, claimed_by):
    """Start an attempt: a pending row, or a processing one whose run stopped beating."""
    now = utcnow()
    claimable = or_(Job.status == "pending", and_(Job.status == "processing", _is_stale(now)))
    result = _execute(
        update(Job)
        .where(Job.id == job_id, Job.cancel_requested_at.is_(None), claimable)
        .values(status="processing", lease=lease, claimed_by=claimed_by[:120],
                attempts=Job.attempts + 1, heartbeat_at=now, error=None,
                started_at=func.coalesce(Job.started_at, literal(now, UTCDateTime())))
    )
    return result.rowcount == 1


def record_progress(job_id, lease, done=None, total=None, checkpoint=None, row_errors=None):
    """Progress (and the checkpoint, committed with the work it describes).

    Returns (still_ours, cancel_requested).
    """
    values = {"heartbeat_at": utcnow()}
    for column, value in (("progress_done", done), ("progress_total", total),
                          ("checkpoint", checkpoint), ("row_errors", row_errors)):
        if value is not None:
            values[column] = value
    row = db.session.execute(
        update(Job).where(Job.id == job_id, Job.lease == lease).values(**values)
        .returning(Job.cancel_requested_at),
        execution_options={"synchronize_session": False},
    ).first()
    return (row is not None, row is not None and row[0] is not None)


def beat(connection, job_id, lease):
    """The heartbeat, on its own connection. Returns (still_ours, cancel_requested)."""
    row = connection.execute(
        update(Job).where(Job.id == job_id, Job.lease == lease)
        .values(heartbeat_at=utcnow()).returning(Job.cancel_requested_at)
    ).first()
    return (row is not None, row is not None and row[0] is not None)


def complete(job_id, lease, result, row_errors=None):
    """The attempt succeeded. False when the run no longer holds the row."""
    extra = {"row_errors": row_errors} if row_errors is not None else {}
    outcome = _execute(
        update(Job).where(Job.id == job_id, Job.lease == lease)
        .values(status="completed", result=result, lease=None, error=None, finished_at=utcnow(),
                progress_done=func.coalesce(Job.progress_total, Job.progress_done), **extra)
    )
    if outcome.rowcount != 1:
        return False
    _finished(job_id)
    return True


def end_attempt(job_id, error, rq_will_retry, *, lease=None, claimed_by=None):
    """An attempt failed (lease) or its work horse died (claimed_by).

    The row goes back to pending when RQ will retry and the row's budget allows,
    otherwise to failed. Returns the new status, or None if the row moved on.
    """
    ours = Job.lease == lease if lease else and_(Job.status == "processing",
                                                  Job.claimed_by == claimed_by)
    row = db.session.execute(
        select(Job.attempts, Job.max_attempts).where(Job.id == job_id, ours)).first()
    if row is None:
        return None
    status = "pending" if rq_will_retry and row.attempts < row.max_attempts else "failed"
    outcome = _execute(
        update(Job).where(Job.id == job_id, ours)
        .values(status=status, lease=None, error=error[:MAX_ERROR],
                finished_at=utcnow() if status == "failed" else None)
    )
    if outcome.rowcount != 1:
        return None
    if status == "failed":
        _finished(job_id)
    return status


def stop_cancelled(job_id, lease, message):
    """The run saw the cancel request between chunks and stopped."""
    outcome = _execute(
        update(Job).where(Job.id == job_id, Job.lease == lease)
        .values(status="failed", lease=None, error=message, finished_at=utcnow())
    )
    if outcome.rowcount == 1:
        _finished(job_id)


def request_cancel(job_id):
    """A pending job is failed at once and taken off its queue; a running one is flagged."""
    now = utcnow()
    outcome = _execute(
        update(Job).where(Job.id == job_id, Job.status == "pending")
        .values(status="failed", error="Cancelled before it started.", cancel_requested_at=now,
                finished_at=now, lease=None)
    )
    if outcome.rowcount == 1:
        after_commit(queues.discard, job_id)
        _finished(job_id)
        return
    _execute(update(Job).where(Job.id == job_id, Job.status == "processing",
                               Job.cancel_requested_at.is_(None))
             .values(cancel_requested_at=now))


def restart_failed(job_id, job_type, queue_name, attempts):
    """Retry of a failed row: the same row, a fresh budget, resuming from its checkpoint."""
    outcome = _execute(
        update(Job).where(Job.id == job_id, Job.status == "failed")
        .values(status="pending", error=None, cancel_requested_at=None, finished_at=None,
                lease=None, max_attempts=Job.attempts + attempts)
    )
    if outcome.rowcount == 1:
        after_commit(queues.requeue, job_id, job_type, queue_name, attempts)
        return True
    return False


def reap_stale_jobs(limit=200):
    """Periodic: rows in processing whose run stopped beating. Its worker is gone."""
    now = utcnow()
    rows = db.session.execute(
        select(Job.id, Job.lease, Job.type, Job.queue, Job.attempts, Job.max_attempts,
               Job.cancel_requested_at)
        .where(Job.status == "processing", _is_stale(now)).limit(limit)
    ).all()
    counts = {"requeued": 0, "failed": 0}
    for row in rows:
        if row.cancel_requested_at is not None:
            status, error = "failed", "Cancelled."
        elif row.attempts < row.max_attempts:
            status = "pending"
            error = (f"Attempt {row.attempts} of {row.max_attempts} stopped without finishing "
                     "(its worker was killed or crashed); trying again.")
        else:
            status = "failed"
            error = (f"The worker running this job stopped without finishing (killed, crashed or "
                     f"out of memory) on attempt {row.attempts} of {row.max_attempts}; giving up.")
        same_run = Job.lease == row.lease if row.lease else Job.lease.is_(None)
        outcome = _execute(
            update(Job).where(Job.id == row.id, Job.status == "processing", same_run, _is_stale(now))
            .values(status=status, lease=None, error=error,
                    finished_at=now if status == "failed" else None)
        )
        if outcome.rowcount != 1:
            continue
        if status == "pending":
            after_commit(queues.requeue, row.id, row.type, row.queue, row.max_attempts - row.attempts)
        else:
            after_commit(queues.clear_registries, row.id, row.queue)
            _finished(row.id)
        counts["requeued" if status == "pending" else "failed"] += 1
    return counts


def enqueue_lost_jobs(limit=500):
    """Periodic: pending rows that Redis does not know (it was down, or lost them)."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["JOB_ENQUEUE_GRACE"])
    rows = db.session.execute(
        select(Job.id, Job.type, Job.attempts, Job.max_attempts)
        .where(Job.status == "pending", Job.updated_at < cutoff)
        .order_by(Job.updated_at).limit(limit)
    ).all()
    counts = {"enqueued": 0, "failed": 0}
    for row in rows:
        status, rq_error = queues.rq_state(row.id)
        if status is None or status in ("finished", "stopped", "canceled"):
            if queues.enqueue(row.id, row.type, attempts_left=row.max_attempts - row.attempts):
                counts["enqueued"] += 1
        elif status == "failed":
            # RQ gave up before our code ran (e.g. the job function could not be imported).
            outcome = _execute(
                update(Job).where(Job.id == row.id, Job.status == "pending")
                .values(status="failed", error=f"The job could not run: {rq_error}"[:MAX_ERROR],
                        finished_at=utcnow())
            )
            if outcome.rowcount == 1:
                _finished(row.id)
                counts["failed"] += 1
    return counts
