"""The compatibility report: stored when a code is saved, shown on its page without running the
gate; the save that follows a preview reuses the preview's verdict."""
import re

import pytest
from sqlalchemy import select

from tests.support.codes import FORM
from webapp import qr
from webapp.extensions import db
from webapp.models import QrCode


@pytest.fixture
def no_gate(monkeypatch):
    """From here on, running the gate fails the request."""
    def refuse(*args, **kwargs):
        raise AssertionError("the gate ran")
    monkeypatch.setattr(qr, "check", refuse)


def saved(app):
    with app.app_context():
        return db.session.scalars(select(QrCode)).one()


def test_the_report_is_stored_on_save_and_shown_without_running_the_gate(app, client, auth, monkeypatch):
    auth.signup()
    token = auth.token("/codes/new")
    assert client.post("/codes/", data=dict(FORM, csrf_token=token, finder_shape="circle")).status_code == 302
    code = saved(app)
    views = code.scan_report["views"]
    clean = [row for row in views if row["kind"] == "clean"]
    assert len(clean) >= 12 and all(row["read"]["zxing-cpp"] for row in clean)
    assert all(row["read"]["WeChat (OpenCV)"] for row in clean if "WeChat (OpenCV)" in row["read"])
    assert any(row["kind"] == "camera" and any(row["read"].values()) for row in views)
    assert "Circle corners" in code.scan_report["warnings"][0]

    monkeypatch.setattr(qr, "check", lambda *a, **k: (_ for _ in ()).throw(AssertionError("gate ran")))
    page = client.get(f"/codes/{code.id}").get_data(as_text=True)
    assert "Which scanners read it" in page and "WeChat (OpenCV)" in page and "OpenCV classic" in page
    assert "Circle corners: a few older scanner apps cannot read them" in page
    assert "✓ " in page and "verdict/preview" not in page and 'hx-trigger="load"' not in page
    for fmt in ("svg", "png", "pdf"):
        assert client.get(f"/api/qr-codes/{code.id}/image.{fmt}?download=1").status_code == 200


def test_a_code_saved_before_reports_says_so(app, client, auth):
    auth.signup()
    client.post("/codes/", data=dict(FORM, csrf_token=auth.token("/codes/new")))
    code = saved(app)
    with app.app_context():
        db.session.get(QrCode, code.id).scan_report = None
        db.session.commit()
    page = client.get(f"/codes/{code.id}").get_data(as_text=True)
    assert "the report comes with its next save" in page and "<table>" not in page


def test_saving_what_was_just_previewed_is_a_look_up(app, client, auth, request):
    """A new code's form carries the random slug its preview drew with, and saving takes it."""
    auth.signup()
    token = auth.token("/codes/new")
    draft = re.search(r'name="draft_slug" value="([a-z0-9]+)"', client.get("/codes/new").get_data(as_text=True))[1]
    form = dict(FORM, csrf_token=token, module_shape="rounded", dark="#1d3fdc", draft_slug=draft)
    assert "✓" in client.post("/codes/preview/verdict", data=form).get_data(as_text=True)
    request.getfixturevalue("no_gate")
    assert client.post("/codes/", data=form).status_code == 302  # the gate would raise
    assert saved(app).scan_report["views"] and saved(app).slug == draft


def test_changing_the_style_replaces_the_report_without_a_change_event(app, client, auth):
    auth.signup()
    client.post("/codes/", data=dict(FORM, csrf_token=auth.token("/codes/new")))
    code = saved(app)
    assert "warnings" in code.scan_report and not code.scan_report["warnings"]
    token = auth.token(f"/codes/{code.id}")
    form = {k: v for k, v in FORM.items() if k not in ("kind", "slug")}
    response = client.post(f"/codes/{code.id}", data=dict(form, csrf_token=token, finder_shape="rounded",
                                                           active="on"))
    assert response.status_code == 302
    assert "Rounded corners" in saved(app).scan_report["warnings"][0]
