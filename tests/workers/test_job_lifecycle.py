"""The row's state machine: claims, leases, duplicate deliveries."""
from datetime import timedelta

import pytest

from tests.factories import make_codes
from tests.support import jobs as test_jobs
from tests.support.auth import user_id
from tests.support.jobs import job_row
from webapp.extensions import db
from webapp.models import BackgroundJob, ScanEvent
from webapp.models.base import utcnow
from webapp.services.jobs import lifecycle, queues
from workers.runs import JobRun, LeaseLost

pytestmark = pytest.mark.settings(test_jobs.FAST)


@pytest.fixture
def job_id(app, redis):
    with app.app_context():
        row_id = queues.submit("exports.codes").id
    redis.flushdb()
    return row_id


def claim(app, job_id, lease):
    with app.app_context():
        won = lifecycle.claim(job_id, lease, "test-host:1")
        db.session.commit()
        db.session.remove()
    return won


def test_a_live_run_keeps_its_row_and_a_dead_one_is_taken_over(app, job_id):
    assert claim(app, job_id, "a" * 32)
    assert not claim(app, job_id, "b" * 32)  # a second delivery while the first runs
    with app.app_context():
        db.session.get(BackgroundJob, job_id).heartbeat_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert claim(app, job_id, "b" * 32)  # the first stopped beating: taken over
    row = job_row(app, job_id)
    assert row.lease == "b" * 32 and row.attempts == 2 and row.status == "processing"


def test_a_run_that_lost_its_row_commits_none_of_its_work(app, auth, job_id):
    auth.signup()
    code_id = make_codes(app, user_id(app), 1)[0]
    assert claim(app, job_id, "a" * 32)
    with app.app_context():
        run = JobRun(db.session.get(BackgroundJob, job_id), "a" * 32, app.config)
        db.session.commit()
        # Meanwhile the reaper presumed it dead and another run claimed the row.
        with app.app_context():
            db.session.get(BackgroundJob, job_id).heartbeat_at = utcnow() - timedelta(minutes=1)
            db.session.commit()
            assert lifecycle.claim(job_id, "b" * 32, "other-host:2")
            db.session.commit()
        db.session.add(ScanEvent(qr_code_id=code_id, referrer="from the stale run"))
        with pytest.raises(LeaseLost):
            run.progress(10, checkpoint={"next": 10})
        assert db.session.query(ScanEvent).count() == 0
        db.session.remove()
    row = job_row(app, job_id)
    assert row.checkpoint is None and row.progress_done == 0 and row.lease == "b" * 32


def test_a_second_delivery_of_a_finished_job_does_not_run_it_again(app, redis, run_jobs):
    with app.app_context():
        job_id = queues.submit("worker.check").id
    assert run_jobs() == 1
    first = job_row(app, job_id)

    with app.app_context():
        queues.enqueue(job_id, "worker.check")
    assert run_jobs() == 1

    again = job_row(app, job_id)
    assert again.attempts == 1 and again.result == first.result
    assert again.finished_at == first.finished_at


def test_progress_without_a_checkpoint_is_throttled(app, job_id):
    assert claim(app, job_id, "a" * 32)
    with app.app_context():
        run = JobRun(db.session.get(BackgroundJob, job_id), "a" * 32,
                     {**app.config, "JOB_PROGRESS_INTERVAL": 60})
        run.progress(1, total=100)  # the first write always lands
        run.progress(2)
        run.progress(3)
        db.session.remove()
    assert job_row(app, job_id).progress_done == 1
    with app.app_context():
        run.progress(4, checkpoint={"next": 4})  # a checkpoint always writes
        db.session.remove()
    row = job_row(app, job_id)
    assert (row.progress_done, row.checkpoint) == (4, {"next": 4})
