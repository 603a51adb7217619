"""The codes pages: create from the form, list without rendered codes, owner-only, presets."""
import re

from sqlalchemy import select

from tests.factories import make_code, make_logo
from tests.support.codes import FORM
from tests.support.qrcodes import decode_svg
from webapp.extensions import db
from webapp.models import QrCode, User
from webapp.views.codes.pages import PAGE_SIZE


def create_through_form(client, auth, **changes):
    data = dict(FORM, csrf_token=auth.token("/codes/new"), **changes)
    return client.post("/codes/", data=data)


def only_code(app):
    with app.app_context():
        return db.session.scalars(select(QrCode)).all()


def test_create_from_the_form_then_edit_the_target(app, client, auth):
    auth.signup()
    response = create_through_form(client, auth, slug="table-1", module_shape="dots")
    assert response.status_code == 302
    [code] = only_code(app)
    assert code.slug == "table-1" and code.style["module_shape"] == "dots"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Table card" in page and "/s/table-1" in page and "✓" in page
    edit = dict(FORM, csrf_token=auth.token(f"/codes/{code.id}"), target_url="https://example.com/new",
                active="on", module_shape="dots")
    assert client.post(f"/codes/{code.id}", data=edit).status_code == 302
    with app.app_context():
        stored = db.session.get(QrCode, code.id)
        assert stored.target_url == "https://example.com/new" and stored.slug == "table-1"


def test_refused_form_shows_the_reason_and_keeps_the_input(app, client, auth):
    auth.signup()
    response = create_through_form(client, auth, target_url="javascript:alert(1)", title="Keep me",
                                   dark="#eeeeee")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "javascript: addresses are refused" in page
    assert 'value="Keep me"' in page and 'value="#eeeeee"' in page
    assert only_code(app) == []
    light = create_through_form(client, auth, dark="#eeeeee")
    assert light.status_code == 422 and "too close to the background" in light.get_data(as_text=True)
    assert only_code(app) == []


def test_preview_answers_with_an_image_then_the_verdict(client, auth):
    auth.signup()
    token = auth.token("/codes/new")
    ok = client.post("/codes/preview", data=dict(FORM, csrf_token=token, dark="#1d3fdc"),
                     headers={"HX-Request": "true"})
    html = ok.get_data(as_text=True)
    assert 'id="preview"' in html and "data:image/svg+xml;base64," in html and "Checking" in html
    assert 'hx-post="/codes/preview/verdict"' in html and 'hx-trigger="load delay:120ms"' in html
    assert "✓" not in html and "<html" not in html
    verdict = client.post("/codes/preview/verdict", data=dict(FORM, csrf_token=token, dark="#1d3fdc"),
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "✓" in verdict and "two decoders" in verdict and "<img" not in verdict
    circles = client.post("/codes/preview/verdict", headers={"HX-Request": "true"}, data=dict(
        FORM, csrf_token=token, finder_shape="circle")).get_data(as_text=True)
    assert "✓" in circles and "Circle corners: a few older scanner apps cannot read them" in circles
    bad = client.post("/codes/preview", data=dict(FORM, csrf_token=token, dark="#fefefe"),
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "✗" in bad and "too close" in bad
    empty = client.post("/codes/preview", headers={"HX-Request": "true"}, data=dict(
        FORM, csrf_token=token, kind="static", content_type="wifi")).get_data(as_text=True)
    assert "Network name (SSID) is required" in empty and "✗" not in empty and "verdict muted" in empty


def test_list_page_holds_no_rendered_codes_and_loads_them_on_sight(app, client, auth):
    auth.signup()
    for i in range(3):
        create_through_form(client, auth, title=f"Code {i}")
    page = client.get("/codes/").get_data(as_text=True)
    assert page.count('class="code-card"') == 3
    assert "<img" not in page and "<svg xmlns" not in page and "data:image" not in page
    previews = re.findall(r'data-preview="([^"]+)"', page)
    assert len(previews) == 3 and "js/previews.js" in page
    image = client.get(previews[0].replace("&amp;", "&"))
    assert image.status_code == 200 and image.headers["ETag"]
    assert decode_svg(image.data)[0].startswith("http://127.0.0.1:5000/s/")
    again = client.get(previews[0].replace("&amp;", "&"), headers={"If-None-Match": image.headers["ETag"]})
    assert again.status_code == 304


def test_list_pages_with_a_cursor_and_a_plain_next_link(app, client, auth):
    auth.signup()
    with app.app_context():
        owner = db.session.scalars(select(User)).one()
        for i in range(PAGE_SIZE + 2):
            make_code(owner, title=f"Code {i:02d}", commit=False)
        db.session.commit()
    first = client.get("/codes/").get_data(as_text=True)
    newest, oldest = f"Code {PAGE_SIZE + 1:02d}", "Code 01"
    assert first.count('class="code-card"') == PAGE_SIZE and newest in first and oldest not in first
    more = re.search(r'hx-get="(/codes/\?cursor=[^"]+)"', first).group(1)
    assert f'<a href="{more}">Next codes</a>' in first  # the same page without JavaScript
    rest = client.get(more, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert rest.count('class="code-card"') == 2 and "Code 00" in rest and "<html" not in rest
    assert "Next codes" not in rest
    plain = client.get(more).get_data(as_text=True)
    assert "<html" in plain and plain.count('class="code-card"') == 2 and "Back to the newest" in plain


def test_another_users_code_is_404_on_every_page(app, client, auth):
    auth.signup(email="ada@example.com")
    create_through_form(client, auth)
    [code] = only_code(app)
    auth.logout()
    auth.signup(email="bob@example.com")
    token = auth.token("/codes/new")
    assert client.get(f"/codes/{code.id}").status_code == 404
    assert client.get(f"/api/qr-codes/{code.id}/image.svg").status_code == 404
    assert client.post(f"/codes/{code.id}", data=dict(FORM, csrf_token=token)).status_code == 404
    assert client.post("/codes/preview", data=dict(FORM, csrf_token=token, code_id=code.id)).status_code == 404
    assert client.post(f"/codes/{code.id}/delete", data={"csrf_token": token}).status_code == 404
    assert len(only_code(app)) == 1 and only_code(app)[0].title == "Table card"


def test_delete_from_the_page(app, client, auth):
    auth.signup()
    create_through_form(client, auth)
    [code] = only_code(app)
    response = client.post(f"/codes/{code.id}/delete", data={"csrf_token": auth.token("/codes/")})
    assert response.status_code == 302
    assert only_code(app) == []
    assert "is deleted" in client.get("/codes/").get_data(as_text=True)


def test_pages_need_a_login(client):
    assert client.get("/codes/").status_code == 302
    assert client.get("/codes/new").status_code == 302


def test_save_and_apply_a_style_preset(client, auth):
    auth.signup()
    token = auth.token("/codes/new")
    saved = client.post("/codes/presets", headers={"HX-Request": "true"}, data=dict(
        FORM, csrf_token=token, preset_name="Brand blue", dark="#1d3fdc", module_shape="rounded"))
    assert saved.status_code == 200 and "Brand blue" in saved.get_data(as_text=True)
    preset_url = re.search(r'hx-get="(/codes/presets/[^"]+)"', saved.get_data(as_text=True)).group(1)
    fields = client.get(preset_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'value="#1d3fdc"' in fields and '<option value="rounded" selected' in fields
    new_page = client.get("/codes/new?preset=" + preset_url.rsplit("/", 1)[1]).get_data(as_text=True)
    assert 'value="#1d3fdc"' in new_page
    nameless = client.post("/codes/presets", headers={"HX-Request": "true"},
                           data=dict(FORM, csrf_token=token, preset_name=" "))
    assert nameless.status_code == 422 and "name" in nameless.get_data(as_text=True)


def test_logo_picker_lists_ready_images_and_a_logo_code_scans(app, client, auth):
    auth.signup()
    from webapp.models import User

    with app.app_context():
        user = db.session.scalars(select(User)).one()
        logo_id = make_logo(user)
        make_logo(user, photo="rocket.jpg", status="pending")
    page = client.get("/codes/new").get_data(as_text=True)
    assert f'<option value="{logo_id}"' in page and page.count("<option value=\"0") <= 1
    response = create_through_form(client, auth, logo=logo_id, logo_size="22", error_correction="L")
    assert response.status_code == 302
    [code] = only_code(app)
    assert code.style["logo"] == logo_id
    svg = client.get(f"/api/qr-codes/{code.id}/image.svg")
    assert b"data:image/png;base64," in svg.data
    assert decode_svg(svg.data) == [f"http://127.0.0.1:5000/s/{code.slug}"]


def test_ugly_form_input_gets_a_message_not_a_500(app, client, auth):
    auth.signup()
    token = auth.token("/codes/new")
    assert client.post("/codes/", data={"csrf_token": token}).status_code == 422
    for changes, words in (({"quiet_zone": "abc"}, "quiet_zone"), ({"logo_size": "abc", "logo": "x" * 26}, "logo_size"),
                           ({"gradient": "linear", "gradient_rotation": "abc"}, "rotation"),
                           ({"module_shape": "hearts"}, "module_shape"),
                           ({"logo": "01m8mynvf9srsjcwj8nftg0g46"}, "No ready image of yours"),
                           ({"kind": "sideways"}, "Choose the kind"),
                           ({"kind": "static", "content_type": "geo", "geo-lat": "north", "geo-lng": "3"}, "must be a number")):
        response = client.post("/codes/", data=dict(FORM, csrf_token=token, **changes))
        assert response.status_code == 422, changes
        assert words in response.get_data(as_text=True), changes
        if "kind" in changes and changes["kind"] == "sideways":
            continue  # the preview draws what it can; only saving needs a kind
        preview = client.post("/codes/preview", data=dict(FORM, csrf_token=token, **changes),
                              headers={"HX-Request": "true"})
        assert preview.status_code == 200 and "✗" in preview.get_data(as_text=True), changes
    assert only_code(app) == []


def test_edit_a_static_wifi_code_keeps_it_active(app, client, auth):
    auth.signup()
    response = create_through_form(client, auth, kind="static", content_type="wifi",
                                   **{"wifi-ssid": "Shop", "wifi-password": "pw-123456", "wifi-security": "WPA"})
    assert response.status_code == 302
    [code] = only_code(app)
    assert code.content == "WIFI:T:WPA;S:Shop;P:pw-123456;;"
    page = client.get(f"/codes/{code.id}").get_data(as_text=True)
    assert 'value="Shop"' in page and "Target web address" not in page
    edit = dict(FORM, csrf_token=auth.token(f"/codes/{code.id}"), content_type="wifi",
                **{"wifi-ssid": "Shop 2", "wifi-password": "pw-123456", "wifi-security": "WPA"})
    assert client.post(f"/codes/{code.id}", data=edit).status_code == 302
    [code] = only_code(app)
    assert code.content == "WIFI:T:WPA;S:Shop 2;P:pw-123456;;" and code.active is True
