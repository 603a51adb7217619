"""CSV of all one's codes or scans from the codes page: streamed when small, a job when not.

A streamed export holds a web thread and a database transaction for as long
as the download takes; an export job writes the file in chunks on a worker,
survives restarts and keeps the file for a week. Up to EXPORT_STREAM_MAX_ROWS
rows (10,000 by default: about 2 MB of codes, some 0.7 s of server time at the
rate bench/streaming.py measures) the direct download wins; above it the job does.
"""
from datetime import date

from flask import Blueprint, flash, g, redirect, request, url_for

from webapp.services import ServiceError
from webapp.services.exports import export_jobs, streams
from webapp.web.access import needs
from webapp.web.streaming import stream_body

bp = Blueprint("code_exports", __name__, url_prefix="/codes")


@bp.post("/export")
@needs("editor")
def export():
    what = request.form.get("what", "")
    if what not in streams.CSV_KINDS:
        raise ServiceError("Choose what to export: codes or scans.",
                           fields={"what": "Use codes or scans."}, status=422, code="invalid")
    if streams.fits_in_a_stream(what, g.actor.workspace_id):
        filename = f"scanlink-{what}-{date.today().isoformat()}.csv"
        return stream_body(streams.csv_rows(what, g.actor.workspace_id), "text/csv",
                           **{"Content-Disposition": f'attachment; filename="{filename}"'})
    export_jobs.start_export(g.actor, what)
    flash(f"That is a large export, so it runs in the background: the CSV of your {what} "
          "appears here when it is ready.", "info")
    return redirect(url_for("jobs.index"))
