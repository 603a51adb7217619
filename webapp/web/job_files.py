"""A job's file, sent after the access check: to the jobs page and to the API alike.

Job files are private to their workspace: they are streamed through the app from storage,
never given a public URL."""
from flask import abort, send_file

from webapp.infra.storage import get_storage
from webapp.services.jobs import owned


def send_job_file(workspace_id, job_id, name):
    key, filename, content_type = owned.download(workspace_id, job_id, name)
    storage = get_storage()
    if not storage.exists(key):
        abort(404, "That file is gone; run the job again to make a new one.")
    return send_file(storage.open(key), mimetype=content_type, as_attachment=True,
                     download_name=filename, max_age=0)
