"""The public scan URL: tiny and fast. One cache look-up, one short write, a 302."""
import logging

from flask import Blueprint, current_app, make_response, render_template, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.routing import BaseConverter

from ..extensions import db, limiter
from ..services import scans, slug_cache

log = logging.getLogger(__name__)

bp = Blueprint("public", __name__)
# Scans are not rate limited: a crowd behind one venue's NAT is many real scans.
# (The filter also spares the scan path the limiter's per-request bookkeeping.)
limiter.exempt(bp)
limiter.request_filter(lambda: request.blueprint == "public")


class ScanSlugConverter(BaseConverter):
    """Anything after /s/, slashes and line breaks included, so every odd scan URL
    gets the small page instead of the site's 404."""

    regex = "(?s:.+)"
    part_isolating = False


bp.record_once(lambda state: state.app.url_map.converters.setdefault("scan_slug", ScanSlugConverter))

MESSAGES = {
    404: ("This code does not exist", "The QR code you scanned is not known here. "
                                      "Check that the whole code was in view."),
    410: ("This code is no longer active", "Its owner has switched it off or it has expired."),
}


@bp.get("/s/<scan_slug:slug>")
def scan(slug):
    """302 to the target and count the scan; HEAD redirects without counting."""
    target = slug_cache.lookup(slug)
    if target is None or target.kind != "dynamic" or not target.location:
        return unavailable(404)
    if not target.live:
        return unavailable(410)
    if request.method == "GET":
        count(target)
    response = current_app.response_class(status=302)
    response.headers["Location"] = target.location
    # A cached redirect is a scan nobody counts.
    response.headers["Cache-Control"] = "no-store"
    return response


def count(target):
    header = current_app.config["TRUSTED_COUNTRY_HEADER"]
    try:
        scans.record_scan(
            target.code_id,
            user_agent=request.headers.get("User-Agent", ""),
            referrer=request.headers.get("Referer", ""),
            ip=request.remote_addr,
            country=request.headers.get(header) if header else None,
        )
        db.session.commit()
    except SQLAlchemyError:
        # The person in front of the poster still goes where the code promises.
        db.session.rollback()
        log.exception("could not record a scan of %s", target.code_id)


def unavailable(status):
    title, message = MESSAGES[status]
    response = make_response(render_template("public/unavailable.html", status=status,
                                             title=title, message=message), status)
    response.headers["Cache-Control"] = "no-store"
    return response
