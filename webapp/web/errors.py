"""Error answers: small HTML pages for people, the API's JSON shape under /api."""
import logging

import pybreaker
from flask import current_app, jsonify, make_response, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from webapp.extensions import db
from webapp.infra.resilience import failures
from webapp.services import ServiceError

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    410: "Gone",
    413: "Too large",
    422: "Not accepted",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 410: "gone", 413: "too_large",
         422: "invalid", 429: "rate_limited", 500: "server_error", 503: "unavailable"}


def wants_json():
    return request.path.startswith("/api/") or request.path == "/api"


def error_response(status, message, code=None, fields=None, headers=None):
    if wants_json():
        body = {"error": {"code": code or CODES.get(status, "error"), "message": message}}
        if fields:
            body["error"]["fields"] = fields
        response = jsonify(body)
    elif _request_ctx_unroutable():
        # A Host Werkzeug cannot route ("a..b"): the page's links cannot be built either.
        response = make_response(f"{status} {TITLES.get(status, 'Error')}: {message}\n")
        response.mimetype = "text/plain"
    else:
        response = make_response(render_template(
            "errors/error.html", status=status, title=TITLES.get(status, "Error"), message=message))
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _request_ctx_unroutable():
    return getattr(request_ctx, "url_adapter", True) is None


def unavailable_response(message, service, retry_after=None):
    """503 with Retry-After, from a page that needs neither the database nor Redis."""
    retry_after = str(retry_after or current_app.config["UNAVAILABLE_RETRY_AFTER"])
    if wants_json():
        response = jsonify({"error": {"code": "unavailable", "message": message}})
    else:
        # Not render_template: its context processors load the logged-in user from the database.
        page = current_app.jinja_env.get_template("errors/unavailable.html")
        response = make_response(page.render(message=message, service=service))
    response.status_code = 503
    response.headers["Retry-After"] = retry_after
    response.headers["Cache-Control"] = "no-store"
    return response


def register_errorhandlers(app):
    @app.errorhandler(HTTPException)
    def http_error(exc):
        headers = {k: v for k, v in exc.get_headers() if k.lower() not in {"content-type"}}
        message = exc.description if exc.code != 500 else TITLES[500]
        return error_response(exc.code, message, headers=headers)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(400, "Your form expired or was sent from elsewhere. "
                                   "Reload the page and try again.", code="csrf_failed")

    @app.errorhandler(ServiceError)
    def service_error(exc):
        return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields)

    @app.errorhandler(Exception)
    def unhandled(exc):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "Something went wrong on our side; it has been logged.")

    @app.errorhandler(SQLAlchemyError)
    @app.errorhandler(pybreaker.CircuitBreakerError)
    @app.errorhandler(failures.ServiceUnavailable)
    def dependency_down(exc):
        # Only an outage is a 503; any other database error is a bug and stays a 500.
        if not (isinstance(exc, failures.ServiceUnavailable) or failures.database_error(exc)):
            return unhandled(exc)
        service = getattr(exc, "service", "database")
        log.warning("%s %s: the %s is unavailable (%s)", request.method, request.path,
                    service, type(exc).__name__)
        try:
            db.session.rollback()
        except Exception:  # the connection is gone; the session is dropped at teardown
            pass
        if isinstance(exc, failures.StorageUnavailable):
            # Nothing of the request was kept: the rollback above drops what it had begun.
            return unavailable_response(exc.message, service, exc.retry_after)
        return unavailable_response("The database is not answering right now.", "database")

    # The 429 page comes from the limiter; give it words a person understands.
    @app.errorhandler(429)
    def rate_limited(exc):
        return error_response(429, "Too many attempts. Wait a minute and try again.",
                              headers={k: v for k, v in exc.get_headers()
                                       if k.lower() == "retry-after"})

    @app.errorhandler(413)
    def too_large(exc):
        limit = request.max_content_length
        size = f" ({limit / (1024 * 1024):.1f} MB)" if limit else ""
        return error_response(413, f"The upload is larger than a request may be{size}.",
                              code="file_too_large")

    app.register_error_handler(InternalServerError, unhandled)
