"""The S3 backend against a real S3-compatible server over HTTP (moto's, tests/support/s3.py).

What is particular to it: objects under the prefix, multipart uploads that are
completed or aborted (never left half), ranged reads, timeouts and retries.
"""
import hashlib
import random
import socket
import threading
import time

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from webapp.infra.storage import S3Storage, get_storage
from webapp.infra.storage.s3 import PART_SIZE
from webapp.services.csvfiles.reader import Columns, CsvFile, store_upload

MiB = 1024 * 1024


@pytest.fixture
def bucket(s3_server):
    return s3_server.new_bucket()


@pytest.fixture
def storage(s3_server, bucket):
    return s3_server.storage(bucket, prefix="scanlink/files")


def keys_in(s3_server, bucket):
    return sorted(item["Key"] for item in
                  s3_server.client().list_objects_v2(Bucket=bucket).get("Contents", []))


def pending_uploads(s3_server, bucket):
    return s3_server.client().list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def random_chunks(total, chunk=MiB, seed=17):
    rng = random.Random(seed)
    for start in range(0, total, chunk):
        yield rng.randbytes(min(chunk, total - start))


def test_objects_live_under_the_prefix(s3_server, bucket, storage):
    storage.put("images/ab/one.webp", b"webp")
    storage.put_stream("uploads/rows.csv", iter([b"a,b\r\n", b"1,2\r\n"]))
    assert keys_in(s3_server, bucket) == ["scanlink/files/images/ab/one.webp",
                                          "scanlink/files/uploads/rows.csv"]
    assert (storage.get("uploads/rows.csv"), storage.size("uploads/rows.csv")) == (b"a,b\r\n1,2\r\n",
                                                                                  10)
    storage.delete("images/ab/one.webp")
    storage.delete("uploads/rows.csv")
    assert keys_in(s3_server, bucket) == []


def test_a_big_stream_goes_up_in_parts_and_comes_back_whole(s3_server, bucket, storage):
    total = 20 * MiB + 12345
    expected = hashlib.sha256()
    for chunk in random_chunks(total):
        expected.update(chunk)
    assert storage.put_stream("jobs/j1/images.zip", random_chunks(total)) == total

    head = s3_server.client().head_object(Bucket=bucket, Key="scanlink/files/jobs/j1/images.zip")
    parts = -(-total // PART_SIZE)
    assert parts >= 3 and head["ETag"].strip('"').endswith(f"-{parts}")  # a multipart object
    assert storage.size("jobs/j1/images.zip") == total
    got = hashlib.sha256()
    with storage.open("jobs/j1/images.zip") as stream:
        while chunk := stream.read(MiB):
            got.update(chunk)
    assert got.hexdigest() == expected.hexdigest()
    assert pending_uploads(s3_server, bucket) == []


@pytest.mark.parametrize("fail_after", [3 * MiB, 2 * PART_SIZE + MiB])
def test_a_stream_that_fails_leaves_no_object_and_no_parts(s3_server, bucket, storage,
                                                          fail_after):
    """Before the first part (one PUT never made) and after two parts were sent."""
    def chunks():
        sent = 0
        for chunk in random_chunks(30 * MiB):
            if sent >= fail_after:
                raise RuntimeError("the worker lost its database")
            sent += len(chunk)
            yield chunk

    with pytest.raises(RuntimeError, match="lost its database"):
        storage.put_stream("jobs/j1/export.csv", chunks())
    assert keys_in(s3_server, bucket) == []
    assert pending_uploads(s3_server, bucket) == []


def test_the_uploads_a_killed_writer_left_on_a_key_are_aborted(s3_server, bucket, storage):
    """A process killed mid-upload cannot abort; the next writer of the key does."""
    client = s3_server.client()
    for key in ("jobs/j1/images.zip", "jobs/j1/images.zip", "jobs/j1/images.zip.old"):
        upload = client.create_multipart_upload(Bucket=bucket, Key=f"scanlink/files/{key}")
        client.upload_part(Bucket=bucket, Key=f"scanlink/files/{key}", PartNumber=1,
                           UploadId=upload["UploadId"], Body=b"x" * MiB)
    assert len(pending_uploads(s3_server, bucket)) == 3

    assert storage.abort_uploads("jobs/j1/images.zip") == 2
    assert [u["Key"] for u in pending_uploads(s3_server, bucket)] == [
        "scanlink/files/jobs/j1/images.zip.old"]  # another key's upload is not touched
    assert storage.abort_uploads("jobs/j1/images.zip") == 0
    assert keys_in(s3_server, bucket) == []


def test_a_ranged_read_refuses_an_object_replaced_under_it(storage):
    storage.put("jobs/j1/parts/p.000000", b"a" * MiB)
    with storage.open("jobs/j1/parts/p.000000") as stream:
        assert stream.read(10) == b"a" * 10
        storage.put("jobs/j1/parts/p.000000", b"b" * MiB)
        stream.seek(MiB - 100)  # past the buffer: a new ranged GET, which must match the first
        with pytest.raises(ClientError) as raised:
            stream.read()
    assert raised.value.response["Error"]["Code"] in ("PreconditionFailed", "412")


def test_keys_cannot_escape_the_prefix(s3_server, bucket, storage):
    for key in ["../outside", "a/../../outside", "/etc/passwd", "a//b", "./a", "a/..",
                "a\\..\\b", ""]:
        for call in (lambda: storage.put(key, b"x"), lambda: storage.put_stream(key, [b"x"]),
                     lambda: storage.get(key), lambda: storage.open(key),
                     lambda: storage.size(key), lambda: storage.exists(key),
                     lambda: storage.delete(key)):
            with pytest.raises(ValueError):
                call()
    assert keys_in(s3_server, bucket) == []


class SilentServer:
    """Accepts connections and never answers: a store that hangs. Counts the attempts."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.connections.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self):
        for connection in self.connections:
            connection.close()
        self.sock.close()


@pytest.mark.parametrize("attempts", [1, 2])
def test_a_hanging_store_times_out_after_the_attempts_configured(s3_server, bucket, attempts):
    silent = SilentServer()
    try:
        storage = s3_server.storage(bucket, S3_ENDPOINT_URL=f"http://127.0.0.1:{silent.port}",
                                    STORAGE_READ_TIMEOUT=0.5, STORAGE_CONNECT_TIMEOUT=0.5,
                                    STORAGE_MAX_ATTEMPTS=attempts)
        started = time.monotonic()
        with pytest.raises(ReadTimeoutError):
            storage.size("images/x.webp")
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert len(silent.connections) == attempts
    # Each attempt waits 0.5 s for an answer; standard retries back off under a second.
    assert 0.5 * attempts <= elapsed < 0.5 * attempts + 1.5 * (attempts - 1) + 3


@pytest.mark.settings("s3_settings")
def test_the_app_keeps_its_files_in_the_bucket(app, s3_settings, s3_server):
    """STORAGE_URL=s3://… makes every caller of get_storage() use the bucket; the CSV
    reader streams an upload back through the ranged reader."""
    bucket = s3_settings["STORAGE_URL"].split("/")[2]
    csv = b"slug,target_url\r\n" + b"".join(b"s%d,https://example.com/%d\r\n" % (n, n)
                                            for n in range(2000))
    with app.app_context():
        assert isinstance(get_storage().backend, S3Storage)
        key = store_upload(_Stream(csv))
        source = CsvFile(key, Columns(required=("target_url",), optional=("slug",)))
        assert source.inspect().rows == 2000
        rows = list(source.rows(start=1990))
    assert [row.values["slug"] for row in rows] == [f"s{n}" for n in range(1990, 2000)]
    assert keys_in(s3_server, bucket) == [f"files/{key}"]


class _Stream:
    """An upload as Werkzeug hands it over: something with read(n)."""

    def __init__(self, data):
        self.data, self.at = data, 0

    def read(self, size):
        chunk = self.data[self.at:self.at + size]
        self.at += len(chunk)
        return chunk
