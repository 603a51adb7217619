"""Periodic work: once per period across processes, the cron URL, the reaper and the sweep."""
import re
from datetime import timedelta

import pytest

from tests.support import jobs as test_jobs
from tests.support.jobs import WORKER_ENV, job_row, wait_for_status
from tests.support.processes import wait_for
from webapp.extensions import db
from webapp.models import BackgroundJob
from webapp.models.base import utcnow
from webapp.services.jobs import periodic, queues
from webapp.services.jobs.periodic import PeriodicTask
from workers.scheduler import build_scheduler

SECRET = "cron-secret-for-tests-0123456789"

pytestmark = pytest.mark.settings(
    # Hour-long periods here, so a second sweep in the same test finds nothing due.
    test_jobs.FAST, JOB_ENQUEUE_GRACE=0, CRON_SECRET=SECRET, JOB_SWEEP_INTERVAL=3600,
    JOB_REAPER_INTERVAL=3600)


def cron(client, secret=SECRET):
    headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
    return client.post("/api/jobs/process", headers=headers)


def submit(app, job_type="worker.check", **fields):
    with app.app_context():
        return queues.submit(job_type, **fields).id


def set_row(app, job_id, **values):
    with app.app_context():
        row = db.session.get(BackgroundJob, job_id)
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()
        db.session.remove()


def test_a_task_is_enqueued_once_per_period_however_many_schedulers_run(app, redis):
    tasks = {"test.hourly": PeriodicTask("webapp.services.jobs.lifecycle.reap_stale_jobs", every=3600)}
    schedulers = [build_scheduler(redis, app.config, tasks) for _ in range(3)]

    for scheduler in schedulers * 2:
        scheduler.enqueue_jobs()

    assert redis.llen("rq:queue:high") == 1
    with app.app_context():
        assert periodic.claim(redis, "test.hourly", 3600) is False  # the cron URL skips it too
        assert periodic.claim(redis, "test.other", 3600) is True  # tasks do not share periods


def test_cron_endpoint_refuses_without_the_right_secret(client, app_factory):
    assert cron(client, secret=None).status_code == 401
    assert cron(client, secret="wrong").status_code == 401
    refused = client.post("/api/jobs/process", headers={"Authorization": f"Basic {SECRET}"})
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "unauthorized"

    unset = app_factory(CRON_SECRET=None).test_client()
    assert unset.post("/api/jobs/process", headers={"Authorization": "Bearer "}).status_code == 401
    assert unset.post("/api/jobs/process", headers={"Authorization": "Bearer None"}).status_code == 401


def test_cron_endpoint_sweeps_up_a_job_whose_enqueue_was_lost(app, client, redis, run_jobs):
    job_id = submit(app)
    redis.flushdb()  # Redis lost the queue after the row was committed

    response = cron(client)

    assert response.status_code == 200
    assert response.json["ran"]["jobs.enqueue_lost"] == {"enqueued": 1, "failed": 0}
    assert redis.lrange("rq:queue:high", 0, -1) == [job_id.encode()]
    assert run_jobs() == 1
    assert job_row(app, job_id).status == "completed"
    assert "jobs.enqueue_lost" in cron(client).json["not_due"]  # same period: not again


def test_job_submitted_while_redis_was_down_is_enqueued_by_the_sweep(app, app_factory, redis, run_jobs):
    down = app_factory(REDIS_URL="redis://127.0.0.1:1/0", REDIS_SOCKET_TIMEOUT=0.3)
    with down.app_context():
        row = queues.submit("worker.check")
        job_id = row.id
    assert job_row(app, job_id).status == "pending"
    assert redis.llen("rq:queue:high") == 0

    with app.app_context():
        periodic.run_task("jobs.enqueue_lost")
        db.session.commit()

    assert run_jobs() == 1
    assert job_row(app, job_id).status == "completed"


def test_a_real_worker_sweeps_up_a_lost_enqueue_by_itself(app, redis, worker_process):
    job_id = submit(app)
    redis.flushdb()
    worker = worker_process(**WORKER_ENV)
    assert wait_for_status(app, job_id, worker=worker).status == "completed"


def test_reaper_hands_on_a_stale_row_and_fails_one_out_of_attempts(app, redis):
    old = utcnow() - timedelta(minutes=5)
    retried = submit(app, "exports.codes")
    exhausted = submit(app, "exports.codes")
    cancelled = submit(app, "exports.codes")
    alive = submit(app, "exports.codes")
    redis.flushdb()
    set_row(app, retried, status="processing", attempts=1, heartbeat_at=old, lease="a" * 32)
    set_row(app, exhausted, status="processing", attempts=4, heartbeat_at=old, lease="b" * 32)
    set_row(app, cancelled, status="processing", attempts=1, heartbeat_at=old,
            cancel_requested_at=old)
    set_row(app, alive, status="processing", attempts=1, heartbeat_at=utcnow(), lease="c" * 32)

    with app.app_context():
        assert periodic.run_task("jobs.reap") == {"requeued": 1, "failed": 2}
        db.session.commit()

    row = job_row(app, retried)
    assert row.status == "pending" and row.lease is None
    assert "Attempt 1 of 4 stopped without finishing" in row.error
    assert redis.lrange("rq:queue:low", 0, -1) == [retried.encode()]
    row = job_row(app, exhausted)
    assert row.status == "failed" and "giving up" in row.error and row.finished_at
    assert job_row(app, cancelled).error == "Cancelled."
    assert job_row(app, alive).status == "processing"


def test_sweep_fails_a_pending_row_that_rq_could_not_run(app, redis, run_jobs, monkeypatch):
    monkeypatch.setitem(queues.JOB_TYPES, "test.missing",
                        queues.JobSpec("tests.support.jobs.no_such_function", queue="high"))
    job_id = submit(app, "test.missing")
    run_jobs()  # RQ cannot import the function: it fails the job before our code runs
    assert job_row(app, job_id).status == "pending"

    with app.app_context():
        assert periodic.run_task("jobs.enqueue_lost") == {"enqueued": 0, "failed": 1}
        db.session.commit()

    row = job_row(app, job_id)
    assert row.status == "failed"
    assert row.error.startswith("The job could not run:") and "no_such_function" in row.error


@pytest.mark.slow
def test_two_workers_run_each_period_of_a_task_once_between_them(app, worker_process):
    # RQ's own "Job OK (<id>)" line per job tells which worker ran which period.
    workers = [worker_process(**WORKER_ENV, RQ_LOG_LEVEL="INFO") for _ in range(2)]

    def reap_periods():
        return [re.findall(r"Job OK \(periodic-jobs_reap-(\d+)\)", worker.output())
                for worker in workers]

    wait_for(lambda: all("Listening on" in worker.output() for worker in workers), timeout=30,
             message="both workers to start")
    started = len(sum(reap_periods(), []))
    wait_for(lambda: len(sum(reap_periods(), [])) >= started + 3, timeout=30,
             message="three more periods of the reaper")
    runs = reap_periods()
    seen = sum(runs, [])
    # Both schedulers wanted every one-second period; each period ran exactly once.
    assert len(seen) == len(set(seen)), runs


def found_nothing():
    return {"requeued": 0, "failed": 0}


def found_one():
    return {"requeued": 1, "failed": 0}


def test_a_sweep_that_found_nothing_logs_at_debug_work_done_at_info(app, caplog, monkeypatch):
    monkeypatch.setitem(periodic.PERIODIC, "test.nothing", PeriodicTask(f"{__name__}.found_nothing", 60))
    monkeypatch.setitem(periodic.PERIODIC, "test.one", PeriodicTask(f"{__name__}.found_one", 60))
    with app.app_context(), caplog.at_level("DEBUG", logger=periodic.log.name):
        periodic.run_task("test.nothing")
        periodic.run_task("test.one")
    levels = {record.getMessage().split()[1]: record.levelname for record in caplog.records}
    assert levels == {"test.nothing": "DEBUG", "test.one": "INFO"}
