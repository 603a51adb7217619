"""The bulk page: create or change codes from a CSV, and follow the jobs that do it."""
from flask import Blueprint, Response, current_app, flash, g, redirect, request, url_for
from flask_login import login_required

from webapp.extensions import db, htmx
from webapp.services import ServiceError
from webapp.services.bulk import uploads
from webapp.services.codes import styles
from webapp.services.csvfiles.writer import BOM, encode_rows
from webapp.services.jobs import owned as job_service
from webapp.services.jobs import queues
from webapp.views.bulk.csv_upload import uploaded_csv
from webapp.views.jobs import card
from webapp.web.access import needs
from webapp.web.rendering import render

bp = Blueprint("bulk", __name__, url_prefix="/codes/bulk")

BULK_TYPES = ("bulk.create", "bulk.update")
SAMPLE_CREATE = [
    ["target_url", "content", "kind", "title", "slug", "style"],
    ["https://shop.example.com/products/espresso-cup", "", "dynamic", "Espresso cup", "", ""],
    ["https://shop.example.com/products/latte-glass", "", "dynamic", "Latte glass", "", ""],
    ["", "Table 12 · ask for today's special", "static", "Table card 12", "", ""],
]
SAMPLE_UPDATE = [
    ["slug", "target_url", "title", "active"],
    ["your-slug-here", "https://shop.example.com/products/espresso-cup-2027", "", ""],
    ["another-slug", "", "Latte glass (new shape)", ""],
    ["a-third-slug", "", "", "false"],
]


@bp.before_request
@login_required
def require_login():
    return None


def page(block="content", status=200, **errors):
    presets = [preset.name for preset in styles.list_presets(g.actor)]
    return render("bulk/index.html", block=block, presets=presets, errors=errors,
                  label_of=queues.label_of, file_names=job_service.file_names,
                  form=request.form, jobs=job_service.with_rows_in_hand(
                      job_service.list_for(g.actor.workspace_id, 10, BULK_TYPES)),
                  max_bytes=current_app.config["CSV_MAX_BYTES"],
                  max_rows=current_app.config["CSV_MAX_ROWS"]), status


def start(submit, form_name):
    """Submits the job; a refused file is shown on its own form, with nothing queued."""
    try:
        row = submit(uploaded_csv())
    except ServiceError as exc:
        db.session.rollback()
        if htmx:
            html, status = page(block=f"{form_name}_form", status=exc.status,
                                **{form_name: exc.message})
            return html, status, {"HX-Retarget": f"#bulk-{form_name}", "HX-Reswap": "outerHTML"}
        return page(status=exc.status, **{form_name: exc.message})
    if htmx:
        return card(row, status=202)
    flash("Your file is accepted and the job has started: follow it below.", "success")
    return redirect(url_for(".index"))


@bp.get("/")
@needs("viewer")
def index():
    return page()


@bp.post("/create")
@needs("editor")
def create():
    return start(lambda stream: uploads.start_bulk_create(
        g.actor, stream, request.form.get("encoding"), request.form.get("format")), "create")


@bp.post("/update")
@needs("editor")
def update():
    return start(lambda stream: uploads.start_bulk_update(
        g.actor, stream, request.form.get("encoding")), "update")


def csv_download(rows, filename):
    return Response(BOM + encode_rows(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/sample.csv")
def sample_create():
    return csv_download(SAMPLE_CREATE, "scanlink-bulk-create-sample.csv")


@bp.get("/sample-update.csv")
def sample_update():
    return csv_download(SAMPLE_UPDATE, "scanlink-bulk-update-sample.csv")
