"""A bulk job shared by two real workers. One of them killed (kill -9) mid-job: the other
finishes it, every row made once, one error report, progress at 100%, one audit entry.
Cancelled: both stop, and what the row says was done is exactly what was kept."""
import pytest
from rq import Worker
from sqlalchemy import func, select

from tests.factories import api_key
from tests.support import jobs as test_jobs
from tests.support.auth import user_id
from tests.support.bulk import (
    csv_file,
    read_csv,
    result_files,
    titles_made_more_than_once,
    upload,
    zip_entries,
)
from tests.support.jobs import WORKER_ENV, job_row, wait_for_status
from tests.support.processes import descendants, wait_for
from webapp.extensions import db
from webapp.models import AuditEntry, JobChunk, QrCode
from webapp.services.jobs import owned
from webapp.services.jobs.queues import queue

ROWS, CHUNK = 1600, 50
BAD = set(range(7, ROWS, 97))  # rows whose target is not a web address
ENV = {**WORKER_ENV, "BULK_CHUNK_ROWS": CHUNK}

pytestmark = [pytest.mark.slow, pytest.mark.settings(test_jobs.FAST, BULK_CHUNK_ROWS=CHUNK)]


def lines():
    return [f"{'not a url' if n in BAD else f'https://shop.example.com/p/{n}'},dynamic,P{n}"
            for n in range(ROWS)]


def claimers(app, job_id):
    """The processes (host:pid) that have claimed chunks of the job."""
    with app.app_context():
        found = set(db.session.scalars(select(JobChunk.claimed_by).distinct()
                                       .where(JobChunk.job_id == job_id,
                                              JobChunk.claimed_by.is_not(None))))
        db.session.remove()
    return found


def held_chunks(app, job_id):
    with app.app_context():
        held = db.session.scalar(select(func.count()).select_from(JobChunk).where(
            JobChunk.job_id == job_id, JobChunk.status == "claimed"))
        db.session.remove()
    return held


def holder(workers, pid):
    return next(worker for worker in workers if pid in descendants(worker.proc.pid))


@pytest.mark.timeout(400)
@pytest.mark.parametrize("killed", ["the job's own run", "a helper"])
def test_two_workers_share_a_bulk_job_and_one_killed_leaves_every_row_made_once(
        app, client, auth, redis, worker_process, killed):
    auth.signup()
    owner = user_id(app)
    headers = api_key(app)
    workers = [worker_process(**ENV), worker_process(**ENV)]
    wait_for(lambda: Worker.count(queue=queue("low", redis)) == 2, timeout=60,
             message="both workers to listen on low")
    response = upload(client, csv_file(lines()), headers, format="svg")
    assert response.status_code == 202, response.get_json()
    job_id = response.json["job_id"]

    # Both workers take chunks: the job's own run and a helper on the other worker.
    wait_for(lambda: len(claimers(app, job_id)) == 2 and job_row(app, job_id).progress_done >= ROWS // 5,
             timeout=180, interval=0.05, message="two workers to work on the job")
    running = job_row(app, job_id)
    assert running.status == "processing" and running.progress_done < ROWS
    run_pid = int(running.claimed_by.rsplit(":", 1)[1])
    helper_pid = next(int(c.rsplit(":", 1)[1]) for c in claimers(app, job_id) if c != running.claimed_by)
    victim = holder(workers, run_pid if killed == "the job's own run" else helper_pid)
    survivor = next(worker for worker in workers if worker is not victim)
    victim.kill()  # kill -9 of the worker, its work horse and its schedulers

    row = wait_for_status(app, job_id, timeout=240, worker=survivor)

    assert row.status == "completed", survivor.output()
    assert row.attempts == (2 if killed == "the job's own run" else 1)
    assert row.progress_done == ROWS and row.percent == 100
    good = ROWS - len(BAD)
    assert row.result["created"] == good and row.result["failed"] == len(BAD)
    assert row.row_errors["count"] == len(BAD)
    with app.app_context():
        count, distinct_keys = db.session.execute(
            select(func.count(), func.count(QrCode.import_key.distinct()))
            .where(QrCode.workspace_id == owner)).one()
        audit = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == job_id)).all()
        db.session.remove()
    assert (count, distinct_keys) == (good, good)
    assert titles_made_more_than_once(app, owner) == []
    assert audit == ["bulk.created"]
    job = client.get(f"/api/jobs/{job_id}", headers=headers).json
    files = result_files(client, job)
    assert sorted(files) == ["csv", "errors", "zip"]
    made = read_csv(files["csv"])
    assert sorted(int(r["line"]) for r in made) == [n + 2 for n in range(ROWS) if n not in BAD]
    assert len(zip_entries(files["zip"])) == good
    errors = read_csv(files["errors"])
    assert [int(e["line"]) for e in errors] == sorted(n + 2 for n in BAD)
    assert all(e["error"].startswith("target_url:") for e in errors)


@pytest.mark.timeout(300)
def test_a_shared_bulk_job_cancelled_stops_once_the_chunks_in_hand_are_kept(
        app, client, auth, redis, worker_process):
    auth.signup()
    owner = user_id(app)
    headers = api_key(app)
    workers = [worker_process(**ENV), worker_process(**ENV)]
    wait_for(lambda: Worker.count(queue=queue("low", redis)) == 2, timeout=60,
             message="both workers to listen on low")
    job_id = upload(client, csv_file(lines()), headers, format="svg").json["job_id"]
    wait_for(lambda: len(claimers(app, job_id)) == 2 and job_row(app, job_id).progress_done >= ROWS // 5,
             timeout=180, interval=0.05, message="two workers to work on the job")
    with app.app_context():
        owned.cancel(owner, job_id)
        db.session.commit()
        db.session.remove()

    row = wait_for_status(app, job_id, timeout=60, worker=workers[0])
    # A helper slow enough to look gone (its beat older than JOB_STALE_AFTER) may still be
    # in a chunk when the run stops; its work is refused at the commit and it lets go.
    wait_for(lambda: held_chunks(app, job_id) == 0, timeout=60, message="the helpers to let go")

    assert row.status == "failed" and row.attempts == 1, row.error
    assert ROWS // 5 <= row.progress_done < ROWS
    assert row.error == f"Cancelled after {row.progress_done:,} done."
    with app.app_context():
        done = db.session.execute(select(JobChunk.start, JobChunk.rows).where(
            JobChunk.job_id == job_id, JobChunk.status == "done")).all()
        keys = db.session.scalars(select(QrCode.import_key).where(QrCode.workspace_id == owner)).all()
        audit = db.session.scalars(select(AuditEntry).where(AuditEntry.object_id == job_id)).all()
        db.session.remove()
    # Exactly the done chunks' good rows were made, each once, and the row counts them all.
    kept = sorted(n for start, rows in done for n in range(start, start + rows) if n not in BAD)
    assert sorted(int(key.split(":")[1]) - 2 for key in keys) == kept
    assert sum(rows for _, rows in done) == row.progress_done
    assert [(entry.action, entry.changes["created"], entry.changes["rows_done"]) for entry in audit] == [
        ("bulk.created", len(kept), row.progress_done)]
