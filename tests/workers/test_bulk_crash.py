"""kill -9 of a real worker in the middle of a bulk job: the job completes, every row once."""
import pytest
from sqlalchemy import func, select

from tests.factories import api_key
from tests.support import jobs as test_jobs
from tests.support.auth import user_id
from tests.support.bulk import (
    csv_file,
    dynamic_rows,
    read_csv,
    result_files,
    titles_made_more_than_once,
    upload,
    zip_entries,
)
from tests.support.jobs import WORKER_ENV, job_row, wait_for_status
from tests.support.processes import wait_for
from webapp.extensions import db
from webapp.models import QrCode

ROWS, CHUNK = 5000, 250
ENV = {**WORKER_ENV, "BULK_CHUNK_ROWS": CHUNK}

pytestmark = [pytest.mark.slow, pytest.mark.settings(test_jobs.FAST, BULK_CHUNK_ROWS=CHUNK)]


def test_bulk_job_of_a_killed_worker_completes_on_a_new_one_with_every_row_once(
        app, client, auth, worker_process):
    auth.signup()
    owner = user_id(app)
    headers = api_key(app)
    response = upload(client, csv_file(dynamic_rows(ROWS)), headers, format="svg")
    assert response.status_code == 202
    job_id = response.json["job_id"]

    first = worker_process(**ENV)
    wait_for(lambda: job_row(app, job_id).progress_done >= ROWS // 5, timeout=180, interval=0.05,
             message=f"the job to pass {ROWS // 5} rows\n{first.output()}")
    first.kill()  # kill -9 of the worker, its work horse and its schedulers
    stuck = job_row(app, job_id)
    assert stuck.status == "processing" and stuck.attempts == 1
    assert 0 < stuck.progress_done < ROWS

    second = worker_process(**ENV)
    row = wait_for_status(app, job_id, timeout=240, worker=second)

    assert row.status == "completed", second.output()
    assert row.attempts == 2 and row.progress_done == ROWS
    assert row.result["created"] == ROWS and row.result["failed"] == 0
    with app.app_context():
        count, distinct_titles, distinct_keys = db.session.execute(
            select(func.count(), func.count(QrCode.title.distinct()),
                   func.count(QrCode.import_key.distinct())).where(QrCode.workspace_id == owner)).one()
        db.session.remove()
    assert (count, distinct_titles, distinct_keys) == (ROWS, ROWS, ROWS)
    assert titles_made_more_than_once(app, owner) == []
    job = client.get(f"/api/jobs/{job_id}", headers=headers).json
    files = result_files(client, job)
    made = read_csv(files["csv"])
    assert sorted(int(r["line"]) for r in made) == list(range(2, ROWS + 2))
    assert len(zip_entries(files["zip"])) == ROWS
