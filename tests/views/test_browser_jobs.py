"""The jobs page in Chromium: live progress that stops polling when the job ends."""
import time

import pytest
from playwright.sync_api import expect

from tests.factories import make_codes
from tests.support import browser
from tests.support import jobs as test_jobs
from tests.support.auth import user_id
from tests.support.jobs import WORKER_ENV
from webapp.services.jobs import queues

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.settings(test_jobs.FAST)]


def log_in(page, auth, app):
    auth.signup()
    browser.log_in(page)
    return user_id(app)


def test_progress_bar_fills_to_100_and_polling_stops(page, auth, app, worker_process):
    owner = log_in(page, auth, app)
    code_id = make_codes(app, owner, 1)[0]
    with app.app_context():
        job_id = queues.submit("test.chunks", workspace_id=owner, payload={
            "code_id": code_id, "items": 80, "chunk": 4, "pause": 0.2}).id
    polls = []
    page.on("request", lambda request: polls.append(time.monotonic())
            if f"/jobs/{job_id}/card" in request.url else None)

    page.get_by_role("link", name="Jobs").click()
    card = page.locator(f"#job-{job_id}")
    expect(card.get_by_text("Chunked test job")).to_be_visible()
    worker_process(**WORKER_ENV)

    page.wait_for_function(
        f"() => {{ const p = document.querySelector('#job-{job_id} progress');"
        " return p && p.value > 0 && p.value < 100; }", timeout=20000)
    bar = card.locator("progress")
    expect(bar).to_have_attribute("value", "100", timeout=30000)
    expect(card.get_by_text("Done", exact=True)).to_be_visible()
    expect(card.get_by_text("100% · 80 done")).to_be_visible()

    finished_polls = len(polls)
    page.wait_for_timeout(2500)  # more than two polling periods
    assert len(polls) == finished_polls, "the page kept polling a finished job"
    assert finished_polls >= 2


def test_export_started_from_the_page_is_downloaded_from_it(page, auth, app, worker_process, tmp_path):
    owner = log_in(page, auth, app)
    make_codes(app, owner, 5)
    worker_process(**WORKER_ENV)
    page.goto("/jobs/")
    expect(page.get_by_text("No jobs yet")).to_be_visible()

    page.get_by_role("button", name="Export my codes (CSV)").click()

    card = page.locator(".job").first
    expect(card.get_by_text("Export of your codes (CSV)")).to_be_visible()
    expect(page.get_by_text("No jobs yet")).to_be_hidden()
    expect(card.locator("progress")).to_have_attribute("value", "100", timeout=30000)
    with page.expect_download() as download_info:
        card.get_by_role("link", name="Download").click()
    path = tmp_path / "codes.csv"
    download_info.value.save_as(path)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("id,slug,kind,title") and len(lines) == 6
