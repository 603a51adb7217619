"""Files jobs make: parts joined into one file, and deleted after their retention."""
import io
import zipfile
from datetime import timedelta

import pytest

from webapp import periodic
from webapp.extensions import db
from webapp.models import BackgroundJob
from webapp.models.base import utcnow
from webapp.services import job_files
from webapp.storage import get_storage

from .support import jobs as test_jobs
from .support.jobs import api_key, job_row


def part_zip(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_part_zips_join_into_one_zip_with_every_entry(app):
    with app.app_context():
        job_files.put_part("J1", "codes", 0, part_zip({"a.png": b"A" * 1000, "b.png": b"B"}))
        job_files.put_part("J1", "codes", 1, part_zip({"c.png": b"C" * 5000}))
        entry = job_files.join_zip_parts("J1", "codes", 2, "codes.zip")
        db.session.commit()  # the parts are deleted once the row recording the file commits
        data = get_storage().get(entry["key"])
        assert not get_storage().exists(job_files.part_key("J1", "codes", 0))
    with zipfile.ZipFile(io.BytesIO(data)) as joined:
        assert sorted(joined.namelist()) == ["a.png", "b.png", "c.png"]
        assert joined.read("c.png") == b"C" * 5000
    assert entry["bytes"] == len(data) and entry["content_type"] == "application/zip"


@pytest.fixture
def owner(app, auth):
    auth.signup()
    return test_jobs.user_id(app)


def test_files_of_old_jobs_are_purged_and_the_page_says_so(app, client, owner, run_jobs):
    test_jobs.make_codes(app, owner, 2)
    old = client.post("/api/exports", json={"what": "codes"}, headers=api_key(app)).json["job_id"]
    recent = client.post("/api/exports", json={"what": "codes"}, headers=api_key(app)).json["job_id"]
    run_jobs()
    with app.app_context():
        db.session.get(BackgroundJob, old).finished_at = utcnow() - timedelta(days=8)
        db.session.commit()
        assert periodic.run_task("jobs.purge_files") == {"purged": 1}
        db.session.commit()
        kept = job_row(app, recent).files["csv"]["key"]
        assert get_storage().exists(kept)

    row = job_row(app, old)
    assert row.result["files"] == {} and row.result["files_expired"] is True
    response = client.get(f"/jobs/{old}/files/csv")
    assert response.status_code == 404 and "has been deleted" in response.get_data(as_text=True)
    assert "files of this job have been deleted" in client.get("/jobs/").get_data(as_text=True)
    assert client.get(f"/jobs/{recent}/files/csv").status_code == 200
