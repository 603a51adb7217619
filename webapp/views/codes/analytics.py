"""A code's scan analytics: the page (range switched with HTMX) and the CSV export."""
from datetime import timedelta

from flask import Blueprint, Response, g, request, stream_with_context, url_for

from webapp.models import QrCode
from webapp.services import ServiceError
from webapp.services.analytics import reports
from webapp.services.codes.content import code_scan_url
from webapp.services.exports import scan_csv
from webapp.views.codes import chart
from webapp.web.access import needs
from webapp.web.rendering import render

bp = Blueprint("analytics", __name__, url_prefix="/codes")

PRESETS = [(7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "12 months")]
BREAKDOWNS = [("devices", "Devices"), ("os", "Operating systems"), ("browsers", "Browsers"),
              ("referrers", "Referrers"), ("countries", "Countries")]
UNKNOWN = {"referrers": "Direct (no referrer)", "countries": "Unknown"}
TOP = 8


def breakdown_tables(summary):
    """Each breakdown's top rows with their share of the people's scans, the rest summed."""
    tables = []
    for key, title in BREAKDOWNS:
        items = summary[key]
        total = sum(item["scans"] for item in items) or 1
        rows = []
        for item in items[:TOP]:
            name = item["name"] or UNKNOWN.get(key, "Unknown")
            if key == "referrers" and item["name"]:
                name = name.split("://", 1)[-1]  # the host is what people recognise
            if key == "devices":
                name = name.capitalize()
            rows.append({"name": name, "scans": item["scans"],
                         "share": round(100 * item["scans"] / total, 1)})
        rest = sum(item["scans"] for item in items[TOP:])
        if rest:
            rows.append({"name": f"{len(items) - TOP} more", "scans": rest,
                         "share": round(100 * rest / total, 1)})
        tables.append({"key": key, "title": title, "rows": rows})
    return tables


def chosen_range():
    """(start, end, preset days or None) from ?days= or ?from=&to=."""
    start, end = request.args.get("from"), request.args.get("to")
    if start or end:
        return (*reports.parse_range(start, end), None)
    try:
        days = int(request.args.get("days", reports.DEFAULT_DAYS))
    except ValueError:
        days = reports.DEFAULT_DAYS
    if days not in {d for d, _ in PRESETS}:
        days = reports.DEFAULT_DAYS
    return (*reports.parse_range(days=days), days)


@bp.get("/<code_id>/analytics")
@needs("viewer", follow=(QrCode, "code_id"))
def page(code_id):
    code = reports.code_for_owner(g.actor.workspace_id, code_id)
    error, status = None, 200
    try:
        start, end, preset = chosen_range()
    except ServiceError as exc:
        error, status = exc.fields or {"from": exc.message}, exc.status
        start, end = reports.parse_range()
        preset = None
    summary = reports.scan_summary(code, start, end)
    last_day = (end - timedelta(microseconds=1)).date()
    csv_url = url_for("analytics.export", code_id=code.id, **{
        "from": summary["from"], "to": summary["to"]})
    return render("analytics/page.html", block="results", code=code, summary=summary,
                  chart=chart.day_chart(summary["by_day"]), tables=breakdown_tables(summary),
                  presets=PRESETS, preset=preset,
                  first_day=start.date(), last_day=last_day, error=error, csv_url=csv_url,
                  code_scan_url=code_scan_url), status


@bp.get("/<code_id>/analytics/scans.csv")
@needs("viewer", follow=(QrCode, "code_id"))
def export(code_id):
    code = reports.code_for_owner(g.actor.workspace_id, code_id)
    start, end = reports.parse_range(request.args.get("from"), request.args.get("to"))
    filename = f"scans-{code.slug}-{start.date().isoformat()}-{(end - timedelta(microseconds=1)).date().isoformat()}.csv"
    response = Response(stream_with_context(scan_csv.scan_rows(code.id, start, end)),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{_ascii(filename)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _ascii(name):
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)
