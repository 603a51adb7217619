"""What a tracked job sees of its row while it runs: payload, checkpoint, progress, cancel."""
import logging
import threading
import time

from webapp.extensions import db
from webapp.services import ServiceError
from webapp.services.jobs import lifecycle
from webapp.services.jobs.beats import Beat
from webapp.services.workspaces import actors

log = logging.getLogger(__name__)


class JobCancelled(Exception):
    """The owner asked to cancel; raised at the next chunk boundary."""


class RightsLost(Exception):
    """The member the job acts for lost the rights it needs (left, demoted, disabled)."""


class LeaseLost(Exception):
    """Another run took the row over (this one was presumed dead); stop without writing."""


class JobRun:
    """One attempt at a BackgroundJob row.

    A chunked job calls `progress(done, checkpoint=...)` after each chunk. That
    commits the chunk's work together with the checkpoint that says it is done,
    so an attempt that dies mid-chunk leaves neither, and the next attempt
    resumes from `run.checkpoint` without doing anything twice. Calls without
    a checkpoint are throttled and may be skipped; calls with one always write.
    Every write also checks for a cancel request and raises JobCancelled.
    """

    def __init__(self, row, lease, config):
        self.id = row.id
        self.type = row.type
        self.workspace_id = row.workspace_id
        self.user_id = row.user_id
        self.actor = None  # the submitter, as workers.context found them when this run began
        self.needed = None  # the role the job needs of them
        self.payload = dict(row.payload or {})
        self.checkpoint = row.checkpoint
        self.attempt = row.attempts
        self.max_attempts = row.max_attempts
        self.done = self.saved = row.progress_done  # saved: what the row says is committed
        self.total = row.progress_total
        self.lease = lease
        self.claimed_by = row.claimed_by  # host:pid of the process running this attempt
        self.final_row_errors = None  # see settle_row_errors
        self._interval = config["JOB_PROGRESS_INTERVAL"]
        self._last_write = 0.0
        self.cancelled = threading.Event()
        self.lost = threading.Event()

    def progress(self, done, total=None, checkpoint=None, row_errors=None):
        """Record progress; commits the session when it writes (see the class doc)."""
        if checkpoint is not None and self.actor is not None:
            self.check_rights()
        if done is not None:  # None: the row's count is kept by others (jobs/chunks.py)
            self.done = done
        if total is not None:
            self.total = total
        if checkpoint is not None:
            self.checkpoint = checkpoint
        finished = done is not None and self.total is not None and done >= self.total
        # A cancel request seen by the heartbeat forces a write: the work done so far is kept.
        due = (checkpoint is not None or row_errors is not None or finished
               or self.cancelled.is_set() or self.due())
        if due and not self.lost.is_set():
            self._write(done, total, checkpoint, row_errors)
        self.raise_if_stopped()

    def due(self):
        """True when a throttled progress write is due."""
        return time.monotonic() - self._last_write >= self._interval

    def check_rights(self):
        """Before a chunk is committed: a member removed or demoted meanwhile stops the job
        at once, and the chunk in hand is not written."""
        try:
            self.actor = actors.for_job(self.user_id, self.workspace_id, self.needed)
        except ServiceError as exc:
            raise RightsLost(exc.message) from None
        return self.actor

    def settle_row_errors(self, summary):
        """The last row-error summary, written by the commit that completes the job.

        Joining the error parts into one file deletes the parts after the next
        commit; if that were a commit of its own, a crash before the job is marked
        completed would leave a rerun with nothing to join.
        """
        self.final_row_errors = summary

    def raise_if_stopped(self):
        if self.lost.is_set():
            raise LeaseLost(f"job {self.id} was taken over by another run")
        if self.cancelled.is_set():
            raise JobCancelled(f"job {self.id} was cancelled")

    def _write(self, done, total, checkpoint, row_errors):
        ours, cancel = lifecycle.record_progress(self.id, self.lease, done, total,
                                                     checkpoint, row_errors)
        if not ours:
            db.session.rollback()
            self.lost.set()
            return
        db.session.commit()
        self.saved = done if done is not None else self.saved
        self._last_write = time.monotonic()
        if cancel:
            self.cancelled.set()


class Heartbeat(Beat):
    """Touches the row every few seconds while the job runs, whatever the job is doing.

    The reaper takes a row whose heartbeat stopped for a run whose worker died.
    """

    def __init__(self, app, run):
        super().__init__(app, f"heartbeat-{run.id}", self._touch)
        self.run_ = run

    def _touch(self, connection):
        ours, cancel = lifecycle.beat(connection, self.run_.id, self.run_.lease)
        if not ours:
            self.run_.lost.set()
            return False
        if cancel:
            self.run_.cancelled.set()
        return True
