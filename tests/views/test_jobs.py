"""The jobs page: cards that poll until the job ends, cancel, retry, downloads."""
import pytest

from tests.factories import make_codes
from tests.support import jobs as test_jobs
from tests.support.jobs import WORKER_ENV, job_row, wait_for_status
from tests.support.processes import wait_for
from webapp.services.jobs import queues

HX = {"HX-Request": "true"}


pytestmark = pytest.mark.settings(test_jobs.FAST)


def post(client, auth, path, **headers):
    return client.post(path, headers={**HX, "X-CSRFToken": auth.token("/jobs/"), **headers})


def submit(app, job_type, owner, **payload):
    with app.app_context():
        return queues.submit(job_type, workspace_id=owner, payload=payload).id


def test_export_from_the_page_polls_until_done_then_stops(app, client, auth, owner, run_jobs):
    make_codes(app, owner, 3)
    page = client.get("/jobs/").get_data(as_text=True)
    assert "No jobs yet" in page and 'href="/jobs/"' in page  # and the nav links here

    started = client.post("/jobs/exports", data={"what": "codes", "csrf_token": auth.token("/jobs/")},
                          headers=HX)
    assert started.status_code == 202
    card = started.get_data(as_text=True)
    assert "Export of your codes (CSV)" in card and 'hx-trigger="every 1s"' in card
    job_id = job_row_id(app, owner)

    assert run_jobs() == 1
    done = client.get(f"/jobs/{job_id}/card?poll=1", headers=HX)
    assert done.status_code == 286  # htmx stops polling on 286
    html = done.get_data(as_text=True)
    assert "hx-trigger" not in html and 'value="100"' in html and "Done" in html
    assert f"/jobs/{job_id}/files/csv" in html
    assert client.get(f"/jobs/{job_id}/files/csv").status_code == 200


def scan_events(app):
    from webapp.extensions import db
    from webapp.models import ScanEvent

    with app.app_context():
        count = db.session.query(ScanEvent).count()
        db.session.remove()
    return count


def job_row_id(app, owner):
    from webapp.extensions import db
    from webapp.models import BackgroundJob

    with app.app_context():
        job_id = db.session.query(BackgroundJob.id).filter_by(workspace_id=owner).scalar()
        db.session.remove()
    return job_id


def test_cancelling_a_pending_job_takes_it_off_the_queue(app, client, auth, owner, redis):
    job_id = submit(app, "exports.codes", owner)
    assert redis.llen("rq:queue:low") == 1

    response = post(client, auth, f"/jobs/{job_id}/cancel")

    assert response.status_code == 200
    assert "Cancelled" in response.get_data(as_text=True)
    row = job_row(app, job_id)
    assert row.status == "failed" and row.cancel_requested_at and row.error == "Cancelled before it started."
    assert redis.llen("rq:queue:low") == 0
    assert redis.zscore("rq:canceled:low", job_id) is not None
    again = post(client, auth, f"/jobs/{job_id}/cancel")
    assert again.status_code == 409 and "already finished" in again.get_data(as_text=True)


@pytest.mark.slow
def test_cancelling_a_running_job_stops_it_between_chunks(app, client, auth, owner, worker_process):
    code_id = make_codes(app, owner, 1)[0]
    job_id = submit(app, "test.chunks", owner, code_id=code_id, items=400, chunk=10, pause=0.1)
    worker = worker_process(**WORKER_ENV)
    wait_for(lambda: job_row(app, job_id).progress_done >= 20, timeout=20, message="the job to start")

    assert post(client, auth, f"/jobs/{job_id}/cancel").status_code == 200
    assert "Cancelling" in client.get(f"/jobs/{job_id}/card", headers=HX).get_data(as_text=True)

    row = wait_for_status(app, job_id, worker=worker)
    assert row.status == "failed"
    assert 20 <= row.progress_done < 400
    assert row.error == f"Cancelled after {row.progress_done:,} done."
    assert row.attempts == 1  # cancelled, not retried
    # It stopped at a chunk boundary: the work kept is exactly what the row says is done.
    assert scan_events(app) == row.progress_done


def test_retrying_a_failed_job_runs_the_same_row_again(app, client, auth, owner, redis, run_jobs):
    job_id = submit(app, "test.fails_first", owner)
    run_jobs()
    failed = job_row(app, job_id)
    assert failed.status == "failed" and "the first attempt always fails" in failed.error

    response = post(client, auth, f"/jobs/{job_id}/retry")

    assert response.status_code == 200 and "Waiting" in response.get_data(as_text=True)
    assert redis.lrange("rq:queue:default", 0, -1) == [job_id.encode()]
    assert redis.zscore("rq:failed:default", job_id) is None  # RQ no longer lists it as failed
    assert run_jobs() == 1
    row = job_row(app, job_id)
    assert (row.status, row.attempts, row.max_attempts, row.result) == ("completed", 2, 2, {"attempt": 2})
    assert post(client, auth, f"/jobs/{job_id}/retry").status_code == 409


def test_cancel_and_retry_without_htmx_redirect_back_to_the_page(app, client, auth, owner):
    job_id = submit(app, "exports.codes", owner)
    response = client.post(f"/jobs/{job_id}/cancel", data={"csrf_token": auth.token("/jobs/")})
    assert response.status_code == 302 and response.headers["Location"].endswith("/jobs/")
    assert job_row(app, job_id).status == "failed"


def test_another_users_job_cannot_be_cancelled_or_retried(app, client, auth, owner):
    job_id = submit(app, "exports.codes", owner)
    auth.logout()
    auth.signup(email="eve@example.com")
    assert post(client, auth, f"/jobs/{job_id}/cancel").status_code == 404
    assert post(client, auth, f"/jobs/{job_id}/retry").status_code == 404
    assert job_row(app, job_id).status == "pending"
    assert job_id not in client.get("/jobs/").get_data(as_text=True)


def test_cancelling_a_job_waiting_for_its_retry_takes_it_off_the_schedule(app, client, auth, owner,
                                                                           redis, run_jobs):
    job_id = submit(app, "test.flaky", owner, fail_times=1)
    run_jobs()  # attempt 1 fails; RQ schedules the retry for later
    assert job_row(app, job_id).status == "pending"
    assert redis.zscore("rq:scheduled:high", job_id) is not None

    assert post(client, auth, f"/jobs/{job_id}/cancel").status_code == 200

    assert job_row(app, job_id).status == "failed"
    assert redis.zscore("rq:scheduled:high", job_id) is None
