"""Acting on many codes from the list: the selection's actions, "all matching", duplicate.

The list's checkboxes and the "all matching this search" fields belong to one
form (`form="batch-form"`), which posts here with the search's own fields (q, tag,
folder…), so the action's own fields are named batch_tags and to_folder. Pause, resume, delete, move and
tag go through services/codes/batch.py (one audit entry, the cache and webhooks
told per code); the exports start the same export jobs as the export menu,
limited to the selected codes.
"""
from flask import Blueprint, flash, g, redirect, request, url_for
from flask_login import login_required
from jinja2_fragments.flask import render_block

from webapp.extensions import db
from webapp.models import QrCode
from webapp.services import ServiceError
from webapp.services.codes import batch
from webapp.services.codes.filters import filters_from_args
from webapp.services.codes.listing import codes_query
from webapp.services.exports import export_jobs
from webapp.web.access import needs

bp = Blueprint("code_selection", __name__, url_prefix="/codes")
EXPORTS = {"export_csv": ("codes", None), "export_svg": ("images", "svg"), "export_png": ("images", "png")}
DONE = {"pause": "Paused", "resume": "Resumed", "delete": "Deleted", "tag": "Tagged", "untag": "Untagged",
        "move": "Moved"}


@bp.before_request
@login_required
def require_login():
    return None


def matching_ids(filters):
    """The ids of the codes matching `filters`, newest first: at most MAX_BATCH + 1 of them."""
    if filters.matches_nothing:
        return []
    query = codes_query(g.actor.workspace_id, filters, columns=(QrCode.id,)).limit(batch.MAX_BATCH + 1)
    return list(db.session.scalars(query))


@bp.get("/matching")
@needs("editor")
def matching():
    """The "all N matching this search" fields, for the current search (counted up to the cap)."""
    filters = filters_from_args(request.args)
    count = len(matching_ids(filters))
    return render_block("qrcodes/index.html", "select_all", filters=filters, count=count,
                        cap=batch.MAX_BATCH)


def _counts_message(action, counts):
    changed = counts["changed"]
    message = f"{DONE[action]} {changed:,} code{'' if changed == 1 else 's'}"
    extra = [f"{counts['unchanged']:,} already so" if counts["unchanged"] else "",
             f"{counts['not_found']:,} no longer there" if counts["not_found"] else ""]
    extra = ", ".join(part for part in extra if part)
    return f"{message} ({extra})." if extra else f"{message}."


@bp.post("/batch")
@needs("editor")
def act():
    form = request.form
    filters = filters_from_args(form)
    back = url_for("qrcodes.index", **filters.as_args())
    action = form.get("action", "")
    ids = matching_ids(filters) if form.get("all_matching") == "1" else form.getlist("ids")
    try:
        if action in EXPORTS:
            what, fmt = EXPORTS[action]
            batch.check_batch(ids, "pause")  # the same limits on the selection
            export_jobs.start_export(g.actor, what, fmt, ids=ids)
            flash(f"Exporting {len(ids):,} code{'' if len(ids) == 1 else 's'}: the file appears here "
                  "when it is ready.", "info")
            return redirect(url_for("jobs.index"))
        counts = batch.run_batch(g.actor, ids, action, form.get("batch_tags"), form.get("to_folder"))
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    db.session.commit()
    flash(_counts_message(action, counts), "success")
    return redirect(back)


@bp.post("/<code_id>/duplicate")
@needs("editor", follow=(QrCode, "code_id"))
def duplicate(code_id):
    copy = batch.duplicate_code(g.actor, code_id)
    db.session.commit()
    flash(f"Duplicated: this is the copy, “{copy.title}”, with its own scan link.", "success")
    return redirect(url_for("qrcodes.detail", code_id=copy.id))
