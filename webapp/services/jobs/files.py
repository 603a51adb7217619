"""Files jobs produce: written in parts chunk by chunk, joined at the end, kept for a while.

A part is rewritten with the same bytes when a chunk is redone after a crash,
so joining the parts gives every row once. Parts are deleted only after the
row that records the joined file commits (a crash in between joins again).
"""
import shutil
import tempfile
import zipfile
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, tuple_

from webapp.extensions import db
from webapp.infra.storage import get_storage
from webapp.models import BackgroundJob
from webapp.models.base import utcnow
from webapp.services.signals import after_commit

READ_CHUNK = 64 * 1024


def file_key(job_id, filename):
    return f"jobs/{job_id}/{filename}"


def part_key(job_id, name, number):
    return f"jobs/{job_id}/parts/{name}.{number:06d}"


def put_part(job_id, name, number, data):
    get_storage().put(part_key(job_id, name, number), data)


def _numbers(parts):
    """Parts 0..parts-1, or the part numbers given (a chunked job's chunks that made one)."""
    return range(parts) if isinstance(parts, int) else list(parts)


def _read_parts(storage, job_id, name, parts):
    for number in _numbers(parts):
        with storage.open(part_key(job_id, name, number)) as part:
            while chunk := part.read(READ_CHUNK):
                yield chunk


def join_parts(job_id, name, parts, filename, content_type, head=b""):
    """Joins the parts (see `_numbers`) into one file; returns its entry for `result["files"]`."""
    storage = get_storage()
    key = file_key(job_id, filename)

    def chunks():
        if head:
            yield head
        yield from _read_parts(storage, job_id, name, parts)

    storage.abort_uploads(key)  # a run killed while it uploaded the file left one
    size = storage.put_stream(key, chunks())
    after_commit(delete_parts, storage, job_id, name, parts)
    return {"key": key, "filename": filename, "content_type": content_type, "bytes": size}


def join_zip_parts(job_id, name, parts, filename):
    """Merges part ZIPs (one per chunk) into one ZIP, entry by entry.

    Memory stays flat: the ZIP is built in a temporary file, each entry is
    copied as a stream, and the result goes to storage in chunks.
    """
    storage = get_storage()
    key = file_key(job_id, filename)
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as joined:
            for number in _numbers(parts):
                with storage.open(part_key(job_id, name, number)) as raw, \
                        zipfile.ZipFile(raw) as part:
                    for info in part.infolist():
                        with part.open(info) as source, joined.open(info, "w") as target:
                            shutil.copyfileobj(source, target, READ_CHUNK)
        spool.seek(0)
        storage.abort_uploads(key)  # a run killed while it uploaded the file left one
        size = storage.put_stream(key, iter(lambda: spool.read(READ_CHUNK), b""))
    after_commit(delete_parts, storage, job_id, name, parts)
    return {"key": key, "filename": filename, "content_type": "application/zip", "bytes": size}


def delete_parts(storage, job_id, name, parts):
    for number in _numbers(parts):
        storage.delete(part_key(job_id, name, number))


def purge_expired_files(batch=500):
    """Periodic: delete the files of jobs that finished more than JOB_FILES_RETENTION_DAYS ago.

    It looks back over a bounded window (30 days before the cutoff) so the scan
    stays small as old jobs pile up; it runs hourly, so every job crosses it.
    """
    cutoff = utcnow() - timedelta(days=current_app.config["JOB_FILES_RETENTION_DAYS"])
    storage = get_storage()
    purged, after = 0, (cutoff - timedelta(days=30), "")
    while True:
        rows = db.session.scalars(
            select(BackgroundJob)
            .where(BackgroundJob.finished_at < cutoff,
                   tuple_(BackgroundJob.finished_at, BackgroundJob.id) > after)
            .order_by(BackgroundJob.finished_at, BackgroundJob.id).limit(batch)
        ).all()
        if not rows:
            return {"purged": purged}
        for row in rows:
            purged += _purge_files(storage, row)
        after = (rows[-1].finished_at, rows[-1].id)


def _purge_files(storage, row):
    errors_key = (row.row_errors or {}).get("key")
    keys = [entry["key"] for entry in row.files.values()] + ([errors_key] if errors_key else [])
    # A bulk job's upload stays while the job may still be retried.
    upload_key = (row.payload or {}).get("upload_key")
    if upload_key:
        storage.delete(upload_key)
    if not keys:
        return 0
    for key in keys:
        storage.delete(key)
    if row.files:
        row.result = {**row.result, "files": {}, "files_expired": True}
    if errors_key:
        row.row_errors = {**row.row_errors, "key": None, "file_expired": True}
    return 1
