"""The storage interface, the same on both backends; which backend `STORAGE_URL` picks.

The S3 backend's own behaviour (parts, aborts, timeouts) is in test_s3_storage.py.
"""
import io
import zipfile

import pytest

from webapp.config import Config, ConfigError
from webapp.infra.storage import LocalStorage, S3Storage, storage_for


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "root")
    server = request.getfixturevalue("s3_server")
    return server.storage(server.new_bucket())


def test_put_get_delete_round_trip(storage):
    storage.put("images/ab/one.bin", b"\x00\x01")
    assert storage.exists("images/ab/one.bin")
    assert storage.get("images/ab/one.bin") == b"\x00\x01"
    assert storage.size("images/ab/one.bin") == 2
    storage.put("images/ab/one.bin", b"replaced")
    assert storage.get("images/ab/one.bin") == b"replaced"
    storage.delete("images/ab/one.bin")
    assert not storage.exists("images/ab/one.bin")
    storage.delete("images/ab/one.bin")  # deleting what is gone is no error


def test_a_missing_file_is_file_not_found(storage):
    for read in (storage.get, storage.open, storage.size):
        with pytest.raises(FileNotFoundError):
            read("jobs/nothing/here.csv")


def test_put_stream_and_open_stream_the_same_bytes(storage):
    chunks = [bytes([n]) * 70_000 for n in range(5)]
    assert storage.put_stream("uploads/big.csv", iter(chunks)) == 350_000
    with storage.open("uploads/big.csv") as stream:
        assert stream.read(70_000) == chunks[0]
        assert stream.read() == b"".join(chunks[1:])
    assert storage.put_stream("uploads/empty.csv", iter([])) == 0
    assert storage.get("uploads/empty.csv") == b""


def test_open_is_seekable_enough_for_zipfile_and_text(storage):
    """services/jobs/files.py joins part ZIPs read from storage; the CSV reader wraps it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.txt", "first " * 1000)
        archive.writestr("b.txt", "second " * 1000)
    storage.put("jobs/j1/parts/images.000000", buffer.getvalue())
    with storage.open("jobs/j1/parts/images.000000") as raw, zipfile.ZipFile(raw) as archive:
        assert archive.read("b.txt") == b"second " * 1000
        assert archive.read("a.txt") == b"first " * 1000
    storage.put("uploads/rows.csv", "slug,title\r\ncafé,Café\r\n".encode())
    with io.TextIOWrapper(storage.open("uploads/rows.csv"), encoding="utf-8", newline="") as text:
        assert text.readline() == "slug,title\r\n"
        assert text.read() == "café,Café\r\n"


def test_a_failing_stream_leaves_the_old_file(storage):
    storage.put("jobs/j1/export.csv", b"old")

    def chunks():
        yield b"new, half"
        raise RuntimeError("the job died")

    with pytest.raises(RuntimeError):
        storage.put_stream("jobs/j1/export.csv", chunks())
    assert storage.get("jobs/j1/export.csv") == b"old"


def test_the_local_backend_leaves_no_temporary_files(tmp_path):
    storage = LocalStorage(tmp_path)
    storage.put("images/ab/one.bin", b"\x00\x01")
    storage.delete("images/ab/one.bin")
    assert list((tmp_path / "images" / "ab").iterdir()) == []


@pytest.mark.parametrize("key", ["../outside", "a/../../outside", "/etc/passwd"])
def test_keys_cannot_escape_the_root(storage, key):
    with pytest.raises(ValueError):
        storage.put(key, b"x")


# --- which backend ------------------------------------------------------------------------

def test_unset_storage_url_is_the_storage_dir(tmp_path):
    storage = storage_for({"STORAGE_URL": None, "STORAGE_DIR": str(tmp_path / "files")})
    assert isinstance(storage, LocalStorage) and storage.root == tmp_path / "files"


@pytest.mark.parametrize("url", ["{dir}", "file://{dir}"])
def test_a_path_or_file_url_is_a_local_directory(tmp_path, url):
    storage = storage_for({"STORAGE_URL": url.format(dir=tmp_path / "my files"),
                           "STORAGE_DIR": "unused"})
    storage.put("a/b.txt", b"x")
    assert (tmp_path / "my files" / "a" / "b.txt").read_bytes() == b"x"


def test_an_s3_url_names_the_bucket_prefix_endpoint_and_timeouts():
    storage = storage_for({
        "STORAGE_URL": "s3://scans/prod/files/", "STORAGE_DIR": "unused",
        "S3_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret",
        "STORAGE_CONNECT_TIMEOUT": 1.5, "STORAGE_READ_TIMEOUT": 7.0, "STORAGE_MAX_ATTEMPTS": 2})
    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.name("images/x.webp")) == ("scans", "prod/files/images/x.webp")
    meta = storage.client.meta
    assert (meta.endpoint_url, meta.region_name) == ("http://127.0.0.1:9", "eu-central-1")
    assert (meta.config.connect_timeout, meta.config.read_timeout) == (1.5, 7.0)
    assert meta.config.retries == {"mode": "standard", "total_max_attempts": 2}


@pytest.mark.parametrize("url", ["ftp://host/files", "file://relative/path", "s3:///prefix"])
def test_a_storage_url_of_another_kind_is_refused(url, monkeypatch):
    with pytest.raises(ValueError):
        storage_for({"STORAGE_URL": url, "STORAGE_DIR": "unused"})
    monkeypatch.setenv("STORAGE_URL", url)
    with pytest.raises(ConfigError, match="STORAGE_URL"):
        Config().update(SECRET_KEY="x").finalise()
