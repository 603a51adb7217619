from webapp.extensions import db
from webapp.models import BackgroundJob


def test_job_from_a_request_runs_in_a_real_worker(client, auth, app, run_jobs, redis):
    auth.signup()
    token = auth.token("/")
    response = client.post("/jobs/worker-check", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 202
    assert "Waiting for the worker" in response.get_data(as_text=True)
    with app.app_context():
        job = db.session.query(BackgroundJob).one()
        assert job.status == "pending" and job.rq_job_id == job.id
        job_id = job.id
    assert redis.llen("rq:queue:high") == 1

    assert run_jobs() == 1

    with app.app_context():
        job = db.session.get(BackgroundJob, job_id)
        assert job.status == "completed"
        assert job.attempts == 1
        assert job.result["pid"] > 0
    fragment = client.get(f"/jobs/{job_id}/worker-check", headers={"HX-Request": "true"})
    assert "The worker answered" in fragment.get_data(as_text=True)


def test_another_users_job_is_404(client, auth, app, run_jobs):
    auth.signup()
    token = auth.token("/")
    client.post("/jobs/worker-check", headers={"X-CSRFToken": token})
    with app.app_context():
        job_id = db.session.query(BackgroundJob).one().id
    auth.logout()
    auth.signup(email="eve@example.com")
    assert client.get(f"/jobs/{job_id}/worker-check").status_code == 404


def test_a_real_worker_process_runs_the_job_in_a_forked_horse(client, auth, app, worker_process):
    from tests.support.processes import wait_for

    auth.signup()
    token = auth.token("/")
    client.post("/jobs/worker-check", headers={"X-CSRFToken": token})
    with app.app_context():
        job_id = db.session.query(BackgroundJob).one().id
    worker = worker_process()

    def finished():
        with app.app_context():
            job = db.session.get(BackgroundJob, job_id)
            db.session.remove()
            return job if job.status in ("completed", "failed") else None

    job = wait_for(finished, timeout=30, message="the worker to finish the job")
    assert job.status == "completed", worker.output()
    assert job.result["pid"] != worker.proc.pid  # ran in the forked work horse
