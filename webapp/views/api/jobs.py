"""Jobs in the API: read one, and the cron hook that runs due periodic work."""
import hmac

from flask import abort, current_app, g, jsonify, request, url_for
from redis.exceptions import RedisError

from webapp.services import ServiceError
from webapp.services.jobs import owned, periodic
from webapp.views.api.blueprint import bp, public
from webapp.views.api.schema import operation
from webapp.web.access import needs
from webapp.web.job_files import send_job_file


def file_url(row, name):
    return url_for("api.job_file", job_id=row.id, name=name)


@bp.get("/jobs/<job_id>")
@needs("viewer")
@operation("GET", "/api/jobs/{job_id}", "A background job: status, progress, result, errors",
           tag="jobs")
def get_job(job_id):
    return jsonify(owned.to_dict(owned.get_owned(g.actor.workspace_id, job_id), file_url))


@bp.get("/jobs/<job_id>/files/<name>")
@needs("viewer")
@operation("GET", "/api/jobs/{job_id}/files/{name}", "A file a job made (an export, an error "
           "report), streamed", tag="jobs", response={"application/octet-stream": {}})
def job_file(job_id, name):
    return send_job_file(g.actor.workspace_id, job_id, name)


def cron_secret_matches():
    secret = current_app.config.get("CRON_SECRET")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if not secret or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), secret.encode())


@bp.post("/jobs/process")
@public
@operation("POST", "/api/jobs/process", "For an outside cron: run one sweep of due periodic work",
           public=True, tag="jobs")
def process_due_work():
    if not cron_secret_matches():
        abort(401, "Send Authorization: Bearer <CRON_SECRET> (and set CRON_SECRET on the server).")
    try:
        report = periodic.run_due()
    except RedisError:
        raise ServiceError("Redis is unavailable; periodic work cannot be coordinated right now.",
                           status=503, code="unavailable") from None
    return jsonify(report)
