"""Fixtures: a real database (SQLite file or PostgreSQL), a real Redis, real workers.

Which database and Redis: tests/support/backends.py. The schema comes from the
migrations, never from create_all.
"""
import os

import pytest
from flask import request_finished
from flask_migrate import upgrade

from tests.factories import make_api_user, workspace_of
from tests.support import auth as auth_support
from tests.support import faults
from tests.support.backends import clean, create_database, make_config, redis_url
from tests.support.dns import TxtServer
from tests.support.image_api import ImageApi
from tests.support.processes import WorkerProcess
from tests.support.receiver import Receiver
from tests.support.s3 import MotoServer
from tests.support.servers import LiveServer
from tests.support.smtp import MailServer
from tests.support.workers import run_burst
from webapp.app import create_app
from webapp.extensions import db
from webapp.infra.redis_client import get_redis
from webapp.models import User
from workers.context import set_app


@pytest.fixture(scope="session")
def db_kind():
    return os.environ.get("SCANLINK_TEST_DB", "sqlite")


@pytest.fixture(scope="session")
def database(db_kind, tmp_path_factory):
    """The URL of this run's database, migrated to head once."""
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
def app_settings(request):
    """The config the `app` fixture is built with, declared where the tests are:
    `pytestmark = pytest.mark.settings(...)` for a module, `@pytest.mark.settings(...)` for
    a test; the module's, then the class's, then the test's are merged, the nearest winning.
    A marker takes dicts and keywords, and the name of a fixture whose value is a dict for
    settings that exist only at run time (the port of a fault proxy, say)."""
    merged = {}
    for node in request.node.listchain():  # session … module, class, function
        for marker in node.own_markers:
            if marker.name != "settings":
                continue
            for source in marker.args:
                if isinstance(source, str):
                    source = request.getfixturevalue(source)
                merged.update(source)
            merged.update(marker.kwargs)
    return merged


@pytest.fixture
def app(app_factory, app_settings):
    app = app_factory(**app_settings)
    clean(app)
    get_redis(app).flushdb()
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
    return get_redis(app)


@pytest.fixture
def auth(client):
    return auth_support.AuthActions(client)


@pytest.fixture
def owner(app, auth):
    """Ada, signed up through the forms (the client stays logged in as her): the id of her
    personal workspace, where her pages act."""
    auth.signup()
    with app.app_context():
        return workspace_of(db.session.get(User, auth_support.user_id(app)))


@pytest.fixture
def api_owner(app):
    """Ada, made with an API key, the client not logged in: (the id of her personal
    workspace, where the key acts; the key's headers)."""
    with app.app_context():
        user, headers = make_api_user("ada@example.com")
        return workspace_of(user), headers


@pytest.fixture
def run_jobs(app):
    """Runs every queued job in a real RQ worker (in-process) until the queues are empty."""
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
def image_api(app, client):
    """The images API as a program calls it: Ada's bearer key, multipart uploads."""
    return ImageApi(app, client)


@pytest.fixture
def receiver():
    """A real webhook receiver on 127.0.0.1 that answers 200 until told otherwise."""
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def mail_server():
    """A real SMTP server on 127.0.0.1 that keeps every message it receives."""
    with MailServer() as server:
        yield server


@pytest.fixture
def smtp_settings(mail_server):
    """Settings that send the app's mail to `mail_server`: `pytest.mark.settings("smtp_settings")`."""
    return {"SMTP_URL": mail_server.url, "MAIL_FROM": "Scanlink <scanlink@example.com>",
            "MAIL_TIMEOUT": 5}


@pytest.fixture
def dns_server():
    """A real DNS server on 127.0.0.1 whose TXT records the test sets (tests/support/dns.py)."""
    with TxtServer() as server:
        yield server


@pytest.fixture
def dns_settings(dns_server):
    """Settings that verify custom domains against `dns_server`:
    `pytest.mark.settings("dns_settings")`."""
    return {"DNS_RESOLVER": dns_server.address, "DNS_TIMEOUT": 2.0}


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3-compatible server (moto's server mode) on 127.0.0.1, for the session."""
    server = MotoServer(tmp_path_factory.mktemp("s3") / "moto.log").start()
    yield server
    server.stop()


@pytest.fixture
def s3_settings(s3_server):
    """Settings that keep the app's files in a bucket of this test's own:
    `pytest.mark.settings("s3_settings")`."""
    return s3_server.settings(s3_server.new_bucket())


@pytest.fixture
def redis_proxy():
    """A fault proxy in front of this run's Redis; point an app at it to cut or slow Redis."""
    proxy = faults.redis_proxy(redis_url())
    yield proxy
    proxy.stop()


@pytest.fixture
def worker_process(app, tmp_path):
    """Starts real `python -m workers` processes; all are stopped after the test."""
    started = []

    def start(**env):
        worker = WorkerProcess(app, tmp_path / f"worker-{len(started)}.log", **env).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL pass runs what touches the database (through the `database` or
    `db_kind` fixture); the rest (the renderer, CSV and image checks, the docs, the
    layout) does not depend on the database and ran on the SQLite pass already."""
    if os.environ.get("SCANLINK_TEST_DB") != "postgresql":
        return
    needs_database = {"database", "db_kind"}
    kept = [item for item in items if needs_database & set(getattr(item, "fixturenames", ()))]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
