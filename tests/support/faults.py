"""Fault proxies in front of this run's Redis and PostgreSQL, and app settings through them."""
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from tests.support.faultproxy import FaultProxy

# Small, so that no test waits long on a timeout or a reset period.
FAST_FAILURE = dict(
    REDIS_SOCKET_TIMEOUT=0.5,
    REDIS_RETRIES=0,
    REDIS_BREAKER_FAIL_MAX=2,
    REDIS_BREAKER_RESET_SECONDS=1,
    DB_CONNECT_TIMEOUT=2,
    DB_STATEMENT_TIMEOUT_MS=500,
    DB_BREAKER_FAIL_MAX=2,
    DB_BREAKER_RESET_SECONDS=1,
    RETRY_ATTEMPTS=2,
    RETRY_WAIT_INITIAL=0.01,
    RETRY_WAIT_MAX=0.05,
    JOB_ENQUEUE_GRACE=0,
)


def redis_proxy(redis_url):
    parts = urlsplit(redis_url)
    return FaultProxy(parts.hostname or "127.0.0.1", parts.port or 6379).start()


def through_redis_proxy(redis_url, proxy):
    parts = urlsplit(redis_url)
    auth = f"{parts.username or ''}:{parts.password}@" if parts.password else ""
    url = f"redis://{auth}127.0.0.1:{proxy.port}{parts.path}"
    return {"REDIS_URL": url, "RATELIMIT_STORAGE_URI": url}


def database_proxy(database_url):
    url = make_url(database_url)
    return FaultProxy(url.host or "127.0.0.1", url.port or 5432).start()


def through_database_proxy(database_url, proxy):
    url = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    return {"SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False)}
