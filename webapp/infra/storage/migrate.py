"""Moving a local store into a bucket: `flask storage migrate --to s3://bucket/prefix`.

The keys stay the same (`images/…`, `jobs/<id>/…`), so once every object is in
the bucket, setting `STORAGE_URL` to it serves every image and job file from there.

Resumable and idempotent: one listing of the bucket (1,000 keys a request) says
what is there, and a key already present with the local file's size is skipped.
Size is enough against an interrupted run, because the bucket never shows a
half-copied object (a PUT is whole or absent, a multipart upload visible only
once completed; see s3.py), and because the files are written once: optimised
images are named by their content's SHA-256, job files by their job. A file
rewritten in place with another content of the same size is what size alone
misses; `checksum=True` compares the object's ETag with the local file's MD5 as
well — for a single PUT the ETag is the content's MD5; for a multipart upload it is
the MD5 of the parts' MD5s and the count ("…-3"), which we can recompute because
our own uploads cut parts of a known size (PART_SIZE). An ETag made otherwise
(another tool's part size, server-side encryption with KMS) does not match, and the
object is copied again: a wasted copy, never a wrong skip.

Each copy streams the file through `put_stream` (one part in memory at a time).
"""
import hashlib
import os
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from webapp.infra.storage.local import LocalStorage
from webapp.infra.storage.s3 import S3Storage

READ_CHUNK = 1024 * 1024


@dataclass
class Item:
    key: str
    size: int
    action: str  # "copy" or "skip"
    reason: str  # "missing", "size differs", "checksum differs", "same size", "same checksum"


@dataclass
class Summary:
    copied: int = 0
    skipped: int = 0
    copied_bytes: int = 0
    failed: list = field(default_factory=list)  # (key, error message)


def check_pair(source, target):
    if not isinstance(source, LocalStorage):
        raise ValueError("the current storage is not a local directory: set STORAGE_URL to the "
                         "local store (or unset it, for STORAGE_DIR) to migrate from it")
    if not isinstance(target, S3Storage):
        raise ValueError("--to takes a bucket: s3://bucket/prefix")


def local_files(source):
    """(key, size) of every file of the local store, in key order; temporary files of
    writes in progress (`.tmp-…`, renamed when whole) are not files of the store."""
    root = source.root
    found = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in names:
            if name.startswith(".tmp-"):
                continue
            path = os.path.join(folder, name)
            key = os.path.relpath(path, root).replace(os.sep, "/")
            found.append((key, os.path.getsize(path)))
    return sorted(found)


def bucket_objects(target):
    """{key: (size, etag)} of the objects under the target's prefix."""
    prefix = f"{target.prefix}/" if target.prefix else ""
    objects = {}
    pages = target.client.get_paginator("list_objects_v2").paginate(
        Bucket=target.bucket, Prefix=prefix)
    try:
        for page in pages:
            for entry in page.get("Contents", ()):
                objects[entry["Key"][len(prefix):]] = (entry["Size"], entry["ETag"].strip('"'))
    except (BotoCoreError, ClientError) as error:
        raise ValueError(f"cannot list s3://{target.bucket}/{prefix}: {error}") from None
    return objects


def local_etag(source, key, size, part_size):
    """The ETag our S3 backend's `put_stream` of the file makes: one PUT's MD5 below a
    part's size, else a multipart upload's MD5 of the parts' MD5s and their count."""
    whole, parts = hashlib.md5(), []
    with source.open(key) as f:
        while True:
            part, left = hashlib.md5(), part_size
            while left and (chunk := f.read(min(READ_CHUNK, left))):
                part.update(chunk)
                whole.update(chunk)
                left -= len(chunk)
            if left == part_size:
                break
            parts.append(part.digest())
    if size < part_size:
        return whole.hexdigest()
    return f"{hashlib.md5(b''.join(parts)).hexdigest()}-{len(parts)}"


def plan(source, target, checksum=False):
    """What a migration would do with each local file, as a list of Items."""
    check_pair(source, target)
    present = bucket_objects(target)
    items = []
    for key, size in local_files(source):
        there = present.get(key)
        if there is None:
            items.append(Item(key, size, "copy", "missing"))
        elif there[0] != size:
            items.append(Item(key, size, "copy", "size differs"))
        elif not checksum:
            items.append(Item(key, size, "skip", "same size"))
        elif local_etag(source, key, size, target.part_size) != there[1]:
            items.append(Item(key, size, "copy", "checksum differs"))
        else:
            items.append(Item(key, size, "skip", "same checksum"))
    return items


def copy(source, target, key):
    """Streams one file into the bucket; returns the bytes sent."""
    def chunks():
        with source.open(key) as f:
            while chunk := f.read(READ_CHUNK):
                yield chunk
    return target.put_stream(key, chunks())


def run(source, target, items, summary=None, on_item=None):
    """Copies the items to copy; a failure is recorded and the next goes on."""
    summary = summary or Summary()
    for item in items:
        if item.action == "skip":
            summary.skipped += 1
        else:
            try:
                summary.copied_bytes += copy(source, target, item.key)
                summary.copied += 1
            except Exception as error:  # noqa: BLE001 - reported per key, the run goes on
                summary.failed.append((item.key, f"{type(error).__name__}: {error}"))
        if on_item:
            on_item(item)
    return summary
