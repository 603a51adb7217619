"""The chunks of a job shared by several workers: each claimed by one, taken over only from
a holder that is gone, and done only under the job's current lease."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.factories import make_job, make_user, workspace_of
from tests.support import jobs as test_jobs
from webapp.extensions import db
from webapp.models import AuditEntry, BackgroundJob, JobChunk
from webapp.models.base import utcnow
from webapp.services import signals
from webapp.services.jobs import chunks, lifecycle, owned

pytestmark = pytest.mark.settings(test_jobs.FAST)  # a claim is stale after 2 s without a beat
LEASE, OTHER = "a" * 32, "b" * 32


@pytest.fixture
def job(app):
    with app.app_context():
        row = make_job(workspace_of(make_user()), "bulk.create", status="processing", lease=LEASE,
                       progress_done=0, progress_total=25)
        assert chunks.plan(row.id, 25, 10) == 3
        assert chunks.plan(row.id, 25, 5) == 3  # planned once: a retry keeps its chunks
        db.session.commit()
        yield row.id
        db.session.remove()


def claim(job_id, token, lease=LEASE):
    chunk = chunks.claim(job_id, lease, token, f"test:{token}")
    db.session.commit()
    return chunk


def test_each_participant_claims_the_next_free_chunk_and_none_is_claimed_twice(job):
    first, second, third = claim(job, "t1"), claim(job, "t2"), claim(job, "t3")
    assert [(c.number, c.start, c.rows) for c in (first, second, third)] == [(0, 0, 10), (1, 10, 10),
                                                                              (2, 20, 5)]
    assert claim(job, "t4") is None


def test_a_chunk_of_a_gone_holder_is_taken_over_a_live_one_is_not(job):
    claim(job, "old"), claim(job, "quiet")
    # Chunk 0 was claimed under the lease of a run since replaced; chunk 1's holder stopped beating.
    db.session.execute(update(JobChunk).where(JobChunk.number == 0).values(lease=OTHER))
    db.session.execute(update(JobChunk).where(JobChunk.number == 1)
                       .values(heartbeat_at=utcnow() - timedelta(seconds=3)))
    db.session.commit()
    assert claim(job, "new").number == 0
    assert claim(job, "new2").number == 1
    assert claim(job, "new3").number == 2
    assert claim(job, "late") is None  # every holder is live now
    assert chunks.tally(job, LEASE)[2:] == (3, 3)


def test_only_the_holder_finishes_a_chunk_and_only_under_the_jobs_lease(job):
    chunk = claim(job, "mine")
    assert chunks.finish(chunk, "not-mine", {"created": 10}) == (False, False)
    db.session.rollback()
    assert chunks.finish(chunk, "mine", {"created": 10, "errors": 0}) == (True, False)
    db.session.commit()
    assert db.session.get(BackgroundJob, job, populate_existing=True).progress_done == 10
    assert chunks.finish(chunk, "mine", {"created": 10}) == (False, False)  # done already
    db.session.rollback()

    moved_on = claim(job, "slow")
    db.session.execute(update(BackgroundJob).where(BackgroundJob.id == job).values(lease=OTHER))
    db.session.commit()
    assert chunks.finish(moved_on, "slow", {"created": 10}) == (False, False)
    db.session.rollback()
    assert chunks.tally(job, LEASE)[:2] == (10, [{"created": 10, "errors": 0}])


def test_nobody_claims_a_chunk_of_a_job_cancelled_or_moved_on(job):
    assert claim(job, "other lease", lease=OTHER) is None
    db.session.execute(update(BackgroundJob).where(BackgroundJob.id == job)
                       .values(cancel_requested_at=utcnow()))
    db.session.commit()
    assert claim(job, "after the cancel") is None
    assert chunks.tally(job, LEASE)[3] == 0


def test_a_cancel_waits_for_a_claim_in_flight_so_the_run_counts_it(app, job):
    """The run stops once no chunk is held; a claim that saw the job open must be visible
    by the time the run can know of the cancel, or its chunk is worked after the stop."""
    chunk = chunks.claim(job, LEASE, "in flight", "test:in flight")  # not committed yet
    assert chunk is not None
    cancelled = threading.Event()

    def cancel():
        with app.app_context():
            lifecycle.request_cancel(job)
            db.session.commit()
            cancelled.set()
            db.session.remove()

    other = threading.Thread(target=cancel)
    other.start()
    assert not cancelled.wait(0.5), "the cancel committed while a claim was in flight"
    db.session.commit()
    other.join(timeout=10)
    assert cancelled.is_set()
    assert chunks.tally(job, LEASE)[3] == 1  # the claim is live: the run waits for its chunk
    db.session.rollback()


def test_a_shared_job_stopped_logs_what_its_done_chunks_kept_not_a_lagging_checkpoint(job):
    for token, created, errors in (("t1", 9, 1), ("t2", 10, 0)):
        chunk = claim(job, token)
        assert chunks.finish(chunk, token, {"created": created, "errors": errors,
                                            "sample": [{"line": 2, "message": "x"}][:errors]})[0]
        db.session.commit()
    row = db.session.get(BackgroundJob, job)
    # The run's last checkpoint was written before the second chunk was done.
    row.status, row.error = "failed", "Cancelled after 20 done."
    row.checkpoint = {"done": 10, "created": 9, "chunks": 3, "errors": {"count": 1}}
    signals.job_finished.send(row)
    db.session.commit()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.object_id == job)).one()
    assert entry.action == "bulk.created"
    assert entry.changes == {"created": 19, "rows_done": 20, "rejected": 1,
                             "stopped": "Cancelled after 20 done."}


def test_rows_in_hand_show_until_their_chunk_commits_and_only_from_live_claims(job):
    first, second = claim(job, "t1"), claim(job, "t2")
    with db.engine.begin() as connection:
        chunks.beat(connection, "t1", 7)
        chunks.beat(connection, "t2", 3)
    assert chunks.in_hand([job]) == {job: 10}
    row = db.session.get(BackgroundJob, job)
    assert (row.shown_done, row.percent) == (0, 0)
    from_owned = owned.with_rows_in_hand([row])[0]
    assert (from_owned.shown_done, from_owned.percent) == (10, 40)

    assert chunks.finish(first, "t1", {"created": 10, "errors": 0}) == (True, False)
    db.session.commit()
    assert chunks.in_hand([job]) == {job: 3}  # its rows are in progress_done now
    db.session.execute(update(JobChunk).where(JobChunk.number == 1)
                       .values(heartbeat_at=utcnow() - timedelta(seconds=3)))
    db.session.commit()
    assert chunks.in_hand([job]) == {}  # a holder gone: what it had seen is not shown
    assert claim(job, "t3").number == 1
    assert chunks.in_hand([job]) == {job: 0}  # the new claim starts from none of its rows
    assert second.number == 1
