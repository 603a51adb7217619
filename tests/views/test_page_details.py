"""Small things pages got wrong (issue 19): a doubled charset on job files, a form field
with autocomplete="None", "100% · 0 done" on a job that counts no rows, and a static
code's analytics page showing a /s/ link that does not exist."""
from tests.factories import make_job
from tests.support import site_pages
from webapp.extensions import db
from webapp.models.base import utcnow


def test_a_job_file_is_sent_with_one_charset(app, client, auth):
    site = site_pages.seed(app)
    auth.login(site.email)
    for path in (f"/jobs/{site.job_id}/files/csv",):
        answer = client.get(path)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_no_page_has_a_field_with_autocomplete_none(app, client, auth):
    site = site_pages.seed(app)
    visitor = ["/login", "/signup", "/forgot-password", f"/reset-password/{site.reset_token}"]
    member = ["/account/", "/codes/new", f"/codes/{site.code_id}", "/workspace",
              "/workspaces/new", "/webhooks/"]
    for path in [*visitor, None, *member]:
        if path is None:
            auth.login(site.email)
            continue
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert b'autocomplete="None"' not in answer.data, path


def test_a_finished_job_that_counts_no_rows_says_finished(app, client, auth):
    site = site_pages.seed(app)
    with app.app_context():
        job = make_job(site.workspace_id, "images.optimise", started_at=utcnow(),
                       finished_at=utcnow(), progress_done=0)
        counted = make_job(site.workspace_id, "bulk.create", started_at=utcnow(),
                           finished_at=utcnow(), progress_done=1200, progress_total=1200)
        db.session.commit()
        job_id, counted_id = job.id, counted.id
    auth.login(site.email)
    card = client.get(f"/jobs/{job_id}/card").get_data(as_text=True)
    assert "Finished" in card and "0 done" not in card
    assert "100% · 1,200 done" in client.get(f"/jobs/{counted_id}/card").get_data(as_text=True)


def test_a_static_codes_analytics_shows_no_scan_link(app, client, auth):
    site = site_pages.seed(app)
    auth.login(site.email)
    static = client.get(f"/codes/{site.static_code_id}/analytics").get_data(as_text=True)
    assert "/s/" not in static and "no scans are counted" in static
    dynamic = client.get(f"/codes/{site.code_id}/analytics").get_data(as_text=True)
    assert f"/s/{site.slug}</code>" in dynamic
