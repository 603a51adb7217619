"""Scanlink: the application factory reads as a table of contents."""
import logging

from flask import Flask

from .config import ROOT, Config


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
    register_blueprints(app)
    register_subscribers(app)
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
    from . import database
    from .auth import init_login
    from .extensions import cache, csrf, db, htmx, limiter, migrate
    from .redis_client import client_retry

    database.init_app(app)
    from .sessions import LazyCookieSessionInterface

    app.session_interface = LazyCookieSessionInterface()
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
    # Connects the slug cache's invalidation to the code signals in every process
    # that changes codes (web and workers alike).
    from .services import slug_cache  # noqa: F401


def register_static(app):
    from . import static_assets

    static_assets.init_app(app)


def register_blueprints(app):
    from .views import (account, admin_rq, admin_status, analytics, api, auth, bulk,
                        code_exports, dashboard, health, images, jobs, metrics, public,
                        public_image, qrcodes, webhooks)

    for module in (public, public_image, auth, account, dashboard, health, jobs, qrcodes, bulk,
                   code_exports, analytics, images, webhooks, admin_status, api, metrics):
        app.register_blueprint(module.bp)
    admin_rq.init_app(app)


def register_subscribers(app):
    """Receivers of the domain signals (process-wide and idempotent)."""
    from .services import webhook_events

    webhook_events.connect_receivers()


def register_middleware(app):
    """WSGI layers around Flask, innermost first: the scan redirect's fast path, then the
    proxy fix, which must wrap everything that reads the client's address."""
    from .views import public

    public.init_app(app)
    if app.config["PROXY_FIX_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_errorhandlers(app):
    from .errors import register_errorhandlers as register

    register(app)


def register_job_plugins(app):
    """Modules named in JOB_PLUGINS add job types or periodic work when imported."""
    import importlib

    for name in app.config["JOB_PLUGINS"]:
        importlib.import_module(name)


def register_commands(app):
    from .cli import register

    register(app)
