"""A bulk job shared by every worker: its chunks are claimed from the job's chunk table.

The job's own run (the `tracked` attempt that holds the row) plans the chunks,
asks the other workers on its queue for help (one helper RQ job each) and works
through chunks itself like any helper. Each participant claims the next free chunk
(`jobs.chunks.claim`), does it, checks the submitter's rights and commits the
chunk's work with the UPDATE that marks it done and adds its rows to the job's
progress: a chunk is in the database whole or not at all, and only under the
job's current lease. The run waits for the chunks others hold, then settles the
result files from the done chunks' parts, in chunk order, once.

- A helper killed mid-chunk leaves its chunk claimed; its heartbeat stops and the
  next participant to look takes it over. The run killed: the reaper hands the
  row to a new attempt (a new lease), which takes over every unfinished chunk;
  helpers of the old lease stop at their next commit.
- Cancel: nobody claims another chunk; the chunks in hand finish and are kept,
  then the run stops, so the row says exactly what was done.
- Rights lost (seen by any participant before a commit): the chunk is not
  written and the job fails for good, as before.
"""
import itertools
import time
import uuid

from flask import current_app

from webapp.extensions import db
from webapp.infra.storage import get_storage
from webapp.models import BackgroundJob
from webapp.services import ServiceError
from webapp.services.bulk.row_errors import PART_NAME, SAMPLE_SIZE
from webapp.services.csvfiles.reader import CsvFile
from webapp.services.csvfiles.writer import header
from webapp.services.jobs import chunks, lifecycle, queues
from webapp.services.jobs.beats import Beat
from webapp.services.jobs.files import join_parts
from webapp.services.signals import after_commit
from webapp.services.workspaces import actors


class RightsGone(Exception):
    """A helper found that the submitter may no longer act (left, demoted, disabled)."""


class ChunkLost(Exception):
    """The job moved on (another lease, cancelled, failed) or the chunk was taken over."""


class Participant:
    """One worker's share of a job: claims chunks until none is free, commits each whole.

    `work(number, rows, seen)` does a chunk's work (flushed, not committed; its file parts
    written as part `number`) and returns what it did, with `errors` and `sample`; it calls
    `seen(n)` as it goes through its rows, and the page shows them before the chunk commits.
    `check_rights()` raises when the submitter may no longer act.
    """

    def __init__(self, job_id, lease, payload, columns, work, check_rights, identity):
        self.job_id, self.lease = job_id, lease
        self.token = uuid.uuid4().hex
        self.identity = identity
        self.source = CsvFile(payload["upload_key"], columns, encoding=payload["encoding"])
        self.work, self.check_rights = work, check_rights
        self._rows, self._at = None, None  # an open reader, and how many rows it has passed
        self._beat = ChunkBeat(current_app._get_current_object(), self.token)

    def __enter__(self):
        self._beat.start()
        return self

    def __exit__(self, *exc):
        self._beat.stop()

    def take_one(self):
        """Does one chunk. Returns (its result, cancel requested), or None when none is free."""
        self._beat.at = 0  # before the claim: the last chunk's count never lands on this one
        chunk = chunks.claim(self.job_id, self.lease, self.token, self.identity)
        db.session.commit()
        if chunk is None:
            return None
        try:
            result = self.work(chunk.number, self._rows_of(chunk), self._beat.seen)
            self.check_rights()
            ours, cancel = chunks.finish(chunk, self.token, result)
        except BaseException:
            db.session.rollback()
            self._release(chunk)
            raise
        if not ours:  # its work is not kept; a chunk of a job still running goes back at once
            db.session.rollback()
            self._release(chunk)
            raise ChunkLost(f"chunk {chunk.number} of job {self.job_id} was taken over")
        db.session.commit()
        return result, cancel

    def _rows_of(self, chunk):
        """The chunk's rows; chunks are claimed in order, so one reader usually moves on."""
        if self._rows is None or self._at > chunk.start:
            self._rows, self._at = self.source.rows(start=chunk.start), chunk.start
        skip = chunk.start - self._at
        rows = list(itertools.islice(self._rows, skip, skip + chunk.rows))
        self._at = chunk.start + chunk.rows
        return rows

    def _release(self, chunk):
        """A chunk that failed here goes back to the others at once, not after its heartbeat."""
        try:
            chunks.release(chunk, self.token)
            db.session.commit()
        except Exception:
            db.session.rollback()


class ChunkBeat(Beat):
    """Touches the chunk its participant holds, so a live claim is never taken over, and
    notes how far into it the participant is: a write per JOB_PROGRESS_INTERVAL at most,
    and only when it moved (else one per heartbeat)."""

    def __init__(self, app, token):
        super().__init__(app, f"chunk-beat-{token[:8]}", self._touch,
                         every=min(app.config["JOB_HEARTBEAT_INTERVAL"], app.config["JOB_PROGRESS_INTERVAL"]))
        self.token = token
        self.at = 0  # rows of the chunk in hand gone through (set by the participant's thread)
        self._sent, self._last = 0, time.monotonic()

    def seen(self, rows):
        self.at = rows

    def due(self):
        # Less a look's wait: the beat written just after one look is due at a later one.
        return self.at != self._sent or time.monotonic() - self._last >= self.interval - self.every

    def _touch(self, connection):
        at = self.at
        chunks.beat(connection, self.token, at)
        self._sent, self._last = at, time.monotonic()


def summary(results):
    """The job's counts so far from its done chunks: the checkpoint and row_errors shapes."""
    state = {"errors": {"count": 0, "sample": []}}
    for result in results:
        for key, value in result.items():
            if key == "sample":
                state["errors"]["sample"].extend(value[:SAMPLE_SIZE - len(state["errors"]["sample"])])
            elif key == "errors":
                state["errors"]["count"] += value
            else:
                state[key] = state.get(key, 0) + value
    return state


def run_chunks(run, columns, work, helper, identity):
    """The job's own run: plans, calls for help, works, waits. Returns (total rows, results).

    `helper` is the dotted path of the helpers' job function (it takes the job id and
    the lease). Raises through `run` (cancel, lease lost, rights lost) as a chunked
    job always has.
    """
    source = CsvFile(run.payload["upload_key"], columns, encoding=run.payload["encoding"])
    total = source.inspect().rows
    if "chunks" not in (run.checkpoint or {}):
        # The row's checkpoint says whether the chunks' record counts: without one (lost,
        # or written before jobs had chunks) the job starts over, and the import keys
        # find what was made.
        chunks.forget(run.id)
    count = chunks.plan(run.id, total, current_app.config["BULK_CHUNK_ROWS"])
    done, results, _, _ = chunks.tally(run.id, run.lease)
    state = {**summary(results), "done": done, "chunks": count}
    run.progress(done, total=total, checkpoint=state)  # commits the plan with it
    queues.call_helpers(helper, run.id, run.lease, run.type, count - len(results) - 1)
    poll = min(0.5, current_app.config["JOB_PROGRESS_INTERVAL"])
    written = None
    with Participant(run.id, run.lease, run.payload, columns, work, run.check_rights,
                     identity) as me:
        while True:
            taken = None
            if not run.cancelled.is_set():
                try:
                    taken = me.take_one()
                except ChunkLost:  # taken over by another participant, or the row moved on
                    if not chunks.holds_lease(run.id, run.lease):
                        run.lost.set()
                        run.raise_if_stopped()
                if taken and taken[1]:
                    run.cancelled.set()
            done, results, count, live = chunks.tally(run.id, run.lease)
            db.session.rollback()
            run.done = run.saved = done
            finished = len(results) == count
            settled = finished or (run.cancelled.is_set() and not live)
            # Cancelled, the run writes only once the chunks in hand are in: the write raises.
            if settled or (not run.cancelled.is_set() and len(results) != written and run.due()):
                state = {**summary(results), "done": done, "chunks": count}
                run.progress(None, checkpoint=state, row_errors={**state["errors"], "key": None})
                written = len(results)
            if finished:
                return total, results
            if run.lost.is_set():
                run.raise_if_stopped()
            if not taken:
                time.sleep(poll)


def settle(run, columns, results):
    """Joins the chunks' refused rows into one CSV (stored with the job's completion) and
    deletes the upload once that commits; returns how many rows were refused."""
    errors = summary(results)["errors"]
    key = None
    if errors["count"]:
        numbers = [number for number, result in enumerate(results) if result["errors"]]
        key = join_parts(run.id, PART_NAME, numbers, "errors.csv", "text/csv; charset=utf-8",
                         head=header(["line", "error", *columns]))["key"]
    run.settle_row_errors({**errors, "key": key})
    after_commit(get_storage().delete, run.payload["upload_key"])
    return errors["count"]


def help_with(job_id, lease, columns, make_work, identity):
    """A helper: works on the job's chunks while its lease lasts. Returns how many it did."""
    row = db.session.get(BackgroundJob, job_id)
    if row is None or row.lease != lease or row.status != "processing":
        return 0
    needed = queues.JOB_TYPES[row.type].role
    payload, user_id, workspace_id = dict(row.payload), row.user_id, row.workspace_id
    db.session.rollback()

    def check_rights():
        try:
            return actors.for_job(user_id, workspace_id, needed)
        except ServiceError as exc:
            raise RightsGone(exc.message) from None

    did = 0
    try:
        actor = check_rights()
        with Participant(job_id, lease, payload, columns, make_work(actor, payload),
                         check_rights, identity) as me:
            while True:
                try:
                    taken = me.take_one()
                except ChunkLost:
                    continue  # the next look sees whether the job is still open
                if taken is None:
                    break
                did += 1
                if taken[1]:
                    break
    except RightsGone as exc:  # the job ends, for good, as when its own run sees it
        db.session.rollback()
        lifecycle.end_attempt(job_id, str(exc), False, lease=lease)
        db.session.commit()
    return did
