"""Hostile uploads are refused with a clear 4xx, and nothing is stored: no row, no file, no job."""
import io

import pytest

from tests.support import images as samples
from tests.support.image_api import stored_files
from webapp.extensions import db
from webapp.models import BackgroundJob, ImageAsset


def assert_nothing_stored(app, redis):
    with app.app_context():
        assert db.session.query(ImageAsset).count() == 0
        assert db.session.query(BackgroundJob).count() == 0
    assert stored_files(app) == []
    assert redis.llen("rq:queue:default") == 0


HOSTILE = {
    "decompression bomb (8000×8000 grey in 64 KB)":
        (samples.png_bomb, "logo.png", "image/png", 422, "too_many_pixels"),
    "header claiming ten billion pixels":
        (samples.png_header_bomb, "logo.png", "image/png", 422, "too_many_pixels"),
    "truncated JPEG photo":
        (lambda: samples.photo_bytes("rocket.jpg")[:60_000], "photo.jpg", "image/jpeg", 422,
         "damaged_image"),
    "truncated PNG photo":
        (lambda: samples.photo_bytes("coffee.png")[:200_000], "photo.png", "image/png", 422,
         "damaged_image"),
    "text file named .png":
        (lambda: b"Quarterly figures, not a picture.\n" * 40, "logo.png", "image/png", 415,
         "unsupported_type"),
    "random bytes named .jpg":
        (lambda: bytes(range(256)) * 64, "logo.jpg", "image/jpeg", 415, "unsupported_type"),
    "SVG with a script":
        (lambda: samples.SVG, "logo.svg", "image/svg+xml", 415, "unsupported_type"),
    "SVG named .png":
        (lambda: samples.SVG, "logo.png", "image/png", 415, "unsupported_type"),
    "HTML named .jpg":
        (lambda: samples.HTML, "logo.jpg", "image/jpeg", 415, "unsupported_type"),
    "GIF/JavaScript polyglot":
        (samples.gif_js_polyglot, "logo.gif", "image/gif", 415, "markup_in_image"),
    "valid PNG carrying an HTML page":
        (samples.png_with_html, "logo.png", "image/png", 415, "markup_in_image"),
    "zero-byte file":
        (lambda: b"", "logo.png", "image/png", 400, "empty_file"),
    "animation of 101 frames":
        (lambda: samples.long_animation(101), "logo.gif", "image/gif", 422, "too_many_frames"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_upload_is_refused_and_nothing_is_stored(image_api, app, redis, case):
    make, filename, content_type, status, code = HOSTILE[case]
    response = image_api.upload(make(), filename, content_type)
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    assert len(response.json["error"]["message"]) > 20
    assert_nothing_stored(app, redis)


def test_an_animation_within_the_frame_limit_is_accepted(image_api):
    response = image_api.upload(samples.long_animation(12), "spinner.gif", "image/gif")
    assert response.status_code == 202
    assert response.json["status"] == "pending"


def test_file_over_the_image_limit_is_413_with_the_limit_named(image_api, app, redis):
    app.config["MAX_IMAGE_BYTES"] = 100_000
    response = image_api.upload(samples.photo_bytes("rocket.jpg"), "rocket.jpg", "image/jpeg")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "file_too_large"
    assert "limit is 0.1 MB" in response.json["error"]["message"]
    assert_nothing_stored(app, redis)


def test_request_over_the_upload_limit_is_413_json(image_api, app, redis):
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    response = image_api.upload(samples.photo_bytes("rocket.jpg"), "rocket.jpg", "image/jpeg")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "file_too_large"
    assert "larger than a request may be" in response.json["error"]["message"]
    assert_nothing_stored(app, redis)


@pytest.mark.parametrize("options, field", [
    ({"quality": 0}, "quality"), ({"quality": 101}, "quality"), ({"format": "gif"}, "format"),
    ({"max_width": "wide"}, "max_width"), ({"max_height": -5}, "max_height"),
])
def test_bad_options_are_422_with_the_field_named(image_api, app, redis, options, field):
    response = image_api.upload(samples.photo_bytes("chelsea.png"), "cat.png", **options)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert_nothing_stored(app, redis)


def test_missing_file_field_is_400(image_api, app, redis):
    response = image_api.client.post("/api/images/upload", data={"quality": "80"}, headers=image_api.headers,
                               content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.json["error"]["fields"]["file"]
    assert_nothing_stored(app, redis)


def test_upload_page_shows_the_refusal_and_stores_nothing(client, auth, app, redis):
    auth.signup()
    token = auth.token("/images/")
    response = client.post("/images/upload", headers={"HX-Request": "true", "X-CSRFToken": token},
                           data={"file": (io.BytesIO(samples.SVG), "logo.svg")},
                           content_type="multipart/form-data")
    assert response.status_code == 415
    html = response.get_data(as_text=True)
    assert "SVG files are not accepted" in html and 'id="gallery"' in html
    assert "<html" not in html  # the fragment, not a whole page
    with app.app_context():
        assert db.session.query(ImageAsset).count() == 0
    assert stored_files(app) == []
