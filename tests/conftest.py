"""Fixtures: a real database (SQLite file or PostgreSQL), a real Redis, real workers.

Which database and Redis: tests/support/backends.py. The schema comes from the
migrations, never from create_all.
"""
import os

import pytest
from flask import request_finished

from tests.support import auth as auth_support
from tests.support.backends import clean, create_database, make_config
from webapp.app import create_app
from webapp.extensions import db


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
    from tests.support.workers import run_burst

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
    from tests.support.servers import LiveServer

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
    from tests.support.processes import WorkerProcess

    started = []

    def start(**env):
        worker = WorkerProcess(app, tmp_path / f"worker-{len(started)}.log", **env).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
