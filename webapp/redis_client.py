"""One Redis client per app, made on first use, never at import time."""
import redis
from flask import current_app


def get_redis(app=None):
    app = app or current_app._get_current_object()
    client = app.extensions.get("scanlink_redis")
    if client is None:
        client = redis.Redis.from_url(
            app.config["REDIS_URL"],
            socket_timeout=app.config["REDIS_SOCKET_TIMEOUT"],
            socket_connect_timeout=app.config["REDIS_SOCKET_TIMEOUT"],
            health_check_interval=30,
        )
        app.extensions["scanlink_redis"] = client
    return client
