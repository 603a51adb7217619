"""/metrics in the Prometheus text format: off (404) unless METRICS_TOKEN is set, then
only for `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise)."""
import hmac

from flask import Blueprint, abort, current_app, request

from webapp.extensions import csrf, limiter
from webapp.services.ops import prometheus

bp = Blueprint("metrics", __name__)
limiter.exempt(bp)
csrf.exempt(bp)


@bp.get("/metrics")
def scrape():
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        abort(401, description="/metrics needs the header Authorization: Bearer <METRICS_TOKEN>.")
    response = current_app.response_class(prometheus.exposition(current_app._get_current_object()),
                                          mimetype=None, content_type=prometheus.CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response
