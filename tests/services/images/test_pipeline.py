"""Upload → real RQ worker → optimised image at an immutable, content-hashed URL."""
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageCms, ImageStat

from tests.support import images as samples
from tests.support.image_api import ImageApi, stored_files
from webapp.extensions import db
from webapp.models import BackgroundJob, ImageAsset
from webapp.services.jobs import queues

MIME = {"webp": "image/webp", "avif": "image/avif", "jpeg": "image/jpeg", "png": "image/png"}
PIL_FORMAT = {"webp": "WEBP", "avif": "AVIF", "jpeg": "JPEG", "png": "PNG"}


def upload_and_optimise(image_api, run_jobs, data, **options):
    response = image_api.upload(data, **options)
    assert response.status_code == 202, response.json
    assert run_jobs() == 1
    ready = image_api.get(response.json["id"])
    assert ready.json["status"] == "ready", ready.json
    return ready.json


def mean_difference(a, b):
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    return sum(ImageStat.Stat(diff).mean) / 3


def test_upload_is_optimised_in_a_real_worker_and_reported_ready(image_api, app, run_jobs, redis):
    data = samples.photo_bytes("coffee.png")
    response = image_api.upload(data, "coffee.png")
    assert response.status_code == 202
    body = response.json
    assert body["status"] == "pending" and body["url"] is None
    assert response.headers["Location"] == f"/api/images/{body['id']}"
    assert image_api.get(body["id"]).json["status"] == "pending"
    assert redis.llen("rq:queue:default") == 1

    assert run_jobs() == 1

    image = image_api.get(body["id"]).json
    assert image["status"] == "ready" and image["error"] is None
    assert (image["width"], image["height"], image["format"]) == (600, 400, "webp")
    assert image["original_bytes"] == len(data)
    assert 0 < image["bytes"] < len(data) * 0.3
    served = image_api.fetch(image["url"])
    assert served.status_code == 200
    assert len(served.data) == image["bytes"]
    assert image["url"].endswith(f"/images/{hashlib.sha256(served.data).hexdigest()}.webp")
    with app.app_context():
        job = db.session.query(BackgroundJob).one()
        assert (job.type, job.status) == ("images.optimise", "completed")


@pytest.mark.parametrize("fmt", ["webp", "avif", "jpeg", "png"])
def test_image_url_is_immutable_with_a_matching_content_type(image_api, run_jobs, fmt):
    image = upload_and_optimise(image_api, run_jobs, samples.photo_bytes("chelsea.png"), format=fmt)
    served = image_api.fetch(image["url"])
    assert served.headers["Content-Type"] == MIME[fmt]
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert image["url"].endswith({"jpeg": ".jpg"}.get(fmt, f".{fmt}"))
    with Image.open(io.BytesIO(served.data)) as img:
        assert img.format == PIL_FORMAT[fmt]
    again = image_api.fetch(image["url"], **{"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("fmt", ["webp", "avif", "jpeg", "png"])
def test_exif_gps_xmp_and_profile_are_gone_from_every_format(image_api, run_jobs, fmt):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = samples.encode(samples.photo("rocket.jpg"), "JPEG", quality=92,
                            exif=samples.phone_exif(), xmp=samples.GPS_XMP, icc_profile=srgb)
    with Image.open(io.BytesIO(source)) as original:  # the metadata really is in the input
        assert original.getexif().get_ifd(0x8825) and "xmp" in original.info

    image = upload_and_optimise(image_api, run_jobs, source, format=fmt)
    data = image_api.fetch(image["url"]).data
    with Image.open(io.BytesIO(data)) as out:
        assert len(out.getexif()) == 0
        assert not {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment"} & set(out.info)
    for marker in (b"Exif\x00\x00", b"GPSLatitude", b"Scanlink Test Phone", b"x:xmpmeta"):
        assert marker not in data


def test_rotated_phone_photo_comes_out_upright(image_api, run_jobs):
    scene, data = samples.rotated_phone_photo("coffee.png")
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.size == (400, 600)  # on its side, as the phone stored it

    image = upload_and_optimise(image_api, run_jobs, data, format="png")
    assert (image["width"], image["height"]) == (600, 400)
    with Image.open(io.BytesIO(image_api.fetch(image["url"]).data)) as out:
        upright = mean_difference(out, scene)
        upside_down = mean_difference(out, scene.transpose(Image.Transpose.ROTATE_180))
    assert upright < 4  # only JPEG loss between them
    assert upside_down > 5 * upright


def test_resized_within_the_bounds_keeping_the_aspect_ratio(image_api, run_jobs):
    image = upload_and_optimise(image_api, run_jobs, samples.photo_bytes("hubble_deep_field.jpg"),
                                max_width=500, max_height=300, format="jpeg", quality=70)
    assert (image["width"], image["height"]) == (344, 300)  # 1000×872 scaled by 300/872
    with Image.open(io.BytesIO(image_api.fetch(image["url"]).data)) as out:
        assert out.size == (344, 300) and out.info.get("progressive")


def test_reupload_of_the_same_bytes_and_options_reuses_the_result(image_api, app, run_jobs):
    data = samples.photo_bytes("chelsea.png")
    first = upload_and_optimise(image_api, run_jobs, data)
    again = image_api.upload(data, "renamed.png")
    assert again.status_code == 200
    assert again.json == first
    assert run_jobs() == 0  # nothing was queued again

    other = image_api.upload(data, "cat.png", format="jpeg")
    assert other.status_code == 202 and other.json["id"] != first["id"]
    with app.app_context():
        assert db.session.query(ImageAsset).count() == 2
    originals = [f for f in stored_files(app) if f.startswith("images/originals/")]
    assert originals == [f"images/originals/{hashlib.sha256(data).hexdigest()[:2]}/"
                         f"{hashlib.sha256(data).hexdigest()}"]


def test_the_original_is_never_served(image_api, app, run_jobs):
    data = samples.photo_bytes("chelsea.png")
    upload_and_optimise(image_api, run_jobs, data)
    digest = hashlib.sha256(data).hexdigest()
    for ext in ("png", "webp", "jpg"):
        assert image_api.client.get(f"/images/{digest}.{ext}").status_code == 404
    for probe in ("../originals/x", "images%2Foriginals", f"{digest}", "upload"):
        assert image_api.client.get(f"/images/{probe}").status_code == 404


def test_running_the_job_twice_changes_nothing(image_api, app, run_jobs):
    image = upload_and_optimise(image_api, run_jobs, samples.photo_bytes("chelsea.png"))
    files = stored_files(app)
    with app.app_context():
        queues.submit("images.optimise", payload={"image_id": image["id"]})
    assert run_jobs() == 1
    assert image_api.get(image["id"]).json == image
    assert stored_files(app) == files


def test_another_users_image_is_404(image_api, app, client, run_jobs):
    image = upload_and_optimise(image_api, run_jobs, samples.photo_bytes("chelsea.png"))
    eve = ImageApi(app, client, email="eve@example.com")
    response = eve.get(image["id"])
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert eve.fetch(image["url"]).status_code == 200  # the public URL is public


def test_upload_is_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json["paths"]
    upload = paths["/api/images/upload"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert "get" in paths["/api/images/{image_id}"]


def test_a_failed_optimisation_is_reported_and_a_reupload_retries_it(image_api, app, run_jobs):
    data = samples.photo_bytes("chelsea.png")
    first = image_api.upload(data).json
    original = [f for f in stored_files(app) if f.startswith("images/originals/")][0]
    lost = Path(app.config["STORAGE_DIR"]) / original
    kept = lost.read_bytes()
    lost.unlink()  # the shared store lost the file between upload and job

    assert run_jobs() == 1
    failed = image_api.get(first["id"]).json
    assert failed["status"] == "failed" and "missing" in failed["error"]

    retry = image_api.upload(kept)
    assert retry.status_code == 202
    assert (retry.json["id"], retry.json["status"], retry.json["error"]) == (first["id"], "pending", None)
    assert run_jobs() == 1
    assert image_api.get(first["id"]).json["status"] == "ready"


def test_page_upload_without_htmx_redirects_back_to_the_list(client, auth, app, run_jobs):
    auth.signup()
    token = auth.token("/images/")
    response = client.post("/images/upload", data={
        "csrf_token": token, "format": "jpeg", "quality": "70",
        "file": (io.BytesIO(samples.photo_bytes("chelsea.png")), "cat.png")},
        content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith("/images/")
    assert run_jobs() == 1
    page = client.get("/images/").get_data(as_text=True)
    assert "cat.png" in page and "Ready" in page and "451×300 JPEG" in page
