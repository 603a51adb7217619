"""Domain events, sent by services inside the caller's transaction.

Receivers run synchronously in the same session, so what they write (an outbox
row, say) commits or rolls back with the change itself. Anything that must only
happen after the commit (dropping a cache entry, enqueueing a job) is registered
with `after_commit` instead of being done directly.
"""
import logging

from blinker import Namespace
from flask_sqlalchemy.session import Session
from sqlalchemy import event

from webapp.extensions import db

log = logging.getLogger(__name__)

_signals = Namespace()

# sender: the QrCode; receivers get `changes` (field → (old, new)) where it applies.
code_created = _signals.signal("code-created")
code_updated = _signals.signal("code-updated")
code_deleted = _signals.signal("code-deleted")
# sender: a transient ScanEvent already written (its code is `scan.qr_code_id`); receivers get
# `connection` (the scan's transaction: write what must commit with the scan through it, not
# through db.session) and `after_commit(callback, *args)`. See services/scan_writes.py.
scan_recorded = _signals.signal("scan-recorded")
# sender: the BackgroundJob row that reached completed or failed.
job_finished = _signals.signal("job-finished")

_AFTER_COMMIT = "scanlink_after_commit"


def after_commit(callback, *args, **kwargs):
    """Run `callback` once the current session commits; dropped on rollback."""
    after_commit_in(db.session(), callback, *args, **kwargs)


def after_commit_in(session, callback, *args, **kwargs):
    """`after_commit` for a given session (from inside a session event, say)."""
    session.info.setdefault(_AFTER_COMMIT, []).append((callback, args, kwargs))


def after_commit_once(callback, *args, **kwargs):
    """`after_commit`, unless the same call is already waiting for this commit.

    A transaction that records a thousand scans needs one enqueue, not a thousand.
    """
    session = db.session()
    pending = session.info.setdefault(_AFTER_COMMIT, [])
    if (callback, args, kwargs) not in pending:
        pending.append((callback, args, kwargs))


@event.listens_for(Session, "after_commit")
def _run_after_commit(session):
    callbacks = session.info.pop(_AFTER_COMMIT, [])
    for callback, args, kwargs in callbacks:
        try:
            callback(*args, **kwargs)
        except Exception:  # the change is committed; a failed follow-up must not undo the response
            log.exception("after-commit callback %r failed", callback)


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session):
    session.info.pop(_AFTER_COMMIT, None)
