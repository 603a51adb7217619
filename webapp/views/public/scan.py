"""The public scan URL: tiny and fast. One cache look-up, one durable write, a 302.

A scan, in the order it runs (the functions of this module top to bottom):

1. `ScanRedirects.__call__`, a WSGI layer in front of Flask, takes every `GET`/`HEAD
   /s/<slug>`, in an app context but without Flask's request machinery (request
   context, URL routing, session, login, CSRF, rate-limit bookkeeping,
   before/after-request hooks, response object), none of which a phone following a
   poster needs and which together cost more than the look-up itself. Flask's
   request signals and hooks do not run for these requests: instrument the scan
   here, not in a hook.
2. `live_target` asks `services.scans.targets.lookup` where the code goes.
3. `serving.serve` picks the target of this scan (rules, split, UTM, expiry and
   max_scans; a plain code's target at once), from the cached entry alone.
4. `count` records the scan through `services.scans.recording.count_scan`.
5. `redirect_headers` make the 302 (or `ended` the 410 of a campaign that ended).

Everything else under /s/ goes on to Flask and the `scan` view: the 404 and 410
pages (rendered by Flask, with its error handling), other methods, and a code that
turned live between the two look-ups. `UNAVAILABLE_PAGE` answers when neither Redis
nor the database can say where a code goes.
"""
import logging
import time

from flask import Blueprint, current_app, make_response, render_template, request
from werkzeug.routing import BaseConverter

from webapp.extensions import limiter
from webapp.infra import metrics
from webapp.infra.resilience.failures import ServiceUnavailable
from webapp.services.scans import recording, serving, targets
from webapp.views.public import ended
from webapp.web import security_headers

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

PREFIX = "/s/"


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
        started = time.perf_counter()
        with self.app.app_context():
            try:
                target, _status = live_target(slug)
            except ServiceUnavailable:  # neither Redis nor the database could say where to
                metrics.UNAVAILABLE.inc()
                start_response("503 SERVICE UNAVAILABLE", unavailable_headers(self.app.config))
                return [UNAVAILABLE_PAGE]
            if target is not None:
                location, served = serving.serve(target, environ, counting=method == "GET")
                if method == "GET":
                    metrics.scan(count(target, environ, served), started)
        if target is None:
            return self.wsgi_app(environ, start_response)  # the small 404/410 page
        if location is None:
            start_response("410 GONE", ended.HEADERS)
            return [ended.PAGE]
        start_response("302 FOUND", redirect_headers(location))
        return [b""]


def live_target(slug, host=None):
    """(ScanTarget, None) for a code a scan is sent on from, else (None, 404, 410 or
    REMOVED: a slug of a deleted workspace, which says so rather than 404). `host`: the
    custom domain the scan came to (webapp/views/public/domain_scan.py)."""
    target = targets.lookup(slug, host)
    if target == targets.REMOVED:
        return None, REMOVED
    if target is None or target.kind != "dynamic" or not target.location:
        return None, 404
    if not target.active:  # an expired one is served (`serving`): its scans are still counted
        return None, 410
    return target, None


def count(target, environ, served=""):
    """Records the scan durably (returns once committed, or once buffered in Redis while
    the database is down); a failure is logged, never shown: the person in front of the
    poster still goes where the code promises. Returns what became of the scan."""
    header = current_app.config["TRUSTED_COUNTRY_HEADER"]
    try:
        event_id = recording.count_scan(
            target,
            user_agent=environ.get("HTTP_USER_AGENT", ""),
            referrer=environ.get("HTTP_REFERER", ""),
            ip=environ.get("REMOTE_ADDR"),
            country=environ.get("HTTP_" + header.upper().replace("-", "_")) if header else None,
            served=served,
        )
    except Exception:
        log.exception("could not record a scan of %s", target.code_id)
        return "lost"
    return "buffered" if event_id is None else "recorded"


def redirect_headers(location):
    # A cached redirect is a scan nobody counts.
    return [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "0"),
            ("Location", location), ("Cache-Control", "no-store")]


@bp.get("/s/<scan_slug:slug>")
def scan(slug):
    """302 to the target and count the scan; HEAD redirects without counting."""
    try:
        target, status = live_target(slug)
    except ServiceUnavailable:
        return current_app.response_class(UNAVAILABLE_PAGE, status=503,
                                           headers=unavailable_headers(current_app.config))
    if target is None:
        return unavailable(status)
    location, served = serving.serve(target, request.environ, counting=request.method == "GET")
    if request.method == "GET":
        count(target, request.environ, served)
    if location is None:
        return current_app.response_class(ended.PAGE, status=410, headers=ended.HEADERS)
    return current_app.response_class(status=302, headers=redirect_headers(location))


MESSAGES = {
    404: ("This code does not exist", "The QR code you scanned is not known here. "
                                      "Check that the whole code was in view."),
    410: ("This code is no longer active", "Its owner has switched it off or it has expired."),
    "removed": ("This code was removed", "This campaign/code was removed: the workspace it "
                                         "belonged to no longer exists."),
}
REMOVED = "removed"


def unavailable(key):
    title, message = MESSAGES[key]
    status = 410 if key == REMOVED else key
    response = make_response(render_template("public/unavailable.html", status=status,
                                             title=title, message=message), status)
    response.headers["Cache-Control"] = "no-store"
    return response


# Static, so that answering it needs neither the database nor Redis nor a template.
UNAVAILABLE_STYLE = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}"
UNAVAILABLE_PAGE = (
    b'<!doctype html><html lang="en"><meta charset="utf-8">'
    b'<meta name="viewport" content="width=device-width, initial-scale=1">'
    b"<title>Temporarily unavailable</title><style>" + UNAVAILABLE_STYLE.encode() + b"</style>"
    b"<body><h1>Temporarily unavailable</h1><p>This code cannot be followed right now. "
    b"Please scan it again in a minute.</p></body></html>")
# Its own policy, as Flask's hook never sees this answer: nothing may load or run but
# that one style block.
UNAVAILABLE_SECURITY = (
    ("Content-Security-Policy", security_headers.policy(
        {"default-src": "'none'", "frame-ancestors": "'none'"},
        style_src=security_headers.style_hash(UNAVAILABLE_STYLE))),
    ("X-Content-Type-Options", "nosniff"),
)


def unavailable_headers(config):
    return [("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(UNAVAILABLE_PAGE))),
            ("Retry-After", str(config["UNAVAILABLE_RETRY_AFTER"])),
            ("Cache-Control", "no-store"), *UNAVAILABLE_SECURITY]


def init_app(app):
    """Puts ScanRedirects in front of the app (inside any proxy fix, which must wrap it)."""
    app.wsgi_app = ScanRedirects(app, app.wsgi_app)
