"""The S3 backend: objects in one bucket under a prefix, on any S3-compatible store.

Through boto3 (AWS S3, Cloudflare R2, MinIO, Ceph, Backblaze, … all speak its
API). Every write is atomic as the local backend's is: S3 shows a PUT's object
whole or not at all, and a multipart upload only once it is completed, so
`put_stream` aborts the upload on any error and no part lingers. A process
killed mid-upload cannot abort: the retry of a job aborts what it left on the
job's own file (`abort_uploads`), and the bucket's lifecycle rule for
incomplete multipart uploads clears any other (docs/configuration.md, "Files").

Each body is sent with its Content-MD5, which every S3-compatible store checks,
rather than the newer CRC checksums that not all of them accept.
"""
import base64
import hashlib
import io
import logging
import os
import threading

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from webapp.infra.storage.s3_reader import S3Reader, missing

log = logging.getLogger(__name__)

# S3 wants parts of at least 5 MiB (all but the last) and at most 10,000 of them, so one
# file may be up to 80 GB; one part is what `put_stream` holds in memory.
PART_SIZE = 8 * 1024 * 1024
READ_BUFFER = 256 * 1024

# One boto3 session for the process. Making a client from a new session loads botocore's S3
# model (~0.2 s); from a session that has loaded it once, ~10 ms. RQ forks a work horse per
# job, so the worker makes the client before it forks (`preload`) and every horse uses it
# (`client`). A session is not thread-safe: the client is made under a lock.
_session = None
_session_lock = threading.Lock()


def shared_session():
    global _session
    if _session is None:
        _session = boto3.session.Session()
    return _session


def content_md5(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


def checked_key(key):
    """`key` when it names an object under the prefix: relative, no empty, `.` or `..` part."""
    if not key or key.startswith("/") or "\\" in key \
            or any(part in ("", ".", "..") for part in key.split("/")):
        raise ValueError(f"storage key escapes the prefix: {key!r}")
    return key


class S3Storage:
    """Keys are relative paths like `images/ab/abcd.webp`, stored as `<prefix>/<key>`."""

    def __init__(self, bucket, prefix="", *, endpoint_url=None, region=None,
                 access_key_id=None, secret_access_key=None, connect_timeout=3.0,
                 read_timeout=15.0, max_attempts=3, part_size=PART_SIZE):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.part_size = part_size
        # Unset credentials and region fall to boto3's own chain (its environment variables,
        # an instance or task role), as every AWS tool does.
        self._client_args = {
            "service_name": "s3", "endpoint_url": endpoint_url, "region_name": region,
            "aws_access_key_id": access_key_id, "aws_secret_access_key": secret_access_key,
            "config": Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                             retries={"mode": "standard",
                                      "total_max_attempts": max_attempts}),
        }
        self._client, self._pid = None, None

    @property
    def client(self):
        # A process forked from the one that made the client (gunicorn's workers, RQ's work
        # horse) keeps the client, whose model is loaded, but drops the pooled connections
        # it inherited (`close` empties the pool; the client opens new ones as it needs
        # them): two processes must never talk over one socket.
        if self._client is None or self._pid != os.getpid():
            with _session_lock:
                if self._client is None:
                    self._client = shared_session().client(**self._client_args)
                elif self._pid != os.getpid():
                    self._client.close()
                self._pid = os.getpid()
        return self._client

    def preload(self):
        """Make the client in a process that forks, for its children (see above)."""
        return self.client

    def name(self, key):
        """The object's key in the bucket."""
        key = checked_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key, data, content_type=None, cache_control=None):
        """One PUT: a reader sees the old object or the whole new one, never a part.

        `content_type` and `cache_control` are kept with the object, for a public bucket
        or CDN (STORAGE_PUBLIC_URL) that serves it as it is."""
        data = bytes(data)
        headers = {"ContentType": content_type, "CacheControl": cache_control}
        self.client.put_object(Bucket=self.bucket, Key=self.name(key), Body=data,
                               ContentMD5=content_md5(data),
                               **{k: v for k, v in headers.items() if v})

    def put_stream(self, key, chunks):
        """Like `put`, from an iterable of bytes; returns the number of bytes written.

        Up to one part is held in memory. A file smaller than a part is one PUT; a
        bigger one a multipart upload, aborted if anything (the iterable included) fails.
        """
        name = self.name(key)
        buffer, written, upload = bytearray(), 0, None
        try:
            for chunk in chunks:
                buffer += chunk
                written += len(chunk)
                while len(buffer) >= self.part_size:
                    upload = upload or Multipart(self.client, self.bucket, name)
                    upload.send(bytes(buffer[:self.part_size]))
                    del buffer[:self.part_size]
            if upload is None:
                self.put(key, buffer)
            else:
                if buffer:
                    upload.send(bytes(buffer))
                upload.complete()
        except BaseException:
            if upload is not None:
                upload.abort()
            raise
        return written

    def abort_uploads(self, key):
        """Aborts every unfinished multipart upload of `key`: what a writer killed mid-upload
        left behind (it could not abort). Only for a key that one writer at a time writes
        (a job's own files); returns how many there were."""
        name = self.name(key)
        pages = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=name)
        stale = [upload["UploadId"] for page in pages for upload in page.get("Uploads", ())
                 if upload["Key"] == name]
        for upload_id in stale:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)
        return len(stale)

    def open(self, key):
        """A seekable binary file object, streamed with ranged GETs; the caller closes it."""
        return io.BufferedReader(S3Reader(self.client, self.bucket, self.name(key)),
                                 buffer_size=READ_BUFFER)

    def size(self, key):
        return self._head(key)["ContentLength"]

    def get(self, key):
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.name(key))
        except ClientError as error:
            if missing(error):
                raise FileNotFoundError(f"no such object: {key}") from None
            raise
        with response["Body"] as body:
            return body.read()

    def exists(self, key):
        try:
            self._head(key)
        except FileNotFoundError:
            return False
        return True

    def delete(self, key):
        """Deleting what is not there is no error, as in the local backend (and S3)."""
        self.client.delete_object(Bucket=self.bucket, Key=self.name(key))

    def _head(self, key):
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.name(key))
        except ClientError as error:
            if missing(error):
                raise FileNotFoundError(f"no such object: {key}") from None
            raise


class Multipart:
    """One multipart upload: parts sent in order, then completed or aborted."""

    def __init__(self, client, bucket, key):
        self.client, self.bucket, self.key = client, bucket, key
        self.upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        self.parts = []

    def send(self, data):
        number = len(self.parts) + 1
        response = self.client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number,
            Body=data, ContentMD5=content_md5(data))
        self.parts.append({"ETag": response["ETag"], "PartNumber": number})

    def complete(self):
        self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts})

    def abort(self):
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key,
                                               UploadId=self.upload_id)
        except Exception:
            # The error that made us abort is the one to raise; the lifecycle rule clears this.
            log.warning("could not abort the multipart upload of %s", self.key, exc_info=True)
