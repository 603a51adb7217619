"""Background jobs as the signed-in user sees them."""
from flask import Blueprint, abort
from flask_login import current_user, login_required

from .. import jobqueue
from ..extensions import db
from ..models import BackgroundJob
from ..rendering import render

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def own_job(job_id):
    row = db.session.get(BackgroundJob, job_id)
    if row is None or row.owner_id != current_user.id:
        abort(404)
    return row


@bp.post("/worker-check")
@login_required
def worker_check():
    row = jobqueue.submit("worker.check", owner_id=current_user.id)
    return render("jobs/_worker_check.html", block="worker_check", job=row), 202


@bp.get("/<job_id>/worker-check")
@login_required
def worker_check_status(job_id):
    return render("jobs/_worker_check.html", block="worker_check", job=own_job(job_id))
