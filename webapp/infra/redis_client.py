"""One Redis client per app, made on first use, never at import time."""
import redis
from flask import current_app
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry


def client_retry(config):
    """redis-py's own retry of a failed command, kept short: a dead Redis costs
    (retries + 1) socket timeouts per call until the `redis` breaker opens."""
    return Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.1), config["REDIS_RETRIES"])


def get_redis(app=None):
    app = app or current_app._get_current_object()
    client = app.extensions.get("scanlink_redis")
    if client is None:
        client = redis.Redis.from_url(
            app.config["REDIS_URL"],
            socket_timeout=app.config["REDIS_SOCKET_TIMEOUT"],
            socket_connect_timeout=app.config["REDIS_SOCKET_TIMEOUT"],
            retry=client_retry(app.config),
            health_check_interval=30,
        )
        app.extensions["scanlink_redis"] = client
    return client
