"""A job's file, sent after the access check: to the jobs page and to the API alike.

Job files are private to their workspace: they are streamed through the app from storage
(with their Content-Length and content type; webapp/web/files.py), never given a public
or presigned URL."""
from flask import abort

from webapp.infra.storage import get_storage
from webapp.services.jobs import owned
from webapp.web.files import stream_stored


def send_job_file(workspace_id, job_id, name):
    key, filename, content_type = owned.download(workspace_id, job_id, name)
    try:
        return stream_stored(get_storage(), key, content_type, download_name=filename,
                             headers={"Cache-Control": "private, no-store"})
    except FileNotFoundError:
        abort(404, "That file is gone; run the job again to make a new one.")
