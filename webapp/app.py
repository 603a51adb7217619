"""The application factory: `create_app` reads as a table of contents."""
import importlib
import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp import cli, wiring
from webapp.config import ROOT, Config
from webapp.extensions import cache, csrf, db, htmx, limiter, migrate
from webapp.infra import database
from webapp.infra.redis_client import client_retry
from webapp.views import audit_log, dashboard, jobs, webhooks
from webapp.views.accounts import account, auth, password_reset, signup, sso, two_factor
from webapp.views.api import routes as api
from webapp.views.bulk import pages as bulk_pages
from webapp.views.codes import analytics, exports, redirect_rules, selection
from webapp.views.codes import pages as code_pages
from webapp.views.images import pages as image_pages
from webapp.views.ops import health, metrics, rq_dashboard, status, tls_ask
from webapp.views.ops import users as admin_users
from webapp.views.public import domain_scan, image, scan
from webapp.views.teams import accept as team_invitations
from webapp.views.teams import domains as domain_pages
from webapp.views.teams import pages as team_pages
from webapp.web import access, errors, security_headers, single_sign_on, static_assets
from webapp.web.auth import init_login
from webapp.web.json_input import StrictJsonProvider
from webapp.web.request import CheckedRequest
from webapp.web.sessions import LazyCookieSessionInterface

BLUEPRINTS = (scan, image, auth, signup, password_reset, sso, account, two_factor, dashboard,
              health, jobs, code_pages, selection, bulk_pages, exports, analytics, image_pages, webhooks,
              status, api, metrics, admin_users, team_pages, team_invitations, audit_log, tls_ask,
              domain_pages, redirect_rules)


def create_app(config=None):
    """Build the app. `config` is a Config object or a dict of overrides."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    if isinstance(config, Config):
        settings = config
    else:
        settings = Config().update(**(config or {}))
    app.config.from_object(settings.finalise())

    configure_logging(app)
    register_extensions(app)
    register_static(app)
    register_security_headers(app)
    register_blueprints(app)
    register_receivers(app)
    register_errorhandlers(app)
    register_commands(app)
    register_job_plugins(app)
    register_middleware(app)
    return app


def configure_logging(app):
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_extensions(app):
    database.init_app(app)
    app.session_interface = LazyCookieSessionInterface()
    app.request_class = CheckedRequest
    app.json = StrictJsonProvider(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    cache.init_app(app, config={
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": app.config["REDIS_URL"],
        "CACHE_KEY_PREFIX": "scanlink-cache:",
        "CACHE_DEFAULT_TIMEOUT": 300,
        "CACHE_OPTIONS": {"socket_timeout": app.config["REDIS_SOCKET_TIMEOUT"],
                          "socket_connect_timeout": app.config["REDIS_SOCKET_TIMEOUT"],
                          "retry": client_retry(app.config)},
    })
    csrf.init_app(app)
    limiter.init_app(app)
    htmx.init_app(app)
    init_login(app)
    access.init_app(app)
    single_sign_on.init_app(app)


def register_static(app):
    static_assets.init_app(app)


def register_security_headers(app):
    """CSP, framing, sniffing, referrer and HSTS headers (webapp/web/security_headers.py)."""
    security_headers.init_app(app)


def register_blueprints(app):
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
    rq_dashboard.init_app(app)


def register_receivers(app):
    """Who hears the domain events: webapp/wiring.py (process-wide and idempotent)."""
    wiring.connect()


def register_middleware(app):
    """WSGI layers around Flask, innermost first: the scan redirect's fast path, the scans
    of custom domains, then the proxy fix, which must wrap everything that reads the
    client's address or the Host."""
    scan.init_app(app)
    domain_scan.init_app(app)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_errorhandlers(app):
    errors.register_errorhandlers(app)


def register_job_plugins(app):
    """Modules named in JOB_PLUGINS add job types or periodic work when imported."""
    for name in app.config["JOB_PLUGINS"]:
        importlib.import_module(name)


def register_commands(app):
    cli.register(app)
