"""/metrics in the Prometheus text format: off (404) unless METRICS_TOKEN is set, then
only for `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise)."""
import hmac

from flask import Blueprint, abort, current_app, request

from webapp.extensions import csrf, limiter
from webapp.services.ops import prometheus

bp = Blueprint("metrics", __name__)
limiter.exempt(bp)
csrf.exempt(bp)


def metrics_token_given():
    """Whether the request carries `Authorization: Bearer <METRICS_TOKEN>` (compared in
    constant time); never when METRICS_TOKEN is unset."""
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        return False
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@bp.get("/metrics")
def scrape():
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    if not metrics_token_given():
        abort(401, description="/metrics needs the header Authorization: Bearer <METRICS_TOKEN>.")
    response = current_app.response_class(prometheus.exposition(current_app._get_current_object()),
                                          mimetype=None, content_type=prometheus.CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response
