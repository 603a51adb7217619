"""Webhook test set-up: an app that may reach 127.0.0.1 and retries in tenths of seconds."""
from webapp.infra.redis_client import get_redis
from workers.context import set_app

# Real settings, short waits: no test sits through a real backoff.
SETTINGS = dict(
    WEBHOOK_ALLOW_HTTP=True,
    WEBHOOK_ALLOW_PRIVATE=True,
    WEBHOOK_RETRY_SCHEDULE=(0, 0.2, 0.2, 0.2, 0.2, 0.2),
    WEBHOOK_RETRY_JITTER=0.0,
    WEBHOOK_CONNECT_TIMEOUT=1.0,
    WEBHOOK_READ_TIMEOUT=1.0,
    WEBHOOK_LEASE_SECONDS=3.5,
    WEBHOOK_BREAKER_FAIL_MAX=100,
    WEBHOOK_BREAKER_RESET_SECONDS=1,
)


def as_env(settings):
    """The same settings for a `python -m workers` process."""
    env = {}
    for key, value in settings.items():
        if isinstance(value, bool):
            value = "1" if value else "0"
        elif isinstance(value, tuple):
            value = ",".join(str(v) for v in value)
        env[key] = str(value)
    return env


def webhook_app(app_factory, **overrides):
    from tests.support.backends import clean

    app = app_factory(**{**SETTINGS, **overrides})
    clean(app)
    get_redis(app).flushdb()
    set_app(app)
    return app
