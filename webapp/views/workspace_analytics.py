"""Analytics of every code of the workspace: the page (range switched with HTMX) and its CSV."""
from datetime import timedelta

from flask import Blueprint, Response, g, request, url_for

from webapp.services import ServiceError
from webapp.services.analytics import reports, workspace
from webapp.services.csvfiles.writer import encode_rows, header
from webapp.views.codes import chart
from webapp.views.codes.analytics import breakdown_tables
from webapp.web.access import needs
from webapp.web.rendering import render

bp = Blueprint("workspace_analytics", __name__, url_prefix="/analytics")

PRESETS = [(7, "7 days"), (30, "30 days"), (90, "90 days")]
CSV_HEADER = ["section", "name", "scans", "unique", "bots"]


def chosen_range():
    """(start, end, preset days or None) from ?days= or ?from=&to=; ServiceError if invalid."""
    start, end = request.args.get("from"), request.args.get("to")
    if start or end:
        if not (start and end):
            missing = "from" if not start else "to"
            raise ServiceError("Some fields are not valid.", status=422,
                               fields={missing: "Give both dates, from and to."})
        return (*reports.parse_range(start, end), None)
    days = request.args.get("days", str(reports.DEFAULT_DAYS)).strip()
    if days not in {str(d) for d, _ in PRESETS}:
        raise ServiceError("Some fields are not valid.", status=422,
                           fields={"days": "Choose 7, 30 or 90 days, or dates from and to."})
    return (*reports.parse_range(days=int(days)), int(days))


@bp.get("/")
@needs("viewer")
def page():
    error, status = None, 200
    try:
        start, end, preset = chosen_range()
    except ServiceError as exc:
        error, status = exc.fields or {"from": exc.message}, exc.status
        start, end = reports.parse_range()
        preset = None
    summary = workspace.workspace_summary(g.actor.workspace_id, start, end)
    previous = summary["previous"]
    changes = {key: workspace.change(summary[key], previous[key])
               for key in ("total", "unique", "bots")}
    csv_url = url_for("workspace_analytics.export", **{"from": summary["from"], "to": summary["to"]})
    return render("analytics/workspace.html", block="results", summary=summary, changes=changes,
                  chart=chart.day_chart(summary["by_day"]), tables=breakdown_tables(summary),
                  presets=PRESETS, preset=preset, first_day=start.date(),
                  last_day=_last_day(end), previous_first=(start - (end - start)).date(),
                  previous_last=_last_day(start), error=error,
                  csv_url=csv_url), status


@bp.get("/scans.csv")
@needs("viewer")
def export():
    try:
        start, end, _ = chosen_range()
    except ServiceError as exc:
        message = " ".join((exc.fields or {}).values()) or exc.message
        return Response(message + "\n", status=exc.status, mimetype="text/plain")
    summary = workspace.workspace_summary(g.actor.workspace_id, start, end)
    previous = summary["previous"]
    rows = [("period", f"{summary['from']}/{summary['to']}", summary["total"], summary["unique"],
             summary["bots"]),
            ("previous period", f"{previous['from']}/{previous['to']}", previous["total"],
             previous["unique"], previous["bots"])]
    rows += [("day", d["date"], d["scans"], d["unique"], d["bots"]) for d in summary["by_day"]]
    rows += [("code", c["slug"], c["scans"], "", "") for c in summary["top_codes"]]
    for key in reports.LISTS:
        rows += [(key, item["name"], item["scans"], "", "") for item in summary[key]]
    name = f"analytics-{start.date().isoformat()}-{_last_day(end).isoformat()}.csv"
    response = Response(header(CSV_HEADER, bom=False) + encode_rows(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _last_day(end):
    return (end - timedelta(microseconds=1)).date()

