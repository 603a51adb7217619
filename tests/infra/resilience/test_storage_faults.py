"""Storage goes away (a real fault: a TCP proxy in front of the S3 server, moto over HTTP).

Scans go on, for they never touch storage; uploads get a 503 with Retry-After and leave
nothing behind; the images page says storage is down; an optimised image is a 503 while
a browser's revalidation still gets its 304; an export whose storage writes fail is
retried by RQ in a real worker and completes, whole, once storage is back.
"""
import csv
import dataclasses
import io
import time
from urllib.parse import urlsplit

import pytest

from tests.factories import api_key, make_code, make_codes
from tests.support import images as samples
from tests.support.faultproxy import FaultProxy
from tests.support.image_api import ImageApi
from tests.support.jobs import WORKER_ENV, job_row, wait_for_status
from tests.support.processes import wait_for
from webapp.extensions import db
from webapp.infra.resilience.breakers import storage_breaker
from webapp.models import BackgroundJob, ImageAsset
from webapp.services.csvfiles import writer
from webapp.services.jobs import queues

# Small, so that no test waits long on a timeout or a reset period.
FAST_STORAGE = dict(
    STORAGE_CONNECT_TIMEOUT=1, STORAGE_READ_TIMEOUT=2, STORAGE_MAX_ATTEMPTS=1,
    STORAGE_BREAKER_FAIL_MAX=2, STORAGE_BREAKER_RESET_SECONDS=1,
    RETRY_ATTEMPTS=2, RETRY_WAIT_INITIAL=0.01, RETRY_WAIT_MAX=0.05,
    EXPORT_CHUNK_ROWS=3, METRICS_TOKEN="scrape-me-0123456789",
)
SCRAPER = {"Authorization": f"Bearer {FAST_STORAGE['METRICS_TOKEN']}"}


@pytest.fixture
def storage_proxy(s3_server):
    parts = urlsplit(s3_server.url)
    proxy = FaultProxy(parts.hostname, parts.port).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def bucket(s3_server):
    return s3_server.new_bucket()


@pytest.fixture
def through_storage_proxy(s3_server, storage_proxy, bucket):
    """The test's bucket, reached through the proxy."""
    return {**s3_server.settings(bucket), **FAST_STORAGE,
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{storage_proxy.port}"}


pytestmark = pytest.mark.settings("through_storage_proxy")


def objects(s3_server, bucket):
    """What is in the bucket, seen directly, not through the proxy."""
    listing = s3_server.client().list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def count(app, model):
    with app.app_context():
        return db.session.query(model).count()


def test_scans_go_on_while_storage_is_down(app, client, storage_proxy):
    with app.app_context():
        make_code(slug="shop", target_url="https://shop.example/window")
    storage_proxy.cut()
    for _ in range(3):
        response = client.get("/s/shop")
        assert response.status_code == 302
        assert response.headers["Location"] == "https://shop.example/window"
    # storage really is unreachable from this app
    api = ImageApi(app, client, "bea@example.com")
    assert api.upload(samples.photo_bytes("coffee.png")).status_code == 503


def test_an_upload_answers_503_with_retry_after_and_keeps_nothing(
        app, client, auth, storage_proxy, s3_server, bucket):
    api = ImageApi(app, client, "bea@example.com")
    data = samples.photo_bytes("coffee.png")
    storage_proxy.cut()

    response = api.upload(data)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json["error"]["code"] == "unavailable"
    assert "storage" in response.json["error"]["message"].lower()
    assert count(app, ImageAsset) == 0 and count(app, BackgroundJob) == 0
    assert objects(s3_server, bucket) == []

    # the breaker is open now, shared, and reported
    with app.app_context():
        assert storage_breaker().current_state == "open"
    ready = client.get("/readyz", headers=SCRAPER)
    assert ready.status_code == 200  # scans and pages work: storage does not make it unready
    assert ready.json["breakers"]["storage"]["state"] == "open"

    # the page says so, and its upload is refused the same way
    auth.signup()
    page = client.get("/images/")
    assert page.status_code == 200 and 'id="storage-down"' in page.get_data(as_text=True)
    refused = client.post("/images/upload", data={
        "csrf_token": auth.token("/images/"),
        "file": (io.BytesIO(data), "coffee.png")}, content_type="multipart/form-data")
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1
    assert "not answering" in refused.get_data(as_text=True)
    assert count(app, ImageAsset) == 0 and objects(s3_server, bucket) == []

    # storage is back: after the breaker's reset time the same upload goes through
    storage_proxy.restore()
    time.sleep(FAST_STORAGE["STORAGE_BREAKER_RESET_SECONDS"] + 0.2)
    accepted = api.upload(data)
    assert accepted.status_code == 202, accepted.json
    assert len(objects(s3_server, bucket)) == 1  # the original
    assert 'id="storage-down"' not in client.get("/images/").get_data(as_text=True)


def test_optimised_images_stream_from_the_bucket_and_503_while_it_is_down(
        app, client, storage_proxy, s3_server, bucket, run_jobs):
    api = ImageApi(app, client, "bea@example.com")
    uploaded = api.upload(samples.photo_bytes("coffee.png"))
    assert uploaded.status_code == 202
    assert run_jobs() == 1
    url = api.get(uploaded.json["id"]).json["url"]
    with app.app_context():
        key = db.session.get(ImageAsset, uploaded.json["id"]).variant_key
    stored = s3_server.client().get_object(Bucket=bucket, Key=f"files/{key}")
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"

    served = api.fetch(url)
    assert served.status_code == 200
    assert served.get_data() == stored["Body"].read()
    assert int(served.headers["Content-Length"]) == stored["ContentLength"]
    assert served.headers["Content-Type"] == stored["ContentType"] == "image/webp"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    etag = served.headers["ETag"]

    storage_proxy.cut()
    down = api.fetch(url)
    assert down.status_code == 503 and int(down.headers["Retry-After"]) >= 1
    assert "immutable" not in down.headers.get("Cache-Control", "")
    # a browser that has it asks again without storage: the hash in the URL is the ETag
    assert api.fetch(url, **{"If-None-Match": etag}).status_code == 304


def test_an_export_whose_storage_writes_fail_is_retried_and_completes(
        app, client, owner, storage_proxy, s3_server, bucket, worker_process, monkeypatch):
    # The real retry policy of an export, with waits of seconds instead of minutes.
    spec = queues.JOB_TYPES["exports.codes"]
    monkeypatch.setitem(queues.JOB_TYPES, "exports.codes",
                        dataclasses.replace(spec, retries=(1, 2, 2)))
    headers = api_key(app)
    make_codes(app, owner, 10)
    worker = worker_process(**WORKER_ENV, **FAST_STORAGE)

    storage_proxy.cut()
    response = client.post("/api/exports", json={"what": "codes"}, headers=headers)
    assert response.status_code == 202
    job_id = response.json["job_id"]

    def failed_once():
        row = job_row(app, job_id)
        return row if row.attempts >= 1 and row.status == "pending" and row.error else None

    try:
        row = wait_for(failed_once, timeout=30, message="the first attempt to fail")
    except AssertionError:
        print(worker.output())
        raise
    assert "StorageUnavailable" in row.error
    assert objects(s3_server, bucket) == []

    storage_proxy.restore()
    row = wait_for_status(app, job_id, timeout=60, worker=worker)
    assert row.status == "completed", (row.error, worker.output())
    assert row.attempts >= 2

    [file] = client.get(f"/api/jobs/{job_id}", headers=headers).json["result"]["files"]
    download = client.get(file["url"])
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("text/csv")
    assert int(download.headers["Content-Length"]) == len(download.get_data())
    raw = download.get_data()
    assert raw.startswith(writer.BOM)
    rows = list(csv.DictReader(io.StringIO(raw[len(writer.BOM):].decode("utf-8"))))
    assert sorted(r["title"] for r in rows) == sorted(f"Code {n}" for n in range(10))
    # the joined file alone: its parts are deleted once the job's row is committed
    wait_for(lambda: len(objects(s3_server, bucket)) == 1, timeout=10, message="parts deleted")
    [kept] = objects(s3_server, bucket)
    assert kept.startswith(f"files/jobs/{job_id}/") and "/parts/" not in kept
