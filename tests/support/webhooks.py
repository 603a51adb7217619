"""Webhook settings for tests: the app may reach 127.0.0.1 and retries in tenths of seconds.

A module of webhook tests declares `pytestmark = pytest.mark.settings(WEBHOOK_SETTINGS)`.
"""

# Real settings, short waits: no test sits through a real backoff.
WEBHOOK_SETTINGS = dict(
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
