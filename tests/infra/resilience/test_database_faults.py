"""The database goes away or slows down (real faults: a TCP proxy, a held lock).

Cached codes keep redirecting and their scans wait in Redis, then reach the database
exactly once; uncached codes get a small 503 quickly; a slow statement is cut off by
the statement timeout instead of holding a worker. PostgreSQL only: SQLite has no
connection to cut.
"""
import json
import time

import pytest
from sqlalchemy import create_engine, func, select, text

from tests.factories import make_code, make_endpoint
from tests.support.faults import FAST_FAILURE, database_proxy, through_database_proxy
from tests.support.receiver import Receiver
from tests.support.webhooks import WEBHOOK_SETTINGS
from webapp.extensions import db
from webapp.infra.redis_client import get_redis
from webapp.infra.resilience.breakers import database_breaker
from webapp.models import ScanCounter, ScanEvent, User, WebhookOutbox
from webapp.services.scans import buffer

pytestmark = pytest.mark.settings(FAST_FAILURE, WEBHOOK_SETTINGS, "through_the_proxy")


@pytest.fixture(autouse=True)
def postgresql_only(db_kind):
    if db_kind != "postgresql":
        pytest.skip("cutting the database's connections needs PostgreSQL")


@pytest.fixture
def proxy(database, db_kind):
    if db_kind != "postgresql":
        pytest.skip("PostgreSQL only")
    proxy = database_proxy(database)
    yield proxy
    proxy.stop()


@pytest.fixture
def through_the_proxy(proxy, database):
    return through_database_proxy(database, proxy)


@pytest.fixture
def direct(database):
    """A connection that does not go through the proxy: the truth, whatever the app sees."""
    engine = create_engine(database)
    yield engine
    engine.dispose()


def scans_in_db(direct):
    with direct.connect() as conn:
        events = conn.scalar(select(func.count()).select_from(ScanEvent))
        counted = conn.scalar(select(func.coalesce(func.sum(ScanCounter.scans), 0)))
    return events, counted


def test_cached_codes_redirect_and_their_scans_reach_the_database_exactly_once(
        app, client, proxy, direct):
    with app.app_context():
        make_code(slug="cached", target_url="https://shop.example/a")
        make_code(slug="uncached", target_url="https://shop.example/b")
    assert client.get("/s/cached").status_code == 302  # in the slug cache now
    assert scans_in_db(direct) == (1, 1)

    proxy.cut()
    for _ in range(5):
        response = client.get("/s/cached")
        assert response.status_code == 302
        assert response.headers["Location"] == "https://shop.example/a"
    redis = get_redis(app)
    assert redis.llen(buffer.BUFFER_KEY) == 5
    with app.app_context():
        assert database_breaker().current_state == "open"
        # the database is still down: a flush leaves everything in Redis
        with pytest.raises(Exception):
            buffer.flush()
    assert sum(buffer.backlog(redis)) == 5
    assert scans_in_db(direct) == (1, 1)

    proxy.restore()
    with app.app_context():
        assert buffer.flush() == {"buffered": 5, "written": 5}
        assert buffer.flush() == {"buffered": 0, "written": 0}
    assert scans_in_db(direct) == (6, 6)
    assert buffer.backlog(redis) == (0, 0)


def test_a_flusher_that_crashed_after_its_commit_writes_nothing_twice(app, client, proxy, direct):
    with app.app_context():
        make_code(slug="cached")
    client.get("/s/cached")
    proxy.cut()
    for _ in range(3):
        assert client.get("/s/cached").status_code == 302
    proxy.restore()
    redis = get_redis(app)
    items = redis.lrange(buffer.BUFFER_KEY, 0, -1)
    with app.app_context():
        # A flusher moved the items, committed them and died before emptying its list.
        redis.lmove(buffer.BUFFER_KEY, buffer.PROCESSING_KEY, "LEFT", "RIGHT")
        redis.lmove(buffer.BUFFER_KEY, buffer.PROCESSING_KEY, "LEFT", "RIGHT")
        assert buffer.write([json.loads(item) for item in items[:2]]) == 2
        assert scans_in_db(direct) == (3, 3)
        # The next flush takes the leftovers first: written already, so only the third is new.
        assert buffer.flush() == {"buffered": 3, "written": 1}
    assert scans_in_db(direct) == (4, 4)


def test_buffered_scans_of_a_code_with_webhooks_get_their_outbox_rows_once(
        app, client, proxy, direct):
    with Receiver() as receiver, app.app_context():
        code = make_code(slug="hooked")
        make_endpoint(db.session.get(User, code.workspace_id), receiver.url())
        db.session.commit()
        client.get("/s/hooked")
        proxy.cut()
        client.get("/s/hooked")
        proxy.restore()
        buffer.flush()
        buffer.flush()
    with direct.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(WebhookOutbox)) == 2


def test_uncached_codes_get_a_small_503_quickly_while_the_database_is_down(app, client, proxy):
    with app.app_context():
        make_code(slug="uncached")
    proxy.cut()
    for _ in range(4):  # the first fail on the cut connection, then the breaker answers
        started = time.monotonic()
        response = client.get("/s/uncached")
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "30"
        assert b"Temporarily unavailable" in response.data
        assert elapsed < FAST_FAILURE["DB_CONNECT_TIMEOUT"] + 0.5
    proxy.restore()
    time.sleep(FAST_FAILURE["DB_BREAKER_RESET_SECONDS"] + 0.6)  # + the breaker's read interval
    assert client.get("/s/uncached").status_code == 302


def test_a_database_that_does_not_answer_in_time_costs_the_connect_timeout_not_the_os_one(
        app, client, proxy):
    """Connections are accepted but nothing comes back (a hung server or a black hole)."""
    with app.app_context():
        make_code(slug="uncached")
        db.engine.dispose()  # no pooled connection: the next look-up must connect
    proxy.slow(delay=60)
    started = time.monotonic()
    response = client.get("/s/uncached")
    assert response.status_code == 503
    assert time.monotonic() - started < FAST_FAILURE["DB_CONNECT_TIMEOUT"] + 1.5
    proxy.restore()


def test_a_slow_statement_trips_the_statement_timeout_and_the_scan_is_buffered(
        app, client, direct):
    with app.app_context():
        make_code(slug="cached")
    client.get("/s/cached")
    with direct.connect() as blocker:
        # The scan's write must wait for this lock: the database "answers slowly".
        blocker.execute(text("LOCK TABLE scan_events IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        response = client.get("/s/cached")
        elapsed = time.monotonic() - started
        blocker.rollback()
    assert response.status_code == 302
    timeout = FAST_FAILURE["DB_STATEMENT_TIMEOUT_MS"] / 1000
    assert timeout <= elapsed < timeout + 1.5
    assert get_redis(app).llen(buffer.BUFFER_KEY) == 1
    with app.app_context():
        assert buffer.flush() == {"buffered": 1, "written": 1}
    assert scans_in_db(direct) == (2, 2)


@pytest.mark.settings(METRICS_TOKEN="scrape-me")
def test_pages_that_need_the_database_say_it_is_unavailable(app, client, auth, proxy):
    auth.signup()
    assert client.get("/").status_code == 200
    proxy.cut()
    response = client.get("/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Temporarily unavailable" in response.get_data(as_text=True)
    api = client.get("/api/me", headers={"Authorization": "Bearer sk_nothing"})
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "unavailable"

    # Ada's session cookie asks for her user, from the database that is gone: still an answer.
    assert client.get("/readyz").get_json() == {"status": "unavailable"}
    ready = client.get("/readyz", headers={"Authorization": "Bearer scrape-me"})
    assert ready.status_code == 503
    body = ready.get_json()
    assert body["checks"]["database"]["ok"] is False and body["checks"]["redis"]["ok"] is True
    assert body["breakers"]["database"]["failures"] >= 1 or (
        body["breakers"]["database"]["state"] == "open")
    proxy.restore()
