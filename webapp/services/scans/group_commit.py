"""Group commit: the scans of concurrent requests share one transaction.

Every scan is durable before its redirect is sent, and on PostgreSQL a durable
commit waits for the disk (2 to 7 ms on the shared test machine). Committing
each scan on its own makes the database and the web process pay a whole
transaction per scan (a pool checkout, BEGIN, the write, COMMIT: three round
trips, each a wake-up of the thread). Here the requests of one process that
arrive while batches are being committed queue up and are written together by
the next batch: one statement, one commit, one round trip.

How batches form (no thread of its own, so no hand-off to one): a scan that
finds a free lane commits at once (alone at low load: no added latency); scans
that arrive while every lane is busy queue up; when a batch is committed, its
leader takes everything queued by then (up to MAX_BATCH) as the next batch and
wakes its oldest scan to commit it. Each waiting request is woken exactly once:
with its outcome, or with a batch to commit. A request returns only once its own
scan has committed, or with the error that stopped it.

Lanes: one batch of a process is committing at a time (`lanes`, 1). Two lanes on
PostgreSQL let a scan start its commit sooner, but on the 2-core machine of
bench/scan_redirect.py they made batches half as big, so twice the commits, the
wake-ups and the database's work per scan: the counted redirects per second fell
by 8 to 54% in each of five rounds, and p99 rose. The web processes still commit
side by side, and PostgreSQL flushes their concurrent commits together. SQLite has
one writer at a time anyway (and `infra/sqlite_turns.py` hands it on between
processes).

Failures: when a batch's write fails on a bad row (an integrity or data error:
say a code deleted a moment ago), the database refused the whole batch, so each
of its scans is retried in a transaction of its own: the others are recorded
once and only the bad one fails. Other errors (the database gone) fail the whole
batch at once rather than waiting out a timeout per scan, and are not retried:
the commit may have happened, and a retry could count the scans twice.

One `GroupCommit` per app and process (`for_app`); a forked child starts afresh.
"""
import logging
import os
import threading

from sqlalchemy.exc import DataError, IntegrityError

from webapp.services.scans.writes import commit_scans

log = logging.getLogger(__name__)

MAX_BATCH = 128
LANES = 1
_EXTENSION = "scanlink_scan_commits"


class _Scan:
    __slots__ = ("row", "batch", "error", "event_id", "_wake")

    def __init__(self, row):
        self.row, self.batch, self.error, self.event_id = row, None, None, None
        self._wake = threading.Lock()
        self._wake.acquire()  # released once: with the outcome, or with a batch to commit

    def wake(self):
        self._wake.release()

    def wait(self):
        self._wake.acquire()


class GroupCommit:
    def __init__(self, engine, max_batch=MAX_BATCH, lanes=None):
        self.engine, self.max_batch = engine, max_batch
        self.lanes = lanes or LANES
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._queue = []
        self._committing = 0  # batches being committed now, at most `lanes`
        self.batches = self.scans = 0  # how well batches form (tests, profiling)

    @property
    def waiting(self):
        """Scans queued for the next batch (not yet being committed)."""
        return len(self._queue)

    @property
    def committing(self):
        """Batches being committed now."""
        return self._committing

    def commit(self, row):
        """Writes one scan (a row for `write_scans`) and returns once it is committed;
        returns the event id, or raises what stopped it."""
        scan = _Scan(row)
        with self._lock:
            self._queue.append(scan)
            if self._committing < self.lanes:
                self._committing += 1
                scan.batch = self._take()
        if scan.batch is None:
            scan.wait()  # woken with the outcome, or with the next batch to commit
        if scan.batch is not None:
            self._lead(scan)
        if scan.error is not None:
            raise scan.error
        return scan.event_id

    def _take(self):
        """The next batch: the oldest queued scans (under the lock)."""
        batch = self._queue[:self.max_batch]
        del self._queue[:self.max_batch]
        self.batches += 1
        self.scans += len(batch)
        return batch

    def _lead(self, leader):
        """Commits the leader's batch, wakes its scans, hands what queued meanwhile on."""
        batch, leader.batch = leader.batch, None
        try:
            self._commit_batch(batch)
        finally:
            for scan in batch:
                if scan.event_id is None and scan.error is None:
                    scan.error = RuntimeError("the scan's batch was interrupted before its commit")
            following = None
            with self._lock:
                if self._queue:
                    following_batch = self._take()
                    following = following_batch[0]
                    following.batch = following_batch
                else:
                    self._committing -= 1
            for scan in batch:
                if scan is not leader:
                    scan.wake()
            if following is not None:
                following.wake()

    def _commit_batch(self, batch):
        try:
            self._transaction(batch)
        except (IntegrityError, DataError) as error:
            if len(batch) == 1:
                batch[0].error = error
                return
            log.warning("a batch of %d scans was refused (%s); writing them one by one",
                        len(batch), error.orig)
            for scan in batch:
                try:
                    self._transaction([scan])
                except Exception as single_error:
                    scan.error = single_error
        except Exception as error:
            for scan in batch:
                scan.error = error

    def _transaction(self, batch):
        ids = commit_scans(self.engine, [scan.row for scan in batch])
        for scan, event_id in zip(batch, ids):
            scan.event_id = event_id


_creation = threading.Lock()


def for_app(app, engine):
    """This process's GroupCommit for `app` (made on first use, and again after a fork)."""
    committer = app.extensions.get(_EXTENSION)
    if committer is None or committer.pid != os.getpid():
        with _creation:
            committer = app.extensions.get(_EXTENSION)
            if committer is None or committer.pid != os.getpid():
                committer = app.extensions[_EXTENSION] = GroupCommit(engine)
    return committer


def _reset_after_fork():
    # The parent's lock may have been held by a thread that does not exist here.
    global _creation
    _creation = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)
