"""The RQ dashboard (rq-dashboard) at /admin/rq, for administrators only.

rq-dashboard has no authentication and no CSRF check of its own, and one of
its state-changing routes answers GET (requeue all failed jobs). So here
every route that is not one of its read-only views must be a POST carrying
our CSRF token. Its own JavaScript sends the token it finds in a
`_csrf_token` cookie as `X-CSRFToken`, so we hand it ours that way; Flask-WTF
checks the header like any other.

Its pages are the one place the Content-Security-Policy is wider: their templates hold
an inline script (with the page's settings written into it), style attributes, and
underscore.js templates, which compile with `new Function` ('unsafe-eval'). Still only
scripts of this origin, still never framed; and only administrators get these pages.
"""
import rq_dashboard
from flask import abort, current_app, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq_dashboard.web import setup_rq_connection

from webapp.extensions import csrf, login
from webapp.web import security_headers
from webapp.web.errors import error_response

PREFIX = "/admin/rq"
BLUEPRINT = rq_dashboard.blueprint.name
READ_ONLY = {f"{BLUEPRINT}.{name}" for name in (
    "queues_overview", "workers_overview", "jobs_overview", "job_view", "list_queues",
    "list_jobs", "job_info", "list_workers", "favicon", "static")}
REGISTRIES = {"queued", "failed", "deferred", "started", "finished", "scheduled", "canceled"}
DASHBOARD_POLICY = security_headers.policy(script_src="'self' 'unsafe-inline' 'unsafe-eval'",
                                           style_src="'self' 'unsafe-inline'")


def _not_found(exc):
    return error_response(404, "No such job: it finished long ago or never existed.")


def _redis_down(exc):
    return error_response(503, "Redis is unavailable, so the queues cannot be shown.")


# Registered once on the shared blueprint object (the handlers are the same for every app).
rq_dashboard.blueprint.register_error_handler(NoSuchJobError, _not_found)
rq_dashboard.blueprint.register_error_handler(RedisError, _redis_down)


def init_app(app):
    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", app.config["REDIS_URL"])
    app.config.setdefault("RQ_DASHBOARD_POLL_INTERVAL", 2500)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=PREFIX)
    setup_rq_connection(app)  # makes a client object; nothing connects yet
    app.before_request(guard)
    app.after_request(hand_csrf_token_to_dashboard)
    app.after_request(widen_policy_for_dashboard)


def guard():
    if request.blueprint != BLUEPRINT:
        return None
    if not current_user.is_authenticated:
        return login.unauthorized()
    if not current_user.is_admin:
        abort(403, "The queue dashboard is for administrators.")
    _check_view_args(request.view_args or {})
    if request.endpoint in READ_ONLY:
        if request.method not in ("GET", "HEAD"):
            abort(405, valid_methods=["GET"])
        return None
    if request.method != "POST":
        abort(405, valid_methods=["POST"])
    csrf.protect()
    return None


def _check_view_args(args):
    """The dashboard answers a 500 for values its routes do not expect; we answer 404."""
    if args.get("instance_number", 0) != 0:
        abort(404)
    if "registry_name" in args and args["registry_name"] not in REGISTRIES:
        abort(404)
    for name in ("per_page", "page"):
        value = args.get(name)
        if value is not None and not (isinstance(value, int) or str(value).isdigit()):
            abort(404)


def hand_csrf_token_to_dashboard(response):
    if (request.blueprint == BLUEPRINT and response.mimetype == "text/html"
            and current_user.is_authenticated and current_user.is_admin):
        response.set_cookie("_csrf_token", generate_csrf(), path=PREFIX, samesite="Strict",
                            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=False)
    return response


def widen_policy_for_dashboard(response):
    # Its own pages only: our error pages under /admin/rq keep the strict policy.
    if (request.blueprint == BLUEPRINT and response.status_code == 200
            and response.mimetype == "text/html"):
        response.headers["Content-Security-Policy"] = DASHBOARD_POLICY
    return response
