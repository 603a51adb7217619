"""Background jobs as the signed-in user sees them."""
from flask import Blueprint, abort, flash, g, redirect, request, url_for

from webapp.extensions import db
from webapp.models import BackgroundJob
from webapp.services import Conflict, ServiceError
from webapp.services.exports import export_jobs
from webapp.services.jobs import owned as job_service
from webapp.services.jobs import queues
from webapp.web.access import needs
from webapp.web.job_files import send_job_file
from webapp.web.rendering import render

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

# htmx stops an `every` poll when the answer has this status.
STOP_POLLING = 286


def own_job(job_id):
    try:
        return job_service.get_owned(g.actor.workspace_id, job_id)
    except ServiceError:
        abort(404)


def card(row, status=200, message=None):
    """One job's card; a finished job's card answers 286 and carries no poll, so polling ends."""
    if status == 200 and not row.is_active and request.args.get("poll"):
        status = STOP_POLLING
    job_service.with_rows_in_hand([row])
    return render("jobs/_job.html", block="job", job=row, label=queues.label_of(row.type),
                  files=job_service.file_names(row), message=message), status


def act_on(job_id, action):
    """Cancel or retry; a refusal is shown on the card itself."""
    try:
        row = action(g.actor.workspace_id, job_id)
    except Conflict as exc:
        db.session.rollback()
        row, status, message = own_job(job_id), exc.status, exc.message
    else:
        db.session.commit()
        status, message = 200, None
    if request.headers.get("HX-Request"):
        return card(row, status=status, message=message)
    if message:
        flash(message, "error")
    return redirect(url_for(".index"))


@bp.get("/")
@needs("viewer")
def index():
    rows = job_service.with_rows_in_hand(job_service.list_for(g.actor.workspace_id))
    return render("jobs/index.html", jobs=rows, label_of=queues.label_of,
                  file_names=job_service.file_names)


@bp.get("/<job_id>/card")
@needs("viewer", follow=(BackgroundJob, "job_id"))
def job_card(job_id):
    return card(own_job(job_id))


@bp.post("/<job_id>/cancel")
@needs("editor", follow=(BackgroundJob, "job_id"))
def cancel(job_id):
    return act_on(job_id, job_service.cancel)


@bp.post("/<job_id>/retry")
@needs("editor", follow=(BackgroundJob, "job_id"))
def retry(job_id):
    return act_on(job_id, job_service.retry)


@bp.post("/exports")
@needs("editor")
def start_export():
    row = export_jobs.start_export(g.actor, request.form.get("what", ""),
                               request.form.get("format") or None)
    if request.headers.get("HX-Request"):
        return card(row, status=202)
    return redirect(url_for(".index"))


@bp.get("/<job_id>/files/<name>")
@needs("viewer", follow=(BackgroundJob, "job_id"))
def download(job_id, name):
    return send_job_file(g.actor.workspace_id, job_id, name)


@bp.post("/worker-check")
@needs("viewer")
def worker_check():
    row = queues.submit("worker.check", g.actor)
    return render("jobs/_worker_check.html", block="worker_check", job=row), 202


@bp.get("/<job_id>/worker-check")
@needs("viewer", follow=(BackgroundJob, "job_id"))
def worker_check_status(job_id):
    return render("jobs/_worker_check.html", block="worker_check", job=own_job(job_id))
