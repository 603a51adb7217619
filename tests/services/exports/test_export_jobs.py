"""Exports: the API starts a job on `low`, the file is downloaded from the jobs page."""
import csv
import io

import pytest

from tests.factories import api_key, make_codes
from tests.support.auth import user_id
from tests.support.jobs import job_row
from webapp.extensions import db
from webapp.infra.storage import get_storage
from webapp.models import BackgroundJob, ScanEvent
from webapp.services.csvfiles import writer
from webapp.services.exports.export_jobs import _codes_after, code_row
from webapp.services.jobs import files

pytestmark = pytest.mark.settings(EXPORT_CHUNK_ROWS=3, BULK_CHUNK_ROWS=3)


def start(client, headers, **body):
    return client.post("/api/exports", json=body, headers=headers)


def read_csv(response):
    raw = response.get_data()
    assert raw.startswith(writer.BOM)
    return list(csv.DictReader(io.StringIO(raw[len(writer.BOM):].decode("utf-8"))))


def test_codes_export_runs_on_low_and_downloads_every_code_once(app, client, owner, redis, run_jobs):
    headers = api_key(app)
    make_codes(app, owner, 10)

    response = start(client, headers, what="codes")

    assert response.status_code == 202
    job_id = response.json["job_id"]
    assert redis.lrange("rq:queue:low", 0, -1) == [job_id.encode()]
    assert client.get(f"/api/jobs/{job_id}", headers=headers).json["status"] == "pending"
    assert run_jobs() == 1

    job = client.get(f"/api/jobs/{job_id}", headers=headers).json
    assert job["status"] == "completed" and job["attempts"] == 1
    assert job["progress"] == {"done": 10, "total": 10, "percent": 100}
    assert job["result"]["rows"] == 10
    [file] = job["result"]["files"]
    assert file["filename"].startswith("scanlink-codes-") and file["filename"].endswith(".csv")
    download = client.get(file["url"])
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    rows = read_csv(download)
    assert sorted(row["title"] for row in rows) == sorted(f"Code {n}" for n in range(10))
    assert rows[0]["scan_url"].endswith(f"/s/{rows[0]['slug']}")
    # Four chunks of at most three were joined; the parts are gone.
    storage = get_storage(app)
    assert job_row(app, job_id).checkpoint["parts"] == 4
    assert not any(storage.exists(files.part_key(job_id, "codes", n)) for n in range(4))


def test_cells_that_would_run_as_formulas_are_escaped(app, client, owner, run_jobs):
    make_codes(app, owner, 1, title="=HYPERLINK(\"http://evil.example\",\"win\")")
    headers = api_key(app)
    job_id = start(client, headers, what="codes").json["job_id"]
    run_jobs()
    [row] = read_csv(client.get(f"/jobs/{job_id}/files/csv"))
    assert row["title"] == "'=HYPERLINK(\"http://evil.example\",\"win\")"


def test_scans_export_lists_the_scans_of_my_codes_only(app, client, auth, owner, run_jobs):
    mine = make_codes(app, owner, 2)
    auth.logout()
    auth.signup(email="eve@example.com")
    theirs = make_codes(app, user_id(app, "eve@example.com"), 1, title="Eve {n}")
    with app.app_context():
        db.session.add_all([ScanEvent(qr_code_id=code, referrer="https://news.example/")
                            for code in mine * 4 + theirs * 3])
        db.session.commit()
    auth.logout()
    auth.login()
    headers = api_key(app)

    job_id = start(client, headers, what="scans", format="csv").json["job_id"]
    run_jobs()

    rows = read_csv(client.get(f"/jobs/{job_id}/files/csv"))
    assert len(rows) == 8
    assert {row["code_id"] for row in rows} == set(mine)
    assert rows[0]["referrer"] == "https://news.example/" and rows[0]["is_bot"] == "false"


def test_export_resumes_after_its_last_committed_chunk(app, client, owner, redis, run_jobs):
    """As after a crash: chunk 0 is on disk and in the checkpoint; the rerun does the rest."""
    codes = make_codes(app, owner, 7)
    headers = api_key(app)
    job_id = start(client, headers, what="codes").json["job_id"]
    with app.app_context():
        row = db.session.get(BackgroundJob, job_id)
        chunk = _codes_after(owner, None, 3)
        files.put_part(job_id, "codes", 0, writer.encode_rows(
            [code_row(code, "http://resumed.example", 0) for code in chunk]))
        row.checkpoint = {"parts": 1, "done": 3,
                          "after": [chunk[-1].created_at.isoformat(), chunk[-1].id]}
        db.session.commit()
        db.session.remove()

    run_jobs()

    rows = read_csv(client.get(f"/jobs/{job_id}/files/csv"))
    assert sorted(row["id"] for row in rows) == sorted(codes)
    # The first three came from the part written before the "crash", not from a redo.
    assert [row["scan_url"].split("/s/")[0] for row in rows[:3]] == ["http://resumed.example"] * 3
    assert job_row(app, job_id).progress_done == 7


@pytest.mark.parametrize("body, field", [
    ({"what": "images", "format": "gif"}, "format"),
    ({"what": "codes", "format": "xlsx"}, "format"),
    ({"what": "everything"}, "what"),
    ({"what": "codes", "extra": 1}, "extra"),
])
def test_bad_export_requests_are_refused_clearly(app, client, owner, redis, body, field):
    response = start(client, api_key(app), **body)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert redis.llen("rq:queue:low") == 0


def test_images_export_is_a_zip_of_every_code_in_the_chosen_format(app, client, owner, run_jobs):
    from tests.support.bulk import zip_entries
    from tests.support.qrcodes import decode_png

    make_codes(app, owner, 7)
    headers = api_key(app)
    response = start(client, headers, what="images", format="png")
    assert response.status_code == 202
    run_jobs()

    job = client.get(f"/api/jobs/{response.json['job_id']}", headers=headers).json
    assert job["status"] == "completed" and job["result"]["rows"] == 7
    [file] = job["result"]["files"]
    assert file["filename"].endswith("-png.zip")
    images = zip_entries(client.get(file["url"]).get_data())
    assert sorted(images) == sorted(f"code-{n}-s{owner}x{n}.png" for n in range(7))
    assert decode_png(images[f"code-3-s{owner}x3.png"]) == [f"http://127.0.0.1:5000/s/s{owner}x3"]
    assert job_row(app, job["id"]).checkpoint["parts"] == 3  # chunks of three


def test_another_users_job_and_files_are_404(app, client, auth, owner, run_jobs):
    make_codes(app, owner, 1)
    job_id = start(client, api_key(app), what="codes").json["job_id"]
    run_jobs()
    auth.logout()
    auth.signup(email="eve@example.com")
    assert client.get(f"/jobs/{job_id}/files/csv").status_code == 404
    assert client.get(f"/api/jobs/{job_id}", headers=api_key(app, "eve@example.com")).status_code == 404
    assert client.get(f"/jobs/{job_id}/card").status_code == 404


def test_images_export_started_from_the_jobs_page(app, client, owner, auth, run_jobs):
    make_codes(app, owner, 2)
    token = auth.token("/jobs/")
    page = client.get("/jobs/").get_data(as_text=True)
    assert "Export my codes as images (ZIP)" in page
    response = client.post("/jobs/exports", data={"what": "images", "format": "svg",
                                                  "csrf_token": token},
                           headers={"HX-Request": "true"})
    assert response.status_code == 202
    assert "Export of your codes as images (ZIP)" in response.get_data(as_text=True)
    run_jobs()
    assert "-svg.zip" in client.get("/jobs/").get_data(as_text=True)
