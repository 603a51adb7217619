"""A Redis client whose every call goes through the `redis` breaker."""
import pybreaker
import redis.exceptions

from webapp.infra.resilience.guard import guard


class GatedRedis:
    """A Redis client whose calls go through the `redis` breaker: while it is open they
    fail at once, as a redis ConnectionError (which pybreaker's storage and our callers
    handle), instead of each waiting out a socket timeout on a Redis that hangs."""

    def __init__(self, redis, gate):
        self._redis, self._gate = redis, gate

    def __getattr__(self, name):
        attr = getattr(self._redis, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            try:
                return guard(self._gate, attr, *args, **kwargs)
            except pybreaker.CircuitBreakerError as exc:
                raise redis.exceptions.ConnectionError("the redis circuit is open") from exc
        return call
