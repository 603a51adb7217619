"""Every job runs in its own app context and owns its unit of work."""
import functools
import logging
import os
import traceback

from rq import get_current_job

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
        from webapp import create_app

        set_app(create_app())
    return _app


def _after_fork(app):
    """A forked work horse must not share the parent's database sockets."""
    global _app_pid
    if _app_pid != os.getpid():
        from webapp.extensions import db

        with app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)
        _app_pid = os.getpid()


def in_app_context(func):
    """Run a plain job in a fresh app context: commit on success, roll back on error."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        app = get_app()
        _after_fork(app)
        from webapp.extensions import db

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
    """A job for a BackgroundJob row: mirrors processing/completed/failed onto it.

    `func(row)` returns the result to store. On an exception the row goes back to
    pending while RQ has retries left, and to failed after the last attempt.
    """
    @functools.wraps(func)
    def wrapper(job_id):
        app = get_app()
        _after_fork(app)
        from webapp.extensions import db
        from webapp.models import BackgroundJob
        from webapp.models.base import utcnow

        with app.app_context():
            try:
                row = db.session.get(BackgroundJob, job_id)
                if row is None:
                    log.warning("job row %s is gone; nothing to do", job_id)
                    return None
                if row.status in ("completed", "failed"):
                    return row.result  # a duplicate delivery of a finished job
                row.status = "processing"
                row.attempts += 1
                row.started_at = row.started_at or utcnow()
                row.error = None
                db.session.commit()

                result = func(row)
                row.status = "completed"
                row.result = result
                row.finished_at = utcnow()
                db.session.commit()
                return result
            except BaseException as exc:
                db.session.rollback()
                _record_failure(db, job_id, exc)
                raise
            finally:
                db.session.remove()
    return wrapper


def _record_failure(db, job_id, exc):
    from webapp.models import BackgroundJob
    from webapp.models.base import utcnow

    rq_job = get_current_job()
    retries_left = bool(rq_job and rq_job.retries_left)
    try:
        row = db.session.get(BackgroundJob, job_id)
        if row is None:
            return
        row.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
        if retries_left:
            row.status = "pending"
        else:
            row.status = "failed"
            row.finished_at = utcnow()
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record the failure of job %s", job_id)
