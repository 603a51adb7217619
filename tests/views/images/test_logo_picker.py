"""The editor's logo picker over HTTP: an upload from the editor answers with the picker, a
refused file keeps the logo chosen before, and the picker shows file names, not ids."""
import io

from sqlalchemy import select

from tests.factories import make_logo, make_user
from tests.support import images as samples
from webapp.extensions import db
from webapp.models import ImageAsset

HX = {"HX-Request": "true"}


def upload_from_editor(client, auth, data, filename, logo=""):
    return client.post("/images/upload", headers=HX, content_type="multipart/form-data", data={
        "csrf_token": auth.token("/codes/new"), "picker": "1", "logo": logo, "title": "Poster",
        "file": (io.BytesIO(data), filename)})


def test_an_upload_from_the_editor_polls_then_is_chosen(app, client, auth, run_jobs):
    auth.signup()
    response = upload_from_editor(client, auth, samples.photo_bytes("coffee.png"), "coffee.png")
    assert response.status_code == 202
    html = response.get_data(as_text=True)
    with app.app_context():
        asset_id = db.session.scalars(select(ImageAsset.id)).one()
    assert f'hx-get="/images/{asset_id}/logo-picker"' in html and "waiting for a worker" in html
    assert f'<option value="{asset_id}"' not in html  # not ready: not a choice yet
    assert "<html" not in html  # the picker alone, for htmx to swap

    assert run_jobs() == 1
    ready = client.get(f"/images/{asset_id}/logo-picker?logo=", headers=HX).get_data(as_text=True)
    assert "hx-get" not in ready  # no more polling
    assert f'<option value="{asset_id}" selected>coffee.png (' in ready and "data-logo-ready" in ready
    editor = client.get("/codes/new").get_data(as_text=True)
    assert f'<option value="{asset_id}" >coffee.png (' in editor and "Image " + asset_id[-6:] not in editor


def test_a_refused_file_keeps_the_logo_chosen_before(app, client, auth):
    auth.signup()
    with app.app_context():
        earlier = make_logo(make_user("ada@example.com"))
    response = upload_from_editor(client, auth, samples.SVG, "logo.svg", logo=earlier)
    assert 400 <= response.status_code < 500
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and "SVG files are not accepted" in html
    assert f'<option value="{earlier}" selected>' in html
    with app.app_context():
        assert db.session.scalars(select(ImageAsset.id)).all() == [earlier]  # nothing added


def test_another_workspace_cannot_poll_an_image(app, client, auth):
    with app.app_context():
        graces = make_logo(make_user("grace@example.com"))
    auth.signup()
    assert client.get(f"/images/{graces}/logo-picker", headers=HX).status_code == 404
