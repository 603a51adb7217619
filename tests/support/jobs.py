"""Job types that exist only for the plumbing tests.

Imported by the tests, and by worker processes started with
JOB_PLUGINS=tests.support.jobs, so both sides know the types.
"""
import time

from webapp.extensions import db
from webapp.infra.redis_client import get_redis
from webapp.models import ScanEvent
from webapp.services.jobs import queues
from workers.context import tracked

PLUGIN_ENV = {"JOB_PLUGINS": "tests.support.jobs"}


def attempts_key(job_id):
    return f"test:attempt-times:{job_id}"


def chunk_runs_key(job_id):
    return f"test:chunk-runs:{job_id}"


@tracked
def flaky(run):
    """Fails `fail_times` attempts, then succeeds; notes when each attempt started."""
    get_redis().rpush(attempts_key(run.id), time.time())
    if run.attempt <= run.payload.get("fail_times", 0):
        raise RuntimeError(f"flaky failure on attempt {run.attempt}")
    return {"succeeded_on": run.attempt}


@tracked
def always_fails(run):
    get_redis().rpush(attempts_key(run.id), time.time())
    raise RuntimeError("the printer caught fire")


@tracked
def chunks(run):
    """Writes one scan event per item, a chunk per transaction, resuming from its checkpoint.

    Each item's referrer is `item-<n>`, so a test can see every item exactly once.
    """
    items, size = run.payload["items"], run.payload.get("chunk", 10)
    pause = run.payload.get("pause", 0)
    start = (run.checkpoint or {}).get("next", 0)
    run.progress(start, total=items)
    for first in range(start, items, size):
        last = min(first + size, items)
        get_redis().incr(chunk_runs_key(run.id))
        db.session.add_all(ScanEvent(qr_code_id=run.payload["code_id"], referrer=f"item-{n}")
                           for n in range(first, last))
        time.sleep(pause)
        run.progress(last, checkpoint={"next": last})
    return {"items": items}


queues.register("test.flaky", queues.JobSpec("tests.support.jobs.flaky", queue="high",
                                                 retries=queues.backoff(2, 2),
                                                 label="Flaky test job"))
queues.register("test.always_fails", queues.JobSpec("tests.support.jobs.always_fails",
                                                        queue="high", retries=(1,),
                                                        label="Failing test job"))
queues.register("test.chunks", queues.JobSpec("tests.support.jobs.chunks", queue="low",
                                                  retries=(1,), label="Chunked test job"))


# Short timings so recovery happens in seconds; the same for the test's app and its workers.
FAST = {
    "JOB_HEARTBEAT_INTERVAL": 0.3,
    "JOB_STALE_AFTER": 2,
    "JOB_PROGRESS_INTERVAL": 0.2,
    "JOB_REAPER_INTERVAL": 1,
    "JOB_SWEEP_INTERVAL": 1,
    "JOB_ENQUEUE_GRACE": 1,
    "WORKER_MAINTENANCE_INTERVAL": 5,
}
WORKER_ENV = {**PLUGIN_ENV, **FAST}


def job_row(app, job_id):
    from webapp.models import BackgroundJob

    with app.app_context():
        row = db.session.get(BackgroundJob, job_id)
        db.session.expunge_all()
        db.session.remove()
    return row


def wait_for_status(app, job_id, statuses=("completed", "failed"), timeout=30, worker=None):
    from tests.support.processes import wait_for

    def reached():
        row = job_row(app, job_id)
        return row if row.status in statuses else None

    try:
        return wait_for(reached, timeout=timeout, interval=0.1, message=f"job {job_id} to reach {statuses}")
    except AssertionError:
        if worker is not None:
            print(worker.output())
        raise


@tracked
def fails_first(run):
    """Fails its first attempt only (and has no retries): a failed row to retry by hand."""
    if run.attempt == 1:
        raise ValueError("the first attempt always fails")
    return {"attempt": run.attempt}


queues.register("test.fails_first", queues.JobSpec("tests.support.jobs.fails_first",
                                                       queue="default", label="Fails once"))


@tracked
def sleepy(run):
    time.sleep(run.payload.get("seconds", 5))
    return {"slept": True}


@tracked
def unstorable(run):
    return {"when": object()}  # not JSON: the result cannot be stored


queues.register("test.sleepy", queues.JobSpec("tests.support.jobs.sleepy", queue="high",
                                                  timeout=1, label="Sleepy"))
queues.register("test.unstorable", queues.JobSpec("tests.support.jobs.unstorable",
                                                      queue="high", label="Unstorable"))
