"""Background jobs as their owner sees them: read, cancel, retry, download results."""
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import BackgroundJob
from webapp.services import Conflict, NotFound, ownership
from webapp.services.jobs import chunks, lifecycle, queues

ERRORS_FILE = "errors"


def get_owned(workspace_id, job_id):
    return ownership.get_owned(BackgroundJob, workspace_id, job_id, "No such job.")


def list_for(workspace_id, limit=50, types=None):
    query = select(BackgroundJob).where(BackgroundJob.workspace_id == workspace_id)
    if types:
        query = query.where(BackgroundJob.type.in_(types))
    return db.session.scalars(
        query.order_by(BackgroundJob.created_at.desc(), BackgroundJob.id.desc()).limit(limit)
    ).all()


def with_rows_in_hand(rows):
    """The rows, each running one knowing the rows its workers are going through (`in_hand`),
    so that its progress moves between the commits of its chunks."""
    running = {row.id: row for row in rows if row.status == "processing"}
    for job_id, count in (chunks.in_hand(list(running)) if running else {}).items():
        running[job_id].in_hand = count
    return rows


def cancel(workspace_id, job_id):
    row = get_owned(workspace_id, job_id)
    if not row.is_active:
        raise Conflict("This job has already finished.")
    lifecycle.request_cancel(row.id)
    db.session.flush()
    db.session.refresh(row)
    return row


def retry(workspace_id, job_id):
    row = get_owned(workspace_id, job_id)
    if row.status != "failed":
        raise Conflict("Only a failed job can be retried.")
    spec = queues.JOB_TYPES.get(row.type)
    if spec is None:
        raise Conflict("This kind of job no longer exists, so it cannot run again.")
    if not lifecycle.restart_failed(row.id, row.type, row.queue, spec.max_attempts):
        raise Conflict("This job changed meanwhile; reload the page.")
    db.session.flush()
    db.session.refresh(row)
    return row


def download(workspace_id, job_id, name):
    """(storage key, filename, content type) of one of the job's files."""
    row = get_owned(workspace_id, job_id)
    if name == ERRORS_FILE and (row.row_errors or {}).get("key"):
        return row.row_errors["key"], f"scanlink-errors-{row.id}.csv", "text/csv; charset=utf-8"
    entry = row.files.get(name)
    if entry is None:
        expired = (row.result or {}).get("files_expired") or (row.row_errors or {}).get("file_expired")
        raise NotFound("That file has been deleted; files are kept for a limited time."
                       if expired else "This job has no such file.")
    return entry["key"], entry["filename"], entry["content_type"]


def file_names(row):
    """The names `download` accepts for this row, result files first."""
    names = list(row.files)
    if (row.row_errors or {}).get("key"):
        names.append(ERRORS_FILE)
    return names


def to_dict(row, file_url):
    """The API shape (docs/api.md); `file_url(row, name)` makes download links (views know the routes)."""
    result = dict(row.result or {})
    files = result.pop("files", {}) or {}
    result["files"] = [{"name": name, "filename": entry["filename"], "bytes": entry.get("bytes"),
                        "url": file_url(row, name)} for name, entry in files.items()]
    row_errors = row.row_errors or {}
    return {
        "id": row.id,
        "type": row.type,
        "status": row.status,
        "progress": {"done": row.progress_done, "total": row.progress_total,
                     "percent": row.percent},
        "result": result if row.result is not None else None,
        "errors": {
            "message": row.error,
            "count": row_errors.get("count", 0),
            "sample": row_errors.get("sample", []),
            "url": file_url(row, ERRORS_FILE) if row_errors.get("key") else None,
        },
        "attempts": row.attempts,
        "max_attempts": row.max_attempts,
        "cancel_requested": row.cancel_requested_at is not None,
        "created_at": row.created_at.isoformat(),
        "started_at": row.started_at.isoformat() if row.started_at else None,
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
    }
