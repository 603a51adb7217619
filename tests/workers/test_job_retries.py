"""Retries go through RQ's scheduled registry with the backoff of the job type."""
import pytest

from tests.support import jobs as test_jobs
from tests.support.jobs import WORKER_ENV, attempts_key, job_row, wait_for_status
from webapp.models.base import utcnow
from webapp.services.jobs import queues

pytestmark = [pytest.mark.slow, pytest.mark.settings(test_jobs.FAST)]


def submit(app, job_type, workspace_id=None, **payload):
    with app.app_context():
        return queues.submit(job_type, workspace_id=workspace_id, payload=payload).id


def attempt_times(redis, job_id):
    return [float(value) for value in redis.lrange(attempts_key(job_id), 0, -1)]


def test_job_failing_twice_then_succeeding_completes_on_the_third_attempt(app, redis, worker_process):
    job_id = submit(app, "test.flaky", fail_times=2)
    worker = worker_process(**WORKER_ENV)

    row = wait_for_status(app, job_id, worker=worker)

    assert row.status == "completed", worker.output()
    assert row.attempts == 3 and row.max_attempts == 3
    assert row.result == {"succeeded_on": 3}
    assert row.error is None
    times = attempt_times(redis, job_id)
    waits = [later - earlier for earlier, later in zip(times, times[1:])]
    # The spec's backoff is (2, 4). RQ keeps a retry's due time in whole seconds
    # and its scheduler looks once a second, so a wait is its interval give or
    # take a second, plus the attempt's own start-up (slower on a busy machine).
    assert 1.0 < waits[0] < 4.5, waits
    assert 3.0 < waits[1] < 6.5, waits


def test_failed_attempt_leaves_the_row_pending_with_its_error_until_the_retry(app, redis, worker_process):
    job_id = submit(app, "test.flaky", fail_times=1)
    worker = worker_process(**WORKER_ENV)

    pending = wait_for_status(app, job_id, statuses=("pending",), worker=worker)
    # Between attempts: back to pending, the error of attempt 1 kept, the retry waiting in RQ.
    if pending.attempts == 1:
        assert "flaky failure on attempt 1" in pending.error
        assert redis.zscore("rq:scheduled:high", job_id) is not None
    assert wait_for_status(app, job_id, worker=worker).status == "completed"


def test_job_that_always_fails_ends_failed_with_its_error_shown(app, client, owner, redis, worker_process):
    job_id = submit(app, "test.always_fails", workspace_id=owner)
    worker = worker_process(**WORKER_ENV)

    row = wait_for_status(app, job_id, worker=worker)

    assert row.status == "failed"
    assert row.attempts == 2 == row.max_attempts
    assert "RuntimeError: the printer caught fire" in row.error
    assert len(attempt_times(redis, job_id)) == 2
    assert row.finished_at <= utcnow()

    api = client.get(f"/api/jobs/{job_id}").json
    assert api["status"] == "failed" and api["attempts"] == 2
    assert "the printer caught fire" in api["errors"]["message"]
    page = client.get("/jobs/").get_data(as_text=True)
    assert "the printer caught fire" in page and "Retry" in page
    # RQ agrees: the job is in its failed registry, not waiting for another retry.
    assert redis.zscore("rq:failed:high", job_id) is not None
    assert redis.zcard("rq:scheduled:high") == 0
    assert job_row(app, job_id).lease is None
