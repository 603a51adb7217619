"""Submitting background work: the row is committed first, then the RQ job is enqueued.

The `BackgroundJob` row is the truth; RQ only carries it to a worker. The RQ job
id is the row id, so a lost enqueue can be made again without a second row and
a duplicate delivery finds the row it already finished.
"""
import logging
from dataclasses import dataclass

from redis.exceptions import RedisError
from rq import Queue, Retry, Worker
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import CanceledJobRegistry, FailedJobRegistry, StartedJobRegistry

from webapp.extensions import db
from webapp.infra.redis_client import get_redis
from webapp.models import BackgroundJob

log = logging.getLogger(__name__)

# A worker takes the queues in this order: a user waiting beats a nightly rollup.
QUEUES = ("high", "default", "low")
FAILURE_TTL = 7 * 24 * 3600


def backoff(first, retries, factor=2):
    """Waits before each retry, growing exponentially: backoff(10, 3) == (10, 20, 40)."""
    return tuple(int(first * factor ** n) for n in range(retries))


@dataclass(frozen=True)
class JobSpec:
    func: str  # dotted path of the job function; it takes the row id
    queue: str = "default"
    timeout: int = 180  # seconds per attempt
    retries: tuple = ()  # waits in seconds before each retry; empty = no retry
    result_ttl: int = 3600  # how long RQ keeps the return value (the row keeps it for good)
    label: str = ""  # what the jobs page calls it
    # The role its submitter needs in the workspace, at submission and again when it runs;
    # None for the instance's own work (mail, roll-ups).
    role: str | None = None

    @property
    def max_attempts(self):
        return 1 + len(self.retries)


JOB_TYPES = {
    "worker.check": JobSpec("workers.maintenance.check_worker", queue="high", timeout=30,
                            label="Worker check", role="viewer"),
    "exports.codes": JobSpec("workers.exports.export_codes", queue="low", timeout=3600,
                             retries=backoff(30, 3), result_ttl=24 * 3600,
                             label="Export of your codes (CSV)", role="editor"),
    "exports.scans": JobSpec("workers.exports.export_scans", queue="low", timeout=3600,
                             retries=backoff(30, 3), result_ttl=24 * 3600,
                             label="Export of your scans (CSV)", role="editor"),
    "exports.images": JobSpec("workers.exports.export_images", queue="low", timeout=4 * 3600,
                              retries=backoff(30, 3), result_ttl=24 * 3600,
                              label="Export of your codes as images (ZIP)", role="editor"),
    # Long timeouts: a timed-out attempt is retried and resumes from its checkpoint anyway.
    "bulk.create": JobSpec("workers.bulk.create_codes", queue="low", timeout=4 * 3600,
                           retries=backoff(30, 3), result_ttl=24 * 3600,
                           label="Codes from a CSV", role="editor"),
    "bulk.update": JobSpec("workers.bulk.update_codes", queue="low", timeout=2 * 3600,
                           retries=backoff(30, 3), result_ttl=24 * 3600,
                           label="Changes to codes from a CSV", role="editor"),
    "images.optimise": JobSpec("workers.images.optimise_image", queue="default", timeout=120,
                               label="Image optimisation", role="editor"),
    # payload {"kind": "password_reset" or "signup", "email": ...}; the job decides what to send
    "mail.account": JobSpec("workers.mail.send_account_mail", queue="high", timeout=60,
                            retries=backoff(30, 5), label="E-mail"),
    # payload {"invitation_id": ...}: a workspace invitation (services/teams/invitations.py)
    "mail.invitation": JobSpec("workers.mail.send_invitation_mail", queue="high", timeout=60,
                               retries=backoff(30, 5), label="Invitation e-mail"),
    # payload {"day": "YYYY-MM-DD"} for one day; empty for the due days (see rollups.due_days)
    "scans.rollup": JobSpec("workers.analytics.rollup_scans_job", queue="low", timeout=3600,
                            retries=(60, 600), label="Scan analytics roll-up"),
}


def register(job_type, spec):
    """Adds a job type (for modules named in JOB_PLUGINS)."""
    if spec.queue not in QUEUES:
        raise ValueError(f"unknown queue {spec.queue!r}")
    JOB_TYPES[job_type] = spec


def label_of(job_type):
    spec = JOB_TYPES.get(job_type)
    return (spec.label if spec else "") or job_type


def queue(name, connection=None):
    return Queue(name, connection=connection or get_redis())


def submit(job_type, actor=None, payload=None, **fields):
    """Commit a tracked job and enqueue it. Returns the BackgroundJob row.

    `actor` (services/workspaces/actors.py) is the member it runs for: the job's role
    is checked now, and again by the worker when it runs.

    The caller's pending changes are committed with the row, so the worker never
    looks for something that is not there yet. If Redis is down the row stays
    pending and the periodic sweep enqueues it later.
    """
    spec = JOB_TYPES[job_type]
    if actor is not None:
        actor.require(spec.role or "viewer")
        fields.update(workspace_id=actor.workspace_id, user_id=actor.user_id)
    row = BackgroundJob(type=job_type, payload=payload or {},
                        queue=spec.queue, max_attempts=spec.max_attempts, **fields)
    db.session.add(row)
    db.session.flush()
    row.rq_job_id = row.id
    db.session.commit()
    enqueue(row.id, job_type)
    return row


def enqueue(job_id, job_type, attempts_left=None):
    """Put a committed row on its queue; False when Redis refused (the sweep retries later).

    `attempts_left` limits RQ's retries to what the row's budget still allows, and
    keeps the later, longer waits of the backoff for them.
    """
    spec = JOB_TYPES.get(job_type)
    if spec is None:
        log.error("job %s has the unknown type %r; not enqueued", job_id, job_type)
        return False
    retries = spec.retries
    if attempts_left is not None:
        keep = max(0, min(attempts_left - 1, len(retries)))
        retries = retries[len(retries) - keep:]
    try:
        queue(spec.queue).enqueue(
            spec.func, job_id,
            job_id=job_id,
            job_timeout=spec.timeout,
            result_ttl=spec.result_ttl,
            failure_ttl=FAILURE_TTL,
            retry=Retry(max=len(retries), interval=list(retries)) if retries else None,
            description=f"{job_type} {job_id}",
        )
    except RedisError:
        log.warning("could not enqueue job %s (%s); it stays pending", job_id, job_type, exc_info=True)
        return False
    return True


def call_helpers(func, job_id, lease, job_type, most):
    """Asks every other worker on the job's queue to help with its chunks (services/bulk/fanout.py).

    One helper job per other worker, at most `most`, at the front of the queue: a
    busy worker joins when it is free, one that finds nothing left stops at once.
    Returns how many were asked; none when Redis refused (the run works alone).
    """
    spec = JOB_TYPES[job_type]
    try:
        target = queue(spec.queue)
        wanted = min(most, Worker.count(queue=target) - 1)
        for number in range(wanted):
            target.enqueue(func, job_id, lease, job_id=f"{job_id}-help-{lease[:8]}-{number}",
                           job_timeout=spec.timeout, result_ttl=600, failure_ttl=FAILURE_TTL,
                           at_front=True, description=f"help with {job_type} {job_id}")
    except RedisError:
        log.warning("could not ask for help with job %s", job_id, exc_info=True)
        return 0
    return max(wanted, 0)


def rq_state(job_id):
    """(status, last error line) of the RQ job, or (None, None) when Redis has no such job."""
    try:
        job = Job.fetch(job_id, connection=get_redis())
    except NoSuchJobError:
        return None, None
    status = job.get_status(refresh=False)
    error = None
    if status == JobStatus.FAILED:
        result = job.latest_result()
        lines = (result.exc_string or "").strip().splitlines() if result else []
        error = lines[-1] if lines else "RQ marked the job failed."
    return status, error


def discard(job_id):
    """Take a job off its queue (or the scheduled registry, when a retry is waiting)."""
    try:
        job = Job.fetch(job_id, connection=get_redis())
        if job.get_status(refresh=False) in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
            job.cancel()
    except (NoSuchJobError, InvalidJobOperation):
        pass
    except RedisError:
        log.warning("could not take job %s off its queue", job_id, exc_info=True)


def clear_registries(job_id, queue_name):
    """Drop what RQ still remembers of a dead or finished run of this job id.

    Otherwise RQ's own abandoned-job cleanup, minutes later, would take the next
    run of the same job id for the dead one and fail or re-enqueue it mid-run;
    and the dashboard would list a retried job as failed.
    """
    connection = get_redis()
    started = StartedJobRegistry(queue_name, connection=connection).key
    stale = [member for member, _ in connection.zscan_iter(started, match=f"{job_id}:*")]
    with connection.pipeline() as pipe:
        if stale:
            pipe.zrem(started, *stale)
        pipe.zrem(FailedJobRegistry(queue_name, connection=connection).key, job_id)
        pipe.zrem(CanceledJobRegistry(queue_name, connection=connection).key, job_id)
        pipe.execute()


def requeue(job_id, job_type, queue_name, attempts_left):
    """Hand a row to a new run (its worker vanished, or its owner asked for a retry)."""
    try:
        clear_registries(job_id, queue_name)
    except RedisError:
        log.warning("could not clean RQ's registries for job %s", job_id, exc_info=True)
    return enqueue(job_id, job_type, attempts_left=attempts_left)
