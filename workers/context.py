"""Every job runs in its own app context and owns its unit of work."""
import functools
import logging
import os
import socket
import time
import traceback
import uuid

from rq import get_current_job
from rq.timeouts import JobTimeoutException

from webapp.app import create_app
from webapp.extensions import db
from webapp.models import BackgroundJob
from webapp.services import ServiceError
from webapp.services.jobs import lifecycle, queues
from webapp.services.workspaces import actors
from workers.runs import Heartbeat, JobCancelled, JobRun, LeaseLost, RightsLost

log = logging.getLogger(__name__)

_app = None
_app_pid = None


def set_app(app):
    """The app jobs in this process run against (the worker's, or a test's)."""
    global _app, _app_pid
    _app, _app_pid = app, os.getpid()


def get_app():
    global _app
    if _app is None:
        set_app(create_app())
    return _app


def _after_fork(app):
    """A forked work horse must not share the parent's database sockets."""
    global _app_pid
    if _app_pid != os.getpid():
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)
        _app_pid = os.getpid()


def process_identity(pid=None):
    return f"{socket.gethostname()}:{pid or os.getpid()}"


def in_app_context(func):
    """Run a plain job in a fresh app context: commit on success, roll back on error."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        app = get_app()
        _after_fork(app)
        with app.app_context():
            try:
                result = func(*args, **kwargs)
                db.session.commit()
                return result
            except BaseException:
                db.session.rollback()
                raise
            finally:
                db.session.remove()
    return wrapper


def tracked(func):
    """A job for a BackgroundJob row: `func(run)` gets a JobRun and returns the result.

    The row mirrors the attempt: processing while it runs (with a heartbeat),
    completed with the result, or on an exception back to pending while RQ will
    retry and the row's budget allows, else failed. A delivery that cannot claim
    the row (it finished, or a live run holds it) does nothing.
    """
    @functools.wraps(func)
    def wrapper(job_id):
        app = get_app()
        _after_fork(app)
        with app.app_context():
            try:
                return _run_attempt(app, func, job_id)
            finally:
                db.session.remove()
    return wrapper


def _run_attempt(app, func, job_id):
    lease = uuid.uuid4().hex
    if not lifecycle.claim(job_id, lease, process_identity()):
        db.session.rollback()
        row = db.session.get(BackgroundJob, job_id)
        log.info("job %s not claimed (%s); this delivery does nothing",
                 job_id, row.status if row else "row is gone")
        return row.result if row is not None and row.status == "completed" else None
    db.session.commit()
    run = JobRun(db.session.get(BackgroundJob, job_id), lease, app.config)
    if not _acting_member(run, job_id, lease):
        return None
    heartbeat = Heartbeat(app, run)
    heartbeat.start()
    started = time.monotonic()
    try:
        result = func(run)
    except JobCancelled:
        heartbeat.stop()
        db.session.rollback()
        lifecycle.stop_cancelled(job_id, lease, f"Cancelled after {run.saved:,} done.")
        db.session.commit()
        _no_rq_retry()
        return None
    except RightsLost as exc:
        heartbeat.stop()
        _fail_for_good(job_id, lease, str(exc))
        return None
    except LeaseLost:
        heartbeat.stop()
        db.session.rollback()
        log.warning("job %s: another run took the row over; this one stops", job_id)
        return None
    except BaseException as exc:
        heartbeat.stop()
        db.session.rollback()
        _record_failure(job_id, lease, exc)
        raise
    heartbeat.stop()
    try:
        completed = lifecycle.complete(job_id, lease, result, row_errors=run.final_row_errors)
        db.session.commit()
    except Exception as exc:  # e.g. a result that is not JSON: the attempt failed after all
        db.session.rollback()
        _record_failure(job_id, lease, exc)
        raise
    if not completed:
        log.warning("job %s: finished, but another run holds the row; result dropped", job_id)
    else:
        # The worker's one line per job (RQ's own are quietened: workers/__main__.py).
        log.info("job %s (%s): done in %.1fs", job_id, run.type, time.monotonic() - started)
    return result


def _acting_member(run, job_id, lease):
    """Rights are checked again as the job runs: a submitter who has left the workspace,
    been demoted below the job's role or disabled fails the job, without retries."""
    spec = queues.JOB_TYPES.get(run.type)
    if spec is None or spec.role is None or run.workspace_id is None:
        return True
    try:
        run.actor = actors.for_job(run.user_id, run.workspace_id, spec.role)
        run.needed = spec.role
        return True
    except ServiceError as exc:
        _fail_for_good(job_id, lease, exc.message)
        return False


def _fail_for_good(job_id, lease, message):
    db.session.rollback()
    lifecycle.end_attempt(job_id, message, False, lease=lease)
    db.session.commit()
    _no_rq_retry()


def describe(exc):
    if isinstance(exc, JobTimeoutException):
        rq_job = get_current_job()
        limit = f" of {rq_job.timeout} seconds" if rq_job is not None and rq_job.timeout else ""
        return f"Timed out: the job ran longer than its limit{limit}."
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def _rq_will_retry():
    rq_job = get_current_job()
    return bool(rq_job and rq_job.retries_left)


def _no_rq_retry():
    """The row is final: make RQ agree, so it neither retries nor calls this a success later."""
    rq_job = get_current_job()
    if rq_job is not None:
        rq_job.retries_left = 0


def _record_failure(job_id, lease, exc):
    try:
        status = lifecycle.end_attempt(job_id, describe(exc), _rq_will_retry(), lease=lease)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record the failure of job %s; the reaper will", job_id)
        return
    if status != "pending":
        _no_rq_retry()


def on_horse_killed(rq_job, retpid, ret_val, rusage):
    """RQ's hook in the worker process when a work horse dies without reporting (kill -9, OOM).

    RQ then retries the job or fails it, but never tells the job: the row would
    stay `processing` until the reaper noticed. Mirror it now.
    """
    app = get_app()
    signal_no = os.WTERMSIG(ret_val) if ret_val and os.WIFSIGNALED(ret_val) else None
    reason = (f"The process running this job was killed (signal {signal_no})."
              if signal_no else f"The process running this job exited unexpectedly ({ret_val}).")
    with app.app_context():
        try:
            status = lifecycle.end_attempt(rq_job.id, reason, bool(rq_job.retries_left),
                                               claimed_by=process_identity(retpid))
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("could not record the death of job %s; the reaper will", rq_job.id)
            return
        finally:
            db.session.remove()
    log.warning("job %s: %s The row is now %s.", rq_job.id, reason, status or "unchanged")
    if status == "failed":
        rq_job.retries_left = 0
