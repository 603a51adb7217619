"""The chunks of a job that every free worker helps with: planned once, claimed one at a time.

A participant (the job's own run, or a helper on another worker) claims the first
chunk nobody holds: a pending one, or one whose holder is gone (claimed under an
older lease of the job, or its heartbeat stopped). On PostgreSQL the look is a
SELECT … FOR UPDATE SKIP LOCKED, so participants do not queue behind each other's
candidate; the conditional UPDATE that follows decides alone on SQLite (whose
writes are serialised). Finishing a chunk is a conditional UPDATE too, made in the
transaction of the chunk's own work together with the job's progress: it lands
only while the claim is still this participant's and the job's lease is the one it
was claimed under. Nothing here commits: the caller owns the transaction.
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, delete, exists, func, insert, or_, select, update

from webapp.extensions import db
from webapp.models import BackgroundJob as Job
from webapp.models import JobChunk as Chunk
from webapp.models.base import utcnow

CLAIM_TRIES = 8


def _execute(statement):
    return db.session.execute(statement, execution_options={"synchronize_session": False})


def plan(job_id, total, size):
    """Cuts rows 1..total into chunks of `size`, once per job; returns how many there are.

    A retried job keeps its first plan (and what its chunks did), whatever the
    chunk size is now.
    """
    planned = db.session.scalar(select(func.count()).select_from(Chunk).where(Chunk.job_id == job_id))
    if planned:
        return planned
    rows = [{"job_id": job_id, "number": number, "start": start, "rows": min(size, total - start),
             "status": "pending"} for number, start in enumerate(range(0, total, size))]
    if rows:
        db.session.execute(insert(Chunk), rows)
    return len(rows)


def forget(job_id):
    """Drops a job's plan: its run starts over (its checkpoint is gone, or from before chunks)."""
    _execute(delete(Chunk).where(Chunk.job_id == job_id))


def _claimable(job_id, lease, now):
    stale = now - timedelta(seconds=current_app.config["JOB_STALE_AFTER"])
    gone = or_(Chunk.lease.is_(None), Chunk.lease != lease,
               Chunk.heartbeat_at.is_(None), Chunk.heartbeat_at < stale)
    return and_(Chunk.job_id == job_id,
                or_(Chunk.status == "pending", and_(Chunk.status == "claimed", gone)))


def _open(job_id, lease):
    """The job is processing under `lease` and nobody asked to cancel it."""
    return and_(Job.id == job_id, Job.lease == lease, Job.status == "processing",
                Job.cancel_requested_at.is_(None))


def holds_lease(job_id, lease):
    return db.session.scalar(select(Job.lease).where(Job.id == job_id)) == lease


def claim(job_id, lease, token, claimed_by):
    """The next chunk to do, now claimed by `token`; None when none is free or the job is
    no longer open.

    A claim must never land after the run has counted the chunks in hand and stopped.
    On PostgreSQL the job's row is held (FOR SHARE) until the claim commits, so a
    cancel, which updates that row, waits for every claim that saw the job open; on
    SQLite the claim's UPDATE checks the job itself, and writes are serialised. Either
    way the run, which learns of a cancel only once it is committed, counts them all.
    """
    for _ in range(CLAIM_TRIES):
        if db.session.scalar(select(Job.id).where(_open(job_id, lease))
                             .with_for_update(read=True)) is None:
            return None
        now = utcnow()
        number = db.session.scalar(
            select(Chunk.number).where(_claimable(job_id, lease, now))
            .order_by(Chunk.number).limit(1).with_for_update(skip_locked=True))
        if number is None:
            return None
        outcome = _execute(
            update(Chunk).where(Chunk.number == number, _claimable(job_id, lease, now),
                                exists().where(_open(job_id, lease)))
            .values(status="claimed", claim=token, lease=lease, claimed_by=claimed_by[:120],
                    heartbeat_at=now, result=None))
        if outcome.rowcount == 1:
            return db.session.get(Chunk, (job_id, number), populate_existing=True)
        db.session.rollback()  # another participant took it between the look and the claim
    return None


def beat(connection, token, at=None):
    """The claimer's heartbeat on the chunk it holds, on its own connection; `at`: how many
    of its rows it has gone through, shown as progress until the chunk commits."""
    moved = {"result": {"at": at}} if at is not None else {}
    connection.execute(update(Chunk).where(Chunk.claim == token, Chunk.status == "claimed")
                       .values(heartbeat_at=utcnow(), **moved))


def finish(chunk, token, result):
    """Marks the chunk done with its work. Returns (still_ours, cancel_requested)."""
    outcome = _execute(
        update(Chunk).where(Chunk.job_id == chunk.job_id, Chunk.number == chunk.number,
                            Chunk.claim == token, Chunk.status == "claimed")
        .values(status="done", claim=None, result=result))
    if outcome.rowcount != 1:
        return False, False
    row = db.session.execute(
        update(Job).where(Job.id == chunk.job_id, Job.lease == chunk.lease)
        .values(progress_done=Job.progress_done + chunk.rows).returning(Job.cancel_requested_at),
        execution_options={"synchronize_session": False}).first()
    return (row is not None, row is not None and row[0] is not None)


def release(chunk, token):
    """Gives a chunk back (its work failed here), so the next participant takes it at once."""
    _execute(update(Chunk).where(Chunk.job_id == chunk.job_id, Chunk.number == chunk.number,
                                 Chunk.claim == token, Chunk.status == "claimed")
             .values(status="pending", claim=None, result=None))


def tally(job_id, lease):
    """(rows done, done chunks' results in order, chunks in all, chunks held by live claims)."""
    stale = utcnow() - timedelta(seconds=current_app.config["JOB_STALE_AFTER"])
    chunks = db.session.execute(
        select(Chunk.rows, Chunk.status, Chunk.result, Chunk.lease, Chunk.heartbeat_at)
        .where(Chunk.job_id == job_id).order_by(Chunk.number)).all()
    done = [chunk for chunk in chunks if chunk.status == "done"]
    live = sum(1 for chunk in chunks if chunk.status == "claimed" and chunk.lease == lease
               and chunk.heartbeat_at is not None and chunk.heartbeat_at >= stale)
    return sum(chunk.rows for chunk in done), [chunk.result for chunk in done], len(chunks), live


def in_hand(job_ids):
    """{job id: rows its live claims have gone through}: progress not committed yet, for
    display only (a chunk given up drops out of it)."""
    stale = utcnow() - timedelta(seconds=current_app.config["JOB_STALE_AFTER"])
    held = db.session.execute(
        select(Chunk.job_id, Chunk.result).join(Job, Job.id == Chunk.job_id)
        .where(Chunk.job_id.in_(job_ids), Chunk.status == "claimed", Chunk.lease == Job.lease,
               Chunk.heartbeat_at >= stale)).all()
    found = {}
    for job_id, result in held:
        found[job_id] = found.get(job_id, 0) + int((result or {}).get("at") or 0)
    return found
