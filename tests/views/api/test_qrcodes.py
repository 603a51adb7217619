"""/api/qr-codes as docs/api.md describes it: create, list, read, change, delete, image with an ETag."""
import io

import pytest
import segno
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from tests.factories import make_api_user, make_logo
from tests.support.qrcodes import decode_png, decode_svg, on_white
from webapp.extensions import db
from webapp.models import QrCode, User
from webapp.services import signals

BASE = "http://127.0.0.1:5000"


@pytest.fixture
def ada(app):
    with app.app_context():
        return make_api_user("ada@example.com")[1]


@pytest.fixture
def bob(app):
    with app.app_context():
        return make_api_user("bob@example.com")[1]


def count_codes(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(QrCode))


def create(client, headers, **body):
    body.setdefault("target_url", "https://example.com/menu")
    return client.post("/api/qr-codes", json=body, headers=headers)


def test_create_dynamic_code_returns_the_code_object(client, ada):
    response = create(client, ada, title="Summer menu", style={"dark": "#1D3FDC"})
    assert response.status_code == 201
    code = response.json
    assert code["kind"] == "dynamic" and code["title"] == "Summer menu"
    assert code["scan_url"] == f"{BASE}/s/{code['slug']}"
    assert code["target_url"] == "https://example.com/menu"
    assert code["style"]["dark"] == "#1d3fdc"
    assert code["scannable"] is True and code["active"] is True and code["scan_count"] == 0
    assert len(code["slug"]) == 8 and len(code["id"]) == 26
    assert code["created_at"].endswith("Z")


def test_random_slugs_differ(client, ada):
    slugs = {create(client, ada).json["slug"] for _ in range(5)}
    assert len(slugs) == 5


def test_static_wifi_code_holds_the_wifi_payload(client, ada):
    response = client.post("/api/qr-codes", headers=ada, json={
        "kind": "static", "content_type": "wifi", "content": {"ssid": "Café", "password": "s3cret;x"}})
    assert response.status_code == 201, response.json
    assert response.json["content"] == "WIFI:T:WPA;S:Café;P:s3cret\\;x;;"
    png = client.get(f"/api/qr-codes/{response.json['id']}/image.png", headers=ada)
    assert decode_png(png.data) == [response.json["content"]]


def test_international_domain_is_stored_as_punycode(client, ada):
    response = create(client, ada, target_url="Bücher.example/Straße?q=a b")
    assert response.json["target_url"] == "https://xn--bcher-kva.example/Stra%C3%9Fe?q=a%20b"


@pytest.mark.parametrize("url, words", [
    ("javascript:alert(1)", "javascript: addresses are refused"),
    ("data:text/html,<script>alert(1)</script>", "data: addresses are refused"),
    ("file:///etc/passwd", "file: addresses are refused"),
    ("ftp://files.example.com/x", "ftp: addresses are refused"),
    ("https://example.com/" + "a" * 2040, "too long"),
    ("https://user:pw@example.com/", "user name or password"),
    ("", "Enter the web address"),
])
def test_refused_target_urls_store_nothing(app, client, ada, url, words):
    response = create(client, ada, target_url=url)
    assert response.status_code == 422
    assert words in response.json["error"]["message"]
    assert "target_url" in response.json["error"]["fields"]
    assert count_codes(app) == 0


def test_taken_and_reserved_slugs_are_refused(app, client, ada, bob):
    assert create(client, ada, slug="Summer-Menu").json["slug"] == "summer-menu"
    taken = create(client, bob, slug="summer-menu")
    assert taken.status_code == 409 and "taken" in taken.json["error"]["message"]
    for slug, words in (("admin", "reserved"), ("api", "reserved"), ("a", "3 to 64"),
                        ("no spaces", "letters a–z"), ("-dash", "letters a–z")):
        response = create(client, ada, slug=slug)
        assert response.status_code == 422, slug
        assert words in response.json["error"]["fields"]["slug"]
    assert count_codes(app) == 1


@pytest.mark.parametrize("style, field", [
    ({"dark": "black"}, "style.dark"),
    ({"light": "#12345"}, "style.light"),
    ({"finder_color": "rgb(0,0,0)"}, "style.finder_color"),
    ({"gradient": {"start": "#zzzzzz"}}, "style.gradient.start"),
    ({"module_shape": "hearts"}, "style.module_shape"),
    ({"error_correction": "X"}, "style.error_correction"),
    ({"quiet_zone": 1}, "style.quiet_zone"),
    ({"shadow": True}, "style.shadow"),
])
def test_malformed_styles_are_refused_with_the_field(app, client, ada, style, field):
    response = create(client, ada, style=style)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"], response.json
    assert count_codes(app) == 0


def test_unscannable_styles_are_refused_with_the_reason(app, client, ada):
    light_on_light = create(client, ada, style={"dark": "#dddddd", "light": "#ffffff"})
    assert light_on_light.status_code == 422
    assert light_on_light.json["error"]["code"] == "unscannable"
    assert "too close to the background" in light_on_light.json["error"]["message"]
    inverted = create(client, ada, style={"dark": "#ffffff", "light": "#000000"})
    assert "not darker than" in inverted.json["error"]["message"]
    too_big = create(client, ada, style={"logo": "whatever", "logo_size": 0.4})
    assert too_big.status_code == 422
    assert "at most 25%" in too_big.json["error"]["fields"]["style.logo_size"]
    assert count_codes(app) == 0


def test_unknown_fields_and_bad_json_are_refused(app, client, ada):
    assert create(client, ada, colour="red").status_code == 422
    response = client.post("/api/qr-codes", data="not json", headers=ada)
    assert response.status_code == 400
    assert count_codes(app) == 0


def test_list_is_newest_first_with_a_cursor(client, ada, bob):
    ids = [create(client, ada, title=f"code {i}").json["id"] for i in range(5)]
    create(client, bob)
    first = client.get("/api/qr-codes?limit=2", headers=ada).json
    assert [c["id"] for c in first["items"]] == ids[::-1][:2]
    second = client.get(f"/api/qr-codes?limit=2&cursor={first['next_cursor']}", headers=ada).json
    third = client.get(f"/api/qr-codes?limit=2&cursor={second['next_cursor']}", headers=ada).json
    assert [c["id"] for c in second["items"] + third["items"]] == ids[::-1][2:]
    assert third["next_cursor"] is None
    assert client.get("/api/qr-codes?cursor=%%%", headers=ada).status_code == 400
    assert client.get("/api/qr-codes?limit=0", headers=ada).status_code == 422


def test_patch_changes_target_and_style_and_sends_one_signal(app, client, ada):
    code = create(client, ada).json
    seen = []

    def receiver(sender, changes):
        seen.append(changes)

    signals.code_updated.connect(receiver)
    try:
        response = client.patch(f"/api/qr-codes/{code['id']}", headers=ada, json={
            "target_url": "https://example.com/winter", "style": {"dark": "#7a1f1f"}, "active": False})
    finally:
        signals.code_updated.disconnect(receiver)
    assert response.status_code == 200
    assert response.json["target_url"] == "https://example.com/winter"
    assert response.json["slug"] == code["slug"] and response.json["active"] is False
    assert seen[0]["target_url"] == ("https://example.com/menu", "https://example.com/winter")
    assert set(seen[0]) == {"target_url", "style", "active"}
    refused = client.patch(f"/api/qr-codes/{code['id']}", headers=ada, json={"target_url": "javascript:x"})
    assert refused.status_code == 422
    assert client.get(f"/api/qr-codes/{code['id']}", headers=ada).json["target_url"] == "https://example.com/winter"


def test_created_and_deleted_signals(client, ada):
    events = []
    created = lambda sender: events.append(("created", sender.slug))  # noqa: E731
    deleted = lambda sender: events.append(("deleted", sender.slug))  # noqa: E731
    signals.code_created.connect(created)
    signals.code_deleted.connect(deleted)
    try:
        code = create(client, ada).json
        assert client.delete(f"/api/qr-codes/{code['id']}", headers=ada).status_code == 204
    finally:
        signals.code_created.disconnect(created)
        signals.code_deleted.disconnect(deleted)
    assert events == [("created", code["slug"]), ("deleted", code["slug"])]
    assert client.get(f"/api/qr-codes/{code['id']}", headers=ada).status_code == 404


def test_image_has_an_etag_and_answers_304(client, ada):
    code = create(client, ada).json
    url = f"/api/qr-codes/{code['id']}/image.svg"
    first = client.get(url, headers=ada)
    assert first.status_code == 200 and first.mimetype == "image/svg+xml"
    assert "private" in first.headers["Cache-Control"] and "no-cache" in first.headers["Cache-Control"]
    assert decode_svg(first.data) == [code["scan_url"]]
    etag = first.headers["ETag"]
    again = client.get(url, headers={**ada, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    client.patch(f"/api/qr-codes/{code['id']}", headers=ada, json={"style": {"dark": "#222222"}})
    changed = client.get(url, headers={**ada, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    # the target is not in the image: changing it keeps the ETag
    client.patch(f"/api/qr-codes/{code['id']}", headers=ada, json={"target_url": "https://example.org"})
    assert client.get(url, headers={**ada, "If-None-Match": changed.headers["ETag"]}).status_code == 304


def test_every_format_downloads_with_a_file_name_from_the_title(client, ada):
    code = create(client, ada, title="Summer menu: tables!").json
    for fmt, magic in (("svg", b"<svg"), ("png", b"\x89PNG"), ("pdf", b"%PDF"), ("eps", b"%!PS-Adobe")):
        response = client.get(f"/api/qr-codes/{code['id']}/image.{fmt}?download=1&scale=4", headers=ada)
        assert response.status_code == 200, fmt
        assert response.data.startswith(magic), fmt
        assert response.headers["Content-Disposition"] == f'attachment; filename="summer-menu-tables.{fmt}"'
    png = client.get(f"/api/qr-codes/{code['id']}/image.png?scale=7&border=2", headers=ada)
    assert decode_png(png.data) == [code["scan_url"]]


def test_unknown_format_and_bad_scale_are_refused(client, ada):
    code = create(client, ada).json
    gif = client.get(f"/api/qr-codes/{code['id']}/image.gif", headers=ada)
    assert gif.status_code == 404 and "Unknown image format" in gif.json["error"]["message"]
    assert client.get(f"/api/qr-codes/{code['id']}/image.png?scale=0", headers=ada).status_code == 422
    assert client.get(f"/api/qr-codes/{code['id']}/image.png?scale=abc", headers=ada).status_code == 422
    assert client.get(f"/api/qr-codes/{code['id']}/image.png?border=99", headers=ada).status_code == 422


def test_only_sizes_the_gate_vouches_for_are_served(client, ada):
    code = create(client, ada).json
    image = f"/api/qr-codes/{code['id']}/image"
    tiny = client.get(f"{image}.png?scale=2", headers=ada)
    assert tiny.status_code == 422 and "at least 3 pixels per module" in tiny.json["error"]["fields"]["scale"]
    narrow = client.get(f"{image}.png?border=1", headers=ada)
    assert narrow.status_code == 422 and "border" in narrow.json["error"]["fields"]
    assert decode_png(client.get(f"{image}.png?scale=3&border=2", headers=ada).data) == [code["scan_url"]]
    assert client.get(f"{image}.svg?scale=2", headers=ada).status_code == 200  # vector: any size


def test_a_code_stored_with_a_quiet_zone_under_the_minimum_serves_with_the_minimum(app, client, ada):
    code = create(client, ada).json
    with app.app_context():
        row = db.session.get(QrCode, code["id"])
        row.style = dict(row.style, quiet_zone=0)  # as saved before the rule
        db.session.commit()
    png = client.get(f"/api/qr-codes/{code['id']}/image.png?scale=3", headers=ada)
    assert png.status_code == 200 and decode_png(png.data) == [code["scan_url"]]
    modules = segno.make(code["scan_url"], error="M", micro=False).symbol_size(scale=1, border=2)[0]
    assert Image.open(io.BytesIO(png.data)).width == modules * 3


def test_a_logo_stores_and_draws_error_correction_h(app, client, ada):
    with app.app_context():
        logo = make_logo(db.session.scalars(select(User)).one())
    code = create(client, ada, style={"logo": logo, "error_correction": "L", "logo_size": 0.2}).json
    assert code["style"]["error_correction"] == "H"
    png = client.get(f"/api/qr-codes/{code['id']}/image.png?scale=5", headers=ada)
    [result] = zxingcpp.read_barcodes(on_white(Image.open(io.BytesIO(png.data))))
    assert result.text == code["scan_url"] and result.ec_level == "H"


def test_another_users_code_is_404_for_read_edit_image_and_delete(app, client, ada, bob):
    code = create(client, ada).json
    path = f"/api/qr-codes/{code['id']}"
    for method, url, body in (("get", path, None), ("patch", path, {"title": "mine now"}),
                              ("get", path + "/image.svg", None), ("get", path + "/image.png", None),
                              ("delete", path, None)):
        response = getattr(client, method)(url, headers=bob, json=body)
        assert response.status_code == 404, (method, url)
        assert response.json["error"]["code"] == "not_found"
    assert client.get(path, headers=ada).json["title"] == ""
    assert client.get("/api/qr-codes", headers=bob).json["items"] == []


def test_openapi_lists_the_code_operations(client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert set(paths["/api/qr-codes"]) == {"get", "post"}
    assert set(paths["/api/qr-codes/{code_id}"]) == {"get", "patch", "delete"}


def test_content_too_long_for_the_level_and_nul_characters_are_refused(app, client, ada):
    long_text = client.post("/api/qr-codes", headers=ada, json={
        "kind": "static", "content": "a" * 1900, "style": {"error_correction": "H"}})
    assert long_text.status_code == 422
    assert "more than a QR code holds at error correction H" in long_text.json["error"]["message"]
    fits = client.post("/api/qr-codes", headers=ada, json={
        "kind": "static", "content": "a" * 1900, "style": {"error_correction": "L"}})
    assert fits.status_code == 201
    nul = client.post("/api/qr-codes", headers=ada, json={"kind": "static", "content": "a\x00b"})
    assert nul.status_code == 422 and "NUL" in nul.json["error"]["message"]
    assert count_codes(app) == 1


def test_download_name_of_a_non_latin_title(client, ada):
    code = create(client, ada, title="日本 menu").json
    response = client.get(f"/api/qr-codes/{code['id']}/image.svg?download=1", headers=ada)
    assert response.headers["Content-Disposition"] == 'attachment; filename="menu.svg"'
