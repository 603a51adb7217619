"""Fixtures: a real database (SQLite file or PostgreSQL), a real Redis, real workers.

SCANLINK_TEST_DB chooses the database: `sqlite` (default) or `postgresql`, the
latter on the server in TEST_DATABASE_URL, in a database made for this run and
dropped after it. The schema comes from the migrations, never from create_all.
"""
import os
import uuid

import pytest
from flask import request_finished
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from webapp.app import create_app
from webapp.config import TestConfig, database_url
from webapp.extensions import db

from .support import auth as auth_support
from .support.servers import free_port  # noqa: F401  (re-exported for tests)

TEST_REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "9"))


def redis_url():
    base = os.environ.get("REDIS_URL")
    if not base:
        pytest.exit("REDIS_URL is not set: run the suite with `make test`, which starts a Redis", 2)
    url = make_url(base.replace("redis://", "postgresql://", 1))  # reuse URL parsing
    host = url.host or "127.0.0.1"
    auth = f":{url.password}@" if url.password else ""
    return f"redis://{auth}{host}:{url.port or 6379}/{TEST_REDIS_DB}"


def create_database(kind, tmp_path_factory):
    """Returns (url, dropper) for a fresh, empty database of this run."""
    if kind == "sqlite":
        path = tmp_path_factory.mktemp("db") / "scanlink.db"
        return f"sqlite:///{path}", lambda: None
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        pytest.exit("SCANLINK_TEST_DB=postgresql needs TEST_DATABASE_URL", 2)
    admin_url = make_url(database_url(server))
    name = f"scanlink_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
            ), {"name": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return admin_url.set(database=name).render_as_string(hide_password=False), drop


def make_config(database, **overrides):
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = database
    config.REDIS_URL = redis_url()
    config.RATELIMIT_STORAGE_URI = config.REDIS_URL
    return config.update(**overrides)


@pytest.fixture(scope="session")
def db_kind():
    return os.environ.get("SCANLINK_TEST_DB", "sqlite")


@pytest.fixture(scope="session")
def database(db_kind, tmp_path_factory):
    """The URL of this run's database, migrated to head once."""
    from flask_migrate import upgrade

    url, drop = create_database(db_kind, tmp_path_factory)
    app = create_app(make_config(url))
    with app.app_context():
        upgrade()
        for engine in db.engines.values():
            engine.dispose()
    yield url
    drop()


def clean(app):
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                db.session.execute(text(f'DELETE FROM "{name}"'))
        db.session.commit()
        db.session.remove()


@pytest.fixture
def app_factory(database, tmp_path):
    """Builds apps on this run's database; each is torn down after the test."""
    apps = []
    server_errors = []

    def record_500(sender, response, **extra):
        if response.status_code == 500:
            server_errors.append(f"{sender.name}: 500 answered")

    def factory(**overrides):
        overrides.setdefault("STORAGE_DIR", str(tmp_path / "storage"))
        app = create_app(make_config(database, **overrides))
        request_finished.connect(record_500, app)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
    assert not server_errors, "a request ended in a 500"


@pytest.fixture
def app_overrides():
    """Config overrides for the `app` fixture; a test module may override this fixture."""
    return {}


@pytest.fixture
def app(app_factory, app_overrides):
    app = app_factory(**app_overrides)
    clean(app)
    from webapp.infra.redis_client import get_redis

    get_redis(app).flushdb()
    from workers.context import set_app

    set_app(app)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def redis(app):
    from webapp.infra.redis_client import get_redis

    return get_redis(app)


@pytest.fixture
def auth(client):
    return auth_support.AuthActions(client)


@pytest.fixture
def run_jobs(app):
    """Runs every queued job in a real RQ worker (in-process) until the queues are empty."""
    from .support.workers import run_burst

    return lambda: run_burst(app)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (its own browser download does not work here)."""
    reason = os.environ.get("SCANLINK_BROWSER_SKIP")
    if reason:
        pytest.skip(reason)
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    from .support.servers import LiveServer

    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def worker_process(app, tmp_path):
    """Starts real `python -m workers` processes; all are stopped after the test."""
    from .support.processes import WorkerProcess

    started = []

    def start(**env):
        worker = WorkerProcess(app, tmp_path / f"worker-{len(started)}.log", **env).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
