"""The public scan URL: tiny and fast. One cache look-up, one durable write, a 302.

Two entry points share the same look-up and counting:

* `ScanRedirects`, a WSGI layer in front of Flask, answers every `GET`/`HEAD
  /s/<slug>` of a live code: the 302 and the counting, in an app context but
  without Flask's request machinery (request context, URL routing, session,
  login, CSRF, rate-limit bookkeeping, before/after-request hooks, response
  object), none of which a phone following a poster needs and which together
  cost more than the look-up itself. Flask's request signals and hooks do not
  run for these requests: instrument the scan here, not in a hook.
* the `scan` view below, for everything else under /s/: the 404 and 410 pages
  (rendered by Flask, with its error handling), other methods, and a code that
  turned live between the two look-ups.
"""
import logging

from flask import Blueprint, current_app, make_response, render_template, request
from werkzeug.routing import BaseConverter

from ..extensions import limiter
from ..services import scans, slug_cache

log = logging.getLogger(__name__)

bp = Blueprint("public", __name__)
# Scans are not rate limited: a crowd behind one venue's NAT is many real scans.
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
PREFIX = "/s/"


def live_target(slug):
    """(ScanTarget, None) for a code a scan is sent on from, else (None, 404 or 410)."""
    target = slug_cache.lookup(slug)
    if target is None or target.kind != "dynamic" or not target.location:
        return None, 404
    if not target.live:
        return None, 410
    return target, None


def count(target, environ):
    """Records the scan durably (returns once committed); a failure is logged, never shown:
    the person in front of the poster still goes where the code promises."""
    header = current_app.config["TRUSTED_COUNTRY_HEADER"]
    try:
        scans.count_scan(
            target,
            user_agent=environ.get("HTTP_USER_AGENT", ""),
            referrer=environ.get("HTTP_REFERER", ""),
            ip=environ.get("REMOTE_ADDR"),
            country=environ.get("HTTP_" + header.upper().replace("-", "_")) if header else None,
        )
    except Exception:
        log.exception("could not record a scan of %s", target.code_id)


def redirect_headers(target):
    # A cached redirect is a scan nobody counts.
    return [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "0"),
            ("Location", target.location), ("Cache-Control", "no-store")]


@bp.get("/s/<scan_slug:slug>")
def scan(slug):
    """302 to the target and count the scan; HEAD redirects without counting."""
    target, status = live_target(slug)
    if target is None:
        return unavailable(status)
    if request.method == "GET":
        count(target, request.environ)
    return current_app.response_class(status=302, headers=redirect_headers(target))


def unavailable(status):
    title, message = MESSAGES[status]
    response = make_response(render_template("public/unavailable.html", status=status,
                                             title=title, message=message), status)
    response.headers["Cache-Control"] = "no-store"
    return response


class ScanRedirects:
    """WSGI middleware: the redirect of a live code straight away; anything else to Flask."""

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD")
        if not path.startswith(PREFIX) or method not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        try:  # PATH_INFO holds the URL's bytes as latin-1; Werkzeug decodes them the same way
            slug = path[len(PREFIX):].encode("latin-1").decode("utf-8", "replace")
        except UnicodeEncodeError:  # not a WSGI path; let Flask say what it makes of it
            return self.wsgi_app(environ, start_response)
        with self.app.app_context():
            target, _status = live_target(slug)
            if target is not None and method == "GET":
                count(target, environ)
        if target is None:
            return self.wsgi_app(environ, start_response)  # the small 404/410 page
        start_response("302 FOUND", redirect_headers(target))
        return [b""]


def init_app(app):
    """Puts ScanRedirects in front of the app (inside any proxy fix, which must wrap it)."""
    app.wsgi_app = ScanRedirects(app, app.wsgi_app)
