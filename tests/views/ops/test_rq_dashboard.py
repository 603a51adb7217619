"""/admin/rq: the RQ dashboard, for admins only, and nothing changes without our CSRF token."""
import pytest
from playwright.sync_api import expect
from rq.job import Job

from tests.factories import make_user
from tests.support.auth import PASSWORD
from tests.support.browser import log_in
from tests.support.processes import wait_for
from webapp.extensions import db
from webapp.services.jobs import queues


@pytest.fixture
def admin(app, auth):
    with app.app_context():
        make_user("root@example.com", password=PASSWORD, is_admin=True)
        db.session.commit()
        db.session.remove()
    auth.login("root@example.com")


@pytest.fixture
def failed_job(app, redis, run_jobs, monkeypatch):
    """A job RQ holds as failed (its function cannot be imported)."""
    monkeypatch.setitem(queues.JOB_TYPES, "test.unimportable",
                        queues.JobSpec("tests.nowhere.nothing", queue="high"))
    with app.app_context():
        job_id = queues.submit("test.unimportable").id
    run_jobs()
    assert redis.zscore("rq:failed:high", job_id) is not None
    return job_id


def is_failed(redis, job_id):
    return (redis.zscore("rq:failed:high", job_id) is not None
            and Job.fetch(job_id, connection=redis).get_status() == "failed"
            and redis.llen("rq:queue:high") == 0)


def test_admin_sees_the_dashboard_and_its_data(client, admin, failed_job):
    page = client.get("/admin/rq/")
    assert page.status_code == 200 and "RQ dashboard" in page.get_data(as_text=True)
    assert "_csrf_token=" in page.headers["Set-Cookie"]  # for the dashboard's own buttons
    assert client.get("/admin/rq").status_code in (301, 308)
    queues = client.get("/admin/rq/0/data/queues.json").json["queues"]
    assert {q["name"] for q in queues} >= {"high"}
    assert client.get("/admin/rq/0/data/workers.json").status_code == 200
    listing = client.get("/admin/rq/0/data/jobs/high/failed/8/asc/1.json").json
    assert [job["id"] for job in listing["jobs"]] == [failed_job]
    detail = client.get(f"/admin/rq/0/data/job/{failed_job}.json").json
    assert detail["status"] == "failed" and "nowhere" in detail["exc_info"]
    assert client.get(f"/admin/rq/0/view/job/{failed_job}").status_code == 200
    assert client.get("/admin/rq/0/view/workers").status_code == 200


def test_users_get_403_and_visitors_the_login_page(client, auth):
    response = client.get("/admin/rq/")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    auth.signup()
    assert client.get("/admin/rq/").status_code == 403
    assert client.get("/admin/rq/0/data/queues.json").status_code == 403
    assert "Queues" not in client.get("/").get_data(as_text=True)


def test_requeue_by_get_does_nothing(client, admin, redis, failed_job):
    response = client.get("/admin/rq/requeue/high")
    assert response.status_code == 405
    assert is_failed(redis, failed_job)


def test_state_changes_need_a_post_with_our_csrf_token(client, auth, admin, redis, failed_job):
    for path in (f"/admin/rq/job/{failed_job}/requeue", "/admin/rq/requeue/high",
                 f"/admin/rq/job/{failed_job}/delete", "/admin/rq/queue/high/failed/empty"):
        assert client.post(path).status_code == 400, path
        assert client.post(path, headers={"X-CSRFToken": "forged"}).status_code == 400, path
    assert is_failed(redis, failed_job)

    token = auth.token("/")
    response = client.post(f"/admin/rq/job/{failed_job}/requeue", headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.json["status"] == "OK"
    assert redis.lrange("rq:queue:high", 0, -1) == [failed_job.encode()]


def test_unexpected_dashboard_urls_are_404_not_500(client, admin):
    assert client.get("/admin/rq/0/view/job/no-such-job").status_code == 404
    assert client.get("/admin/rq/0/data/job/no-such-job.json").status_code == 404
    assert client.get("/admin/rq/5/view/queues").status_code == 404
    assert client.get("/admin/rq/0/data/jobs/high/bogus/8/asc/1.json").status_code == 404
    assert client.get("/admin/rq/0/data/jobs/high/failed/x/asc/1.json").status_code == 404


@pytest.mark.browser
def test_the_dashboards_own_requeue_button_works_with_our_token(page, app, redis, failed_job):
    with app.app_context():
        make_user("root@example.com", password=PASSWORD, is_admin=True)
        db.session.commit()
        db.session.remove()
    log_in(page, "root@example.com")
    page.get_by_role("link", name="Queues").click()
    expect(page.get_by_role("link", name="RQ-dashboard")).to_be_visible()

    page.goto("/admin/rq/0/view/jobs/high/failed/8/asc/1")
    page.locator("[data-role=requeue-job-btn]").first.click()

    wait_for(lambda: redis.llen("rq:queue:high") == 1, timeout=10, message="the requeue to land")
    assert redis.lrange("rq:queue:high", 0, -1) == [failed_job.encode()]
