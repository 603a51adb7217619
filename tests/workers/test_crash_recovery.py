"""A worker killed mid-job loses nothing and does nothing twice."""
import os
import signal

import pytest
from sqlalchemy import func, select

from tests.factories import make_codes
from tests.support import jobs as test_jobs
from tests.support.auth import user_id
from tests.support.jobs import WORKER_ENV, chunk_runs_key, job_row, wait_for_status
from tests.support.processes import wait_for
from webapp.extensions import db
from webapp.models import ScanEvent
from webapp.services.jobs import queues

pytestmark = [pytest.mark.slow, pytest.mark.settings(test_jobs.FAST)]

ITEMS, CHUNK = 300, 10


@pytest.fixture
def chunked_job(app, auth):
    auth.signup()
    owner = user_id(app)
    code_id = make_codes(app, owner, 1)[0]
    with app.app_context():
        row = queues.submit("test.chunks", workspace_id=owner,
                              payload={"code_id": code_id, "items": ITEMS, "chunk": CHUNK, "pause": 0.1})
        return row.id


def wait_for_progress(app, job_id, done, worker):
    return wait_for(lambda: (row := job_row(app, job_id)).progress_done >= done and row, timeout=30,
                    message=f"job to pass {done} items\n{worker.output()}")


def items_written(app):
    with app.app_context():
        total, distinct = db.session.execute(
            select(func.count(ScanEvent.id), func.count(ScanEvent.referrer.distinct()))).one()
        db.session.remove()
    return total, distinct


def test_job_of_a_killed_worker_completes_on_a_new_one_with_every_item_once(
        app, redis, worker_process, chunked_job):
    first = worker_process(**WORKER_ENV)
    wait_for_progress(app, chunked_job, ITEMS // 4, first)

    first.kill()  # kill -9 of the worker, its work horse and its schedulers
    stuck = job_row(app, chunked_job)
    assert stuck.status == "processing" and stuck.attempts == 1
    assert 0 < stuck.progress_done < ITEMS

    second = worker_process(**WORKER_ENV)
    row = wait_for_status(app, chunked_job, timeout=45, worker=second)

    assert row.status == "completed", second.output()
    assert row.attempts == 2
    assert row.progress_done == ITEMS and row.percent == 100
    assert items_written(app) == (ITEMS, ITEMS)
    # It resumed from its checkpoint: at most the chunk in flight at the kill ran twice.
    assert ITEMS // CHUNK <= int(redis.get(chunk_runs_key(chunked_job))) <= ITEMS // CHUNK + 1
    assert "periodic jobs.reap done" in second.output()
    assert "'requeued': 1" in second.output()


def test_killed_work_horse_is_retried_by_its_worker_after_the_backoff(
        app, redis, worker_process, chunked_job):
    worker = worker_process(**WORKER_ENV)
    running = wait_for_progress(app, chunked_job, ITEMS // 4, worker)
    horse = int(running.claimed_by.rsplit(":", 1)[1])
    assert horse != worker.proc.pid

    os.kill(horse, signal.SIGKILL)

    # RQ's hook in the worker mirrors the death at once; RQ schedules the retry.
    row = wait_for_status(app, chunked_job, timeout=30, worker=worker)
    assert row.status == "completed", worker.output()
    assert "was killed (signal 9). The row is now pending." in worker.output()
    assert row.attempts == 2
    assert items_written(app) == (ITEMS, ITEMS)
    assert int(redis.get(chunk_runs_key(chunked_job))) <= ITEMS // CHUNK + 1
