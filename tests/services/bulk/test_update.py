"""Bulk update: changes go through update_code, so code_updated fires and scans see them."""
import pytest
from sqlalchemy import select

from tests.factories import api_key, make_code
from tests.support.auth import user_id
from tests.support.bulk import csv_file, read_csv, result_files, upload
from webapp.extensions import db
from webapp.models import QrCode
from webapp.services import signals
from webapp.services.codes.organise import tags_of

HEADER = "slug,target_url,title,active"


pytestmark = pytest.mark.settings(BULK_CHUNK_ROWS=2)


@pytest.fixture
def codes(app, auth):
    """Two codes of Ada's, one static, and one of Eve's."""
    auth.signup(email="eve@example.com")
    auth.logout()
    auth.signup()
    ada, eve = user_id(app), user_id(app, "eve@example.com")
    with app.app_context():
        quiet = dict(announce=False, commit=False)
        make_code(ada, "menu", title="Menu", target_url="https://a.example/menu", **quiet)
        make_code(ada, "wine", title="Wine", target_url="https://a.example/wine", **quiet)
        make_code(ada, "note", kind="static", title="Note", content_type="text", content="Hi", **quiet)
        make_code(eve, "eves", title="Eve's", target_url="https://e.example/", **quiet)
        db.session.commit()
        db.session.remove()
    return ada


def code(app, slug):
    with app.app_context():
        found = db.session.scalar(select(QrCode).where(QrCode.slug == slug))
        db.session.expunge_all()
        db.session.remove()
    return found


def test_changes_are_applied_through_the_service_and_bad_rows_reported(app, client, codes, run_jobs):
    received = []

    def on_updated(code, changes, **extra):
        received.append((code.slug, {field: new for field, (_, new) in changes.items()}))

    lines = [
        "menu,https://a.example/menu-2027,,",
        "unknown-slug,https://a.example/x,,",
        "eves,https://evil.example/,,",
        "wine,not a url,,",
        "wine,,Wine list,false",
        "wine,,,maybe",
        "note,https://a.example/,,",
        "menu,,,",
        ",https://a.example/,,",
    ]
    headers = api_key(app)
    with signals.code_updated.connected_to(on_updated):
        response = upload(client, csv_file(lines, header=HEADER), headers,
                          path="/api/bulk/qr-codes/update")
        assert response.status_code == 202
        run_jobs()

    job = client.get(f"/api/jobs/{response.json['job_id']}", headers=headers).json
    assert job["status"] == "completed"
    assert job["result"] == {"rows": 9, "updated": 2, "unchanged": 1, "failed": 6, "files": []}
    assert received == [("menu", {"target_url": "https://a.example/menu-2027"}),
                        ("wine", {"title": "Wine list", "active": False})]
    assert code(app, "menu").target_url == "https://a.example/menu-2027"
    wine = code(app, "wine")
    assert (wine.title, wine.active, wine.target_url) == ("Wine list", False, "https://a.example/wine")
    assert code(app, "eves").target_url == "https://e.example/"

    errors = {int(e["line"]): e["error"] for e in read_csv(result_files(client, job)["errors"])}
    assert errors[3] == "slug: not found: you have no code with the slug “unknown-slug”."
    assert errors[4] == "slug: not found: you have no code with the slug “eves”."
    assert errors[5] == "target_url: The domain name 'not a url' is not valid."
    assert errors[7] == "active: active is true or false."
    assert errors[8].startswith("target_url: A static code has no target")
    assert errors[10] == "slug: empty; say which code to change."


def test_a_file_with_only_slugs_is_refused(app, client, codes, redis):
    response = upload(client, b"slug\nmenu\n", api_key(app), path="/api/bulk/qr-codes/update")
    assert response.status_code == 422 and "add a column for what to change" in response.json["error"]["message"]
    assert redis.llen("rq:queue:low") == 0


def test_update_from_the_page(app, client, codes, auth, run_jobs):
    token = auth.token("/codes/bulk/")
    response = upload(client, csv_file(["menu,,Lunch menu,"], header=HEADER), {"HX-Request": "true"},
                      path="/codes/bulk/update", csrf_token=token, encoding="utf-8")
    assert response.status_code == 202 and "Changes to codes from a CSV" in response.get_data(as_text=True)
    run_jobs()
    assert code(app, "menu").title == "Lunch menu"


def test_page_shows_a_refused_update_file_on_its_form(app, client, codes, auth, redis):
    token = auth.token("/codes/bulk/")
    response = upload(client, b"slug\nmenu\n", {"HX-Request": "true"}, path="/codes/bulk/update",
                      csrf_token=token)
    assert response.status_code == 422 and response.headers["HX-Retarget"] == "#bulk-update"
    html = response.get_data(as_text=True)
    assert 'id="update-error"' in html and "add a column for what to change" in html
    assert "built-in method" not in html
    assert redis.llen("rq:queue:low") == 0


def test_tags_and_folder_columns(app, client, codes, run_jobs):
    lines = ["menu,,,,\"new, menu\",Tables", "wine,,,,,Cellar", "wine,,,,,Cellar"]
    headers = api_key(app)
    response = upload(client, csv_file(lines, header="slug,target_url,title,active,tags,folder"), headers,
                      path="/api/bulk/qr-codes/update")
    run_jobs()
    job = client.get(f"/api/jobs/{response.json['job_id']}", headers=headers).json
    assert job["result"]["updated"] == 2 and job["result"]["unchanged"] == 1
    menu, wine = code(app, "menu"), code(app, "wine")
    assert (menu.folder, wine.folder) == ("Tables", "Cellar")
    with app.app_context():
        assert tags_of([menu.id])[menu.id] == ["menu", "new"]
