"""`flask storage migrate --to s3://…`: a populated local store moves into a bucket (moto's
server over HTTP), twice, and an app on the bucket then serves every file from it."""
import hashlib
import io
import shutil
from pathlib import Path

import pytest

from tests.factories import api_key, make_codes
from tests.support import images as samples
from tests.support.auth import AuthActions
from tests.support.image_api import stored_files
from webapp.infra.storage import S3Storage, migrate, storage_for


@pytest.fixture
def s3_credentials(s3_settings):
    """The bucket's settings without STORAGE_URL: the app stays on its local directory."""
    return {name: value for name, value in s3_settings.items() if name != "STORAGE_URL"}


pytestmark = pytest.mark.settings("s3_credentials", EXPORT_CHUNK_ROWS=2)


def upload(client, headers, name):
    response = client.post("/api/images/upload", headers=headers,
                           content_type="multipart/form-data",
                           data={"file": (io.BytesIO(samples.photo_bytes(name)), name, "image/png")})
    assert response.status_code == 202, response.json
    return response.json["id"]


def populate(app, client, owner, run_jobs):
    """Images uploaded and optimised, a codes export and an images ZIP, through the app:
    (image URL paths, job file URL paths, API headers)."""
    headers = api_key(app)
    images = [upload(client, headers, "coffee.png"), upload(client, headers, "chelsea.png")]
    make_codes(app, owner, 5)
    jobs = [client.post("/api/exports", json=body, headers=headers).json["job_id"]
            for body in ({"what": "codes"}, {"what": "images", "format": "png"})]
    run_jobs()
    urls = []
    for image_id in images:
        image = client.get(f"/api/images/{image_id}", headers=headers).json
        assert image["status"] == "ready", image
        urls.append("/images/" + image["url"].rsplit("/images/", 1)[1])
    files = []
    for job_id in jobs:
        job = client.get(f"/api/jobs/{job_id}", headers=headers).json
        assert job["status"] == "completed", job
        files += [file["url"] for file in job["result"]["files"]]
    assert len(files) == 2
    return urls, files, headers


def served(client, paths):
    answers = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        answers[path] = hashlib.sha256(response.get_data()).hexdigest()
    return answers


def migrate_to(app, url, *args):
    return app.test_cli_runner().invoke(args=["storage", "migrate", "--to", url, *args])


def test_a_local_store_moves_to_a_bucket_and_is_served_from_it(
        app, app_factory, client, owner, run_jobs, s3_server, s3_settings, tmp_path):
    urls, files, _ = populate(app, client, owner, run_jobs)
    local = served(client, urls + files)
    keys = stored_files(app)
    assert any(k.startswith("images/variants/") for k in keys)
    assert sum(k.startswith("jobs/") for k in keys) >= 2
    bucket_url = s3_settings["STORAGE_URL"]

    dry = migrate_to(app, bucket_url, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.output.count("would copy ") == len(keys)
    assert f"{len(keys)} to copy, 0 already there" in dry.output

    first = migrate_to(app, bucket_url)
    assert first.exit_code == 0, first.output
    assert "skipped 0, failed 0" in first.output and f"copied {len(keys)} (" in first.output
    bucket = migrate.bucket_objects(storage_for({"STORAGE_DIR": "", **s3_settings}))
    root = Path(app.config["STORAGE_DIR"])
    assert sorted(bucket) == keys
    assert all(bucket[k][0] == (root / k).stat().st_size for k in keys)

    again = migrate_to(app, bucket_url, "--checksum")
    assert again.exit_code == 0, again.output
    assert f"copied 0 (0 bytes), skipped {len(keys)}, failed 0" in again.output

    # The local store is gone: the app on the bucket (with an empty directory of its own,
    # the same database and Redis) serves every image and job file with the same bytes.
    shutil.rmtree(root)
    moved = app_factory(**{**s3_settings, "STORAGE_DIR": str(tmp_path / "empty")})
    moved_client = moved.test_client()
    AuthActions(moved_client).login()
    assert served(moved_client, urls + files) == local
    assert not (tmp_path / "empty").exists()


def test_an_interrupted_or_changed_copy_is_resumed_and_only_that(
        app, client, owner, run_jobs, s3_server, s3_settings):
    populate(app, client, owner, run_jobs)
    keys = stored_files(app)
    bucket_url = s3_settings["STORAGE_URL"]
    assert migrate_to(app, bucket_url).exit_code == 0
    target = storage_for({"STORAGE_DIR": "", **s3_settings})
    root = Path(app.config["STORAGE_DIR"])
    gone, shorter, same_size = keys[0], keys[1], keys[-1]
    target.delete(gone)
    target.put(shorter, b"cut short")
    (root / same_size).write_bytes(bytes(reversed((root / same_size).read_bytes())))

    by_size = migrate_to(app, bucket_url, "--dry-run")
    assert by_size.output.count("would copy ") == 2
    assert f"would copy {gone} " in by_size.output and f"would copy {shorter} " in by_size.output

    resumed = migrate_to(app, bucket_url, "--checksum")
    assert resumed.exit_code == 0, resumed.output
    assert "copied 3 (" in resumed.output and f"skipped {len(keys) - 3}, failed 0" in resumed.output
    for key in (gone, shorter, same_size):
        assert target.get(key) == (root / key).read_bytes()


def test_the_etag_of_a_multipart_upload_is_recomputed_from_the_file(s3_server, tmp_path):
    target = s3_server.storage(s3_server.new_bucket())
    assert isinstance(target, S3Storage)
    target.part_size = 5 * 1024 * 1024  # S3's least, to keep the files small
    source = storage_for({"STORAGE_DIR": str(tmp_path)})
    sizes = {"small": 1000, "one-part": 5 * 1024 * 1024, "three-parts": 11 * 1024 * 1024}
    for name, size in sizes.items():
        data = (name.encode() * size)[:size]
        source.put(f"f/{name}", data)
        target.put_stream(f"f/{name}", [data[i:i + 65536] for i in range(0, size, 65536)])
    objects = migrate.bucket_objects(target)
    for name, size in sizes.items():
        assert migrate.local_etag(source, f"f/{name}", size, target.part_size) \
            == objects[f"f/{name}"][1]
    assert objects["f/small"][1] == hashlib.md5(b"small" * 200).hexdigest()
    assert objects["f/three-parts"][1].endswith("-3")


def test_failures_are_counted_and_the_exit_status_says_so(app, client, owner, run_jobs, s3_server,
                                                           s3_settings):
    populate(app, client, owner, run_jobs)
    keys = stored_files(app)
    missing = s3_settings["STORAGE_URL"].replace("s3://scanlink-", "s3://no-such-bucket-")
    listing = migrate_to(app, missing)
    assert listing.exit_code != 0 and "NoSuchBucket" in listing.output

    # The bucket goes away between the listing and the copies: every copy fails, and says so.
    target = storage_for({"STORAGE_DIR": "", **s3_settings})
    items = migrate.plan(storage_for(app.config), target)
    client_ = s3_server.client()
    client_.delete_bucket(Bucket=target.bucket)
    summary = migrate.run(storage_for(app.config), target, items)
    assert (summary.copied, len(summary.failed)) == (0, len(keys))


def test_only_a_local_store_moves_and_only_into_a_bucket(app, app_factory, s3_settings, tmp_path):
    to_dir = migrate_to(app, f"file://{tmp_path}/elsewhere")
    assert to_dir.exit_code != 0 and "--to takes a bucket" in to_dir.output
    on_bucket = app_factory(**s3_settings)
    from_bucket = migrate_to(on_bucket, s3_settings["STORAGE_URL"])
    assert from_bucket.exit_code != 0 and "not a local directory" in from_bucket.output
