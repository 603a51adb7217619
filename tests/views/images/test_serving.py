"""Serving optimised images: streamed by the app from either backend, or, with
STORAGE_PUBLIC_URL, from a public bucket (moto's server answers anonymous GETs, as a
public bucket does)."""
import json
from urllib.parse import urlsplit

import pytest
import requests

from tests.support import images as samples
from tests.support.image_api import ImageApi

IMMUTABLE = "public, max-age=31536000, immutable"


def optimised(app, client, run_jobs):
    api = ImageApi(app, client, "bea@example.com")
    uploaded = api.upload(samples.photo_bytes("coffee.png"))
    assert uploaded.status_code == 202, uploaded.json
    assert run_jobs() == 1
    return api, api.get(uploaded.json["id"]).json


def check_streamed(app, client, run_jobs):
    api, image = optimised(app, client, run_jobs)
    assert image["url"].startswith(app.config["PUBLIC_BASE_URL"] + "/images/")

    served = api.fetch(image["url"])
    assert served.status_code == 200
    assert served.is_streamed  # not one bytes object made in memory
    assert served.headers["Cache-Control"] == IMMUTABLE
    assert served.headers["Content-Type"] == "image/webp"
    assert int(served.headers["Content-Length"]) == len(served.get_data()) == image["bytes"]

    again = api.fetch(image["url"], **{"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert api.fetch(image["url"].replace(".webp", ".png")).status_code == 404


def test_the_app_streams_an_image_from_a_directory(app, client, run_jobs):
    check_streamed(app, client, run_jobs)


@pytest.mark.settings("s3_settings")
def test_the_app_streams_an_image_from_a_bucket(app, client, run_jobs):
    check_streamed(app, client, run_jobs)


@pytest.fixture
def public_bucket(s3_settings, s3_server):
    """The test's bucket, its optimised images readable by anyone (what the docs ask)."""
    bucket = urlsplit(s3_settings["STORAGE_URL"]).netloc
    s3_server.client().put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": f"arn:aws:s3:::{bucket}/files/images/variants/*"}]}))
    return {**s3_settings, "STORAGE_PUBLIC_URL": f"{s3_server.url}/{bucket}/files/"}


@pytest.mark.settings("public_bucket")
def test_with_storage_public_url_image_urls_point_at_the_bucket(app, client, auth, run_jobs):
    public = app.config["STORAGE_PUBLIC_URL"].rstrip("/")  # given with a trailing slash
    _, image = optimised(app, client, run_jobs)
    assert image["url"].startswith(public + "/images/variants/")
    assert image["url"].endswith(".webp")

    # fetched as any browser would, from the bucket, with what the app stored with it
    fetched = requests.get(image["url"], timeout=10)
    assert fetched.status_code == 200 and len(fetched.content) == image["bytes"]
    assert fetched.headers["Content-Type"] == "image/webp"
    assert fetched.headers["Cache-Control"] == IMMUTABLE

    # the pages show it from there, and their policy lets the browser load it
    auth.login("bea@example.com")
    page = client.get("/images/")
    assert page.status_code == 200
    assert f'src="{image["url"]}"' in page.get_data(as_text=True)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(public))
    assert f"img-src 'self' data: {origin}" in page.headers["Content-Security-Policy"]
