"""What `submit` hands RQ: the row first, then a job with the type's timeout, retries and TTL."""
import pytest
from rq.job import Job

from tests.support import jobs as test_jobs  # noqa: F401  (registers the test job types)
from tests.support.jobs import job_row
from webapp.extensions import db
from webapp.services.jobs import queues
from webapp.services.signals import job_finished


def test_backoff_grows_exponentially():
    assert queues.backoff(10, 3) == (10, 20, 40)
    assert queues.backoff(30, 0) == ()


def test_submit_commits_the_row_and_enqueues_with_the_types_policy(app, redis):
    spec = queues.JOB_TYPES["exports.codes"]
    with app.app_context():
        row = queues.submit("exports.codes", payload={"what": "codes"})
    job = Job.fetch(row.id, connection=redis)
    assert job.origin == "low" and job.timeout == spec.timeout and job.result_ttl == spec.result_ttl
    assert job.retries_left == 3 and job.retry_intervals == [30, 60, 120]
    stored = job_row(app, row.id)
    assert (stored.status, stored.attempts, stored.max_attempts, stored.rq_job_id) == (
        "pending", 0, 4, row.id)


def test_a_re_enqueue_keeps_only_the_retries_the_row_has_left(app, redis):
    with app.app_context():
        row = queues.submit("exports.codes")
        queues.enqueue(row.id, "exports.codes", attempts_left=2)
    job = Job.fetch(row.id, connection=redis)
    assert job.retries_left == 1 and job.retry_intervals == [120]  # the longest wait, not the first


def test_unknown_queue_is_refused_at_registration():
    with pytest.raises(ValueError):
        queues.register("test.bad", queues.JobSpec("x.y", queue="urgent"))


def test_a_job_over_its_timeout_fails_with_a_clear_error(app, run_jobs):
    with app.app_context():
        job_id = queues.submit("test.sleepy", payload={"seconds": 5}).id
    run_jobs()
    row = job_row(app, job_id)
    assert row.status == "failed"
    assert row.error == "Timed out: the job ran longer than its limit of 1 seconds."


def test_a_result_that_cannot_be_stored_fails_the_job_honestly(app, run_jobs):
    with app.app_context():
        job_id = queues.submit("test.unstorable").id
    run_jobs()
    row = job_row(app, job_id)
    assert row.status == "failed" and "not JSON serializable" in row.error and row.lease is None


def test_job_finished_is_sent_once_when_a_row_completes_or_fails(app, run_jobs):
    seen = []

    def receiver(row, **extra):
        seen.append((row.type, row.status))

    job_finished.connect(receiver)
    try:
        with app.app_context():
            queues.submit("worker.check")
            queues.submit("test.fails_first")
            db.session.remove()
        run_jobs()
    finally:
        job_finished.disconnect(receiver)
    assert sorted(seen) == [("test.fails_first", "failed"), ("worker.check", "completed")]


def test_a_worker_takes_high_before_default_before_low(app, run_jobs):
    for name in queues.QUEUES:
        queues.register(f"test.on_{name}", queues.JobSpec("workers.maintenance.check_worker",
                                                               queue=name))
    with app.app_context():
        ids = {name: queues.submit(f"test.on_{name}").id for name in ("low", "default", "high")}
    assert run_jobs() == 3
    finished = {name: job_row(app, job_id).finished_at for name, job_id in ids.items()}
    assert finished["high"] < finished["default"] < finished["low"]
