"""Files jobs make: parts joined into one file, and deleted after their retention."""
import io
import zipfile
from datetime import timedelta

from tests.factories import api_key, make_codes, make_job
from tests.support.jobs import job_row
from webapp.extensions import db
from webapp.infra.storage import get_storage
from webapp.models import BackgroundJob
from webapp.models.base import utcnow
from webapp.services.jobs import files, periodic


def part_zip(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_part_zips_join_into_one_zip_with_every_entry(app):
    with app.app_context():
        files.put_part("J1", "codes", 0, part_zip({"a.png": b"A" * 1000, "b.png": b"B"}))
        files.put_part("J1", "codes", 1, part_zip({"c.png": b"C" * 5000}))
        entry = files.join_zip_parts("J1", "codes", 2, "codes.zip")
        db.session.commit()  # the parts are deleted once the row recording the file commits
        data = get_storage().get(entry["key"])
        assert not get_storage().exists(files.part_key("J1", "codes", 0))
    with zipfile.ZipFile(io.BytesIO(data)) as joined:
        assert sorted(joined.namelist()) == ["a.png", "b.png", "c.png"]
        assert joined.read("c.png") == b"C" * 5000
    assert entry["bytes"] == len(data) and entry["content_type"] == "application/zip"


def test_files_of_old_jobs_are_purged_and_the_page_says_so(app, client, owner, run_jobs):
    make_codes(app, owner, 2)
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


def test_row_errors_survive_a_resume_and_list_each_refused_row_once(app):
    from webapp.services.bulk.row_errors import RowErrors

    columns = ["target_url", "title"]
    with app.app_context():
        first = RowErrors("J2", columns)
        first.add(3, "target_url: not a web address", {"target_url": "nope", "title": "A"})
        state = first.end_chunk()  # chunk 1 committed with this state
        second_chunk = RowErrors("J2", columns, state=state)
        second_chunk.add(9, "title: too long", {"target_url": "https://x.example", "title": "=B"})
        second_chunk.end_chunk()  # ... and the run dies before committing chunk 2

        resumed = RowErrors("J2", columns, state=state)  # the rerun starts from chunk 1's state
        resumed.add(9, "title: too long", {"target_url": "https://x.example", "title": "=B"})
        resumed.end_chunk()
        summary = resumed.finish()
        db.session.commit()
        data = get_storage().get(summary["key"]).decode("utf-8-sig")

    assert summary["count"] == 2 and [s["line"] for s in summary["sample"]] == [3, 9]
    assert data.splitlines() == ["line,error,target_url,title",
                                 "3,target_url: not a web address,nope,A",
                                 "9,title: too long,https://x.example,'=B"]


def test_the_errors_file_is_linked_from_the_page_and_the_api(app, client, owner):
    from webapp.services.bulk.row_errors import RowErrors

    with app.app_context():
        row = make_job(owner, "exports.codes", finished_at=utcnow())
        errors = RowErrors(row.id, ["title"])
        errors.add(2, "title: missing", {"title": ""})
        row.row_errors = errors.finish()
        db.session.commit()
        job_id = row.id
        db.session.remove()

    job = client.get(f"/api/jobs/{job_id}").json
    assert job["errors"]["count"] == 1 and job["errors"]["sample"] == [{"line": 2, "message": "title: missing"}]
    assert job["errors"]["url"] == f"/api/jobs/{job_id}/files/errors"
    page = client.get("/jobs/").get_data(as_text=True)
    assert "1 row could not be used." in page and "Download the rows with errors (CSV)" in page
    download = client.get(job["errors"]["url"])
    assert download.status_code == 200
    assert download.get_data().decode("utf-8-sig").splitlines()[1] == "2,title: missing,"
