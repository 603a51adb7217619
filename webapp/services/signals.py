"""Domain events, sent by services inside the caller's transaction, and after-commit work.

Receivers run synchronously in the same session, so what they write (an outbox
row, say) commits or rolls back with the change itself. Anything that must only
happen after the commit (dropping a cache entry, enqueueing a job) is registered
with `after_commit` instead of being done directly. Who listens to what is
connected in one place, webapp/wiring.py.
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
# sender: the BackgroundJob row that reached completed or failed.
job_finished = _signals.signal("job-finished")
# sender: the id of an owner whose webhook endpoints changed (added, edited, disabled,
# deleted); `session`: the session whose commit makes the change.
webhooks_changed = _signals.signal("webhooks-changed")
# sender: the hostname of a custom domain added, verified, changed or deleted.
domain_changed = _signals.signal("domain-changed")

_AFTER_COMMIT = "scanlink_after_commit"


def after_commit(callback, *args, session=None, **kwargs):
    """Run `callback` once the session (the current one unless given) commits; dropped on
    rollback."""
    (session or db.session()).info.setdefault(_AFTER_COMMIT, []).append((callback, args, kwargs))


def after_commit_once(callback, *args, session=None, **kwargs):
    """`after_commit`, unless the same call is already waiting for this commit.

    A transaction that records a thousand scans needs one enqueue, not a thousand.
    """
    pending = (session or db.session()).info.setdefault(_AFTER_COMMIT, [])
    if (callback, args, kwargs) not in pending:
        pending.append((callback, args, kwargs))


def run_after_commit(session):
    callbacks = session.info.pop(_AFTER_COMMIT, [])
    for callback, args, kwargs in callbacks:
        try:
            callback(*args, **kwargs)
        except Exception:  # the change is committed; a failed follow-up must not undo the response
            log.exception("after-commit callback %r failed", callback)


def drop_after_commit(session):
    session.info.pop(_AFTER_COMMIT, None)


def connect_session_events():
    """Makes every session run its after-commit work (idempotent; see webapp/wiring.py)."""
    for name, listener in (("after_commit", run_after_commit),
                           ("after_rollback", drop_after_commit)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
