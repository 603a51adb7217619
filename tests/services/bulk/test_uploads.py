"""Files a bulk upload refuses at once, through the API and the page: a clear 4xx, nothing queued."""
import pytest
from sqlalchemy import func, select

from tests.factories import api_key
from tests.support.bulk import csv_file, read_csv, result_files, upload
from webapp.extensions import db
from webapp.infra.storage import get_storage
from webapp.models import BackgroundJob

TEN_MB_LINE = b"target_url,kind,title\nhttps://a.example/," + b"x" * (10 * 1024 * 1024) + b",dynamic,x\n"
REFUSED = [
    ("wrong columns", b"url,type,name\nhttps://a.example,dynamic,x\n",
     "Missing column: target_url or content; kind"),
    ("empty", b"", "The file is empty."),
    ("header only", b"target_url,kind,title\n", "header line but no rows"),
    ("binary", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "This is a PNG image, not a CSV file"),
    ("xlsx", b"PK\x03\x04" + b"\x00" * 200, "Excel .xlsx workbook"),
    ("10 MB line", TEN_MB_LINE, "Line 2 is longer than 64 KB"),
    ("latin-1", "target_url,kind,title\nhttps://a.example/,dynamic,Caf\xe9\n".encode("latin-1"),
     "This file is not UTF-8: line 2 has the byte 0xE9"),
    ("broken quote", b'target_url,kind,title\nhttps://a.example/,dynamic,"open\n', "Line 2 cannot be read"),
]


def nothing_queued(app, redis):
    assert redis.llen("rq:queue:low") == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BackgroundJob)) == 0
        uploads = get_storage().root / "uploads"
        assert not uploads.exists() or not any(uploads.iterdir()), "a refused upload was kept"
        db.session.remove()


@pytest.mark.parametrize("name, data, message", REFUSED, ids=[r[0] for r in REFUSED])
def test_api_refuses_unusable_files_with_the_line_to_look_at(app, client, owner, redis, name, data,
                                                             message):
    response = upload(client, data, api_key(app))
    assert response.status_code == 422, response.get_json()
    error = response.json["error"]
    assert error["code"] == "invalid_csv" and message in error["message"]
    nothing_queued(app, redis)


@pytest.mark.parametrize("name, data, message", REFUSED[:2] + REFUSED[3:4] + REFUSED[6:7],
                         ids=["wrong columns", "empty", "binary", "latin-1"])
def test_page_shows_the_refusal_on_the_form(app, client, owner, redis, auth, name, data, message):
    token = auth.token("/codes/bulk/")
    response = upload(client, data, {"HX-Request": "true"}, path="/codes/bulk/create",
                      csrf_token=token, format="png", encoding="utf-8")
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#bulk-create"
    html = response.get_data(as_text=True)
    assert 'id="bulk-create"' in html and 'role="alert"' in html
    assert message.split(":")[0].replace('"', "&#34;") in html.replace("&#39;", "'")
    # Without htmx the whole page comes back with the message.
    plain = upload(client, data, path="/codes/bulk/create", csrf_token=token)
    assert plain.status_code == 422 and "<h1>Codes from a spreadsheet</h1>" in plain.get_data(as_text=True)
    nothing_queued(app, redis)


def test_missing_file_bad_format_and_bad_encoding_are_refused(app, client, owner, redis):
    headers = api_key(app)
    no_file = client.post("/api/bulk/qr-codes", data={"format": "png"}, headers=headers,
                          content_type="multipart/form-data")
    assert no_file.status_code == 400 and no_file.json["error"]["code"] == "no_file"
    assert client.post("/api/bulk/qr-codes", json={"file": "x"}, headers=headers).status_code == 400
    good = csv_file(["https://a.example/,dynamic,x"])
    bad_format = upload(client, good, headers, format="gif")
    assert bad_format.status_code == 422 and "format" in bad_format.json["error"]["fields"]
    bad_encoding = upload(client, good, headers, encoding="ebcdic")
    assert bad_encoding.status_code == 422 and "encoding" in bad_encoding.json["error"]["fields"]
    nothing_queued(app, redis)


@pytest.mark.settings(MAX_CONTENT_LENGTH=64 * 1024)
def test_too_big_an_upload_is_a_413(app, client, auth, redis):
    auth.signup()
    response = upload(client, csv_file(["https://a.example/,dynamic," + "x" * 1000] * 100),
                      api_key(app))
    assert response.status_code == 413 and response.json["error"]["code"] == "file_too_large"


def test_latin1_and_bom_files_are_read_right(app, client, owner, run_jobs):
    headers = api_key(app)
    latin = csv_file(["https://a.example/1,dynamic,Café crème"], encoding="latin-1")
    bom = csv_file(["https://a.example/2,dynamic,Crème brûlée"], bom=True)
    jobs = [upload(client, latin, headers, encoding="windows-1252").json["job_id"],
            upload(client, bom, headers).json["job_id"]]
    run_jobs()
    titles = []
    for job_id in jobs:
        job = client.get(f"/api/jobs/{job_id}", headers=headers).json
        assert job["status"] == "completed" and job["result"]["created"] == 1
        titles += [row["title"] for row in read_csv(result_files(client, job)["csv"])]
    assert titles == ["Café crème", "Crème brûlée"]


def test_page_upload_starts_a_job_whose_card_follows_it(app, client, owner, auth, run_jobs):
    token = auth.token("/codes/bulk/")
    page = client.get("/codes/bulk/").get_data(as_text=True)
    assert "Download a sample CSV" in page and 'name="format"' in page
    sample = client.get("/codes/bulk/sample.csv")
    assert sample.status_code == 200 and "attachment" in sample.headers["Content-Disposition"]
    response = upload(client, sample.get_data(), {"HX-Request": "true"}, path="/codes/bulk/create",
                      csrf_token=token, format="svg", encoding="utf-8")
    assert response.status_code == 202
    html = response.get_data(as_text=True)
    assert "Codes from a CSV" in html and "every 1s" in html
    run_jobs()
    job_id = html.split('id="job-', 1)[1].split('"', 1)[0]
    card = client.get(f"/jobs/{job_id}/card?poll=1")
    assert card.status_code == 286  # finished: polling stops
    assert "Download" in card.get_data(as_text=True) and "3 codes made." in card.get_data(as_text=True)
    job = client.get(f"/api/jobs/{job_id}").json
    assert job["result"]["created"] == 3 and job["result"]["format"] == "svg"
    assert f'id="job-{job_id}"' in client.get("/codes/bulk/").get_data(as_text=True)


def test_bulk_operations_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json["paths"]
    for path in ("/api/bulk/qr-codes", "/api/bulk/qr-codes/update"):
        operation = paths[path]["post"]
        assert "multipart/form-data" in operation["requestBody"]["content"]
        assert "202" in operation["responses"]
