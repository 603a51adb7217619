"""Failure policies in one place: timeouts for outside calls and circuit breakers.

Breakers are pybreaker's, with their state in Redis (`CircuitRedisStorage`) so that
every web and worker process sees the same circuit. Quirks of that storage, checked
against pybreaker 1.4 and redis-py 8:

- it decodes the state with `bytes.decode`, so its client must NOT use
  `decode_responses=True` (`get_redis()` does not);
- its constructor writes to Redis, so building a breaker while Redis is down raises:
  `get_breaker` then hands out an in-memory breaker and tries Redis again next time;
- `opened_at` is stored in whole seconds, so a reset timeout is honoured to within a
  second (tests use reset timeouts of a second or more);
- a process that merely *notices* a change made elsewhere also calls the listeners'
  `state_change`, so transitions are counted once, in Redis, by comparing states;
- it reads the state from Redis on every call and resets the failure counter on
  every success: two round trips per guarded call, a quarter of a webhook send's
  cost. `CachedRedisStorage` reads state, counters and opening time in one MGET at
  most every BREAKER_READ_SECONDS and skips resets of a counter it knows is 0;
  writes still go to Redis at once, so a breaker opened by one process is seen by
  the others within that interval.

Issue 8 adds the database and Redis breakers and tenacity policies here.
"""
import logging
import time
from datetime import datetime, timezone

import pybreaker
from flask import current_app

from .redis_client import get_redis

log = logging.getLogger(__name__)

BREAKER_READ_SECONDS = 0.5
REGISTRY_KEY = "scanlink:breakers"
STATS_KEY = "scanlink:breaker-stats:{name}"
LAST_STATE_KEY = "scanlink:breaker-last-state:{name}"
STORAGE_NAMESPACE = "scanlink:breaker:{name}"


def http_timeouts(config=None):
    """(connect, read) seconds for an outgoing webhook request."""
    config = config or current_app.config
    return (config["WEBHOOK_CONNECT_TIMEOUT"], config["WEBHOOK_READ_TIMEOUT"])


class TransitionListener(pybreaker.CircuitBreakerListener):
    """Logs every state change and counts it once in Redis, for the status page."""

    def __init__(self, redis):
        self.redis = redis

    def state_change(self, cb, old_state, new_state):
        old = old_state.name if old_state else None
        new = new_state.name
        key = STATS_KEY.format(name=cb.name)
        try:
            # Every process that notices a change gets here; the atomic SET … GET lets
            # only the first one that records the new state count it.
            previous = self.redis.set(LAST_STATE_KEY.format(name=cb.name), new, get=True)
            if previous is not None and previous.decode() == new:
                log.info("breaker %s: this process sees it %s", cb.name, new)
                return
            with self.redis.pipeline() as pipe:
                pipe.hset(key, mapping={"state": new, "changed_at": f"{time.time():.3f}",
                                        "previous": old or ""})
                pipe.hincrby(key, f"to_{new}", 1)
                pipe.execute()
        except Exception:  # counting is a nicety; a breaker must work without it
            log.warning("breaker %s: could not record its state change", cb.name, exc_info=True)
        if new == pybreaker.STATE_OPEN:
            log.warning("breaker %s opened (was %s) after %s failures", cb.name, old, cb.fail_counter)
        else:
            log.info("breaker %s is %s (was %s)", cb.name, new, old)


class CachedRedisStorage(pybreaker.CircuitRedisStorage):
    """pybreaker's Redis storage, read in one round trip at most every `max_age` seconds."""

    def __init__(self, state, redis, namespace, max_age=BREAKER_READ_SECONDS):
        self._max_age = max_age
        self._read_at = float("-inf")
        self._cached = {}
        super().__init__(state, redis, namespace=namespace)

    def _fresh(self):
        if time.monotonic() - self._read_at <= self._max_age:
            return self._cached
        keys = [self._namespace(k) for k in ("state", "fail_counter", "success_counter", "opened_at")]
        try:
            state, fails, successes, opened_at = self._redis.mget(keys)
        except Exception:
            log.warning("breaker storage: Redis unavailable, assuming closed", exc_info=True)
            # remembered like a read, so a dead Redis costs one timeout per interval, not per call
            self._cached = {"state": self._fallback_circuit_state, "fail_counter": 0,
                            "success_counter": 0, "opened_at": None}
            self._read_at = time.monotonic()
            return self._cached
        if state is None:
            self._initialize_redis_state(self._fallback_circuit_state)
        self._cached = {
            "state": state.decode() if state else self._fallback_circuit_state,
            "fail_counter": int(fails or 0), "success_counter": int(successes or 0),
            "opened_at": int(opened_at) if opened_at else None,
        }
        self._read_at = time.monotonic()
        return self._cached

    def _forget(self):
        self._read_at = float("-inf")

    @property
    def state(self):
        return self._fresh()["state"]

    @state.setter
    def state(self, state):
        pybreaker.CircuitRedisStorage.state.fset(self, state)
        self._forget()

    @property
    def counter(self):
        return self._fresh()["fail_counter"]

    @property
    def success_counter(self):
        return self._fresh()["success_counter"]

    @property
    def opened_at(self):
        value = self._fresh()["opened_at"]
        return datetime.fromtimestamp(value, timezone.utc) if value else None

    @opened_at.setter
    def opened_at(self, now):
        pybreaker.CircuitRedisStorage.opened_at.fset(self, now)
        self._forget()

    def increment_counter(self):
        self._count("fail_counter")

    def increment_success_counter(self):
        self._count("success_counter")

    def _count(self, name):
        try:
            value = self._redis.incr(self._namespace(name))
        except Exception:
            log.warning("breaker storage: could not count", exc_info=True)
            return
        if self._read_at > float("-inf"):
            self._cached[name] = int(value)

    def reset_counter(self):
        if self._fresh().get("fail_counter"):
            super().reset_counter()
            self._cached["fail_counter"] = 0

    def reset_success_counter(self):
        if self._fresh().get("success_counter"):
            super().reset_success_counter()
            self._cached["success_counter"] = 0


def _registry(app):
    return app.extensions.setdefault("scanlink_breakers", {})


def get_breaker(name, *, fail_max, reset_timeout, app=None):
    """The named breaker of this app, sharing its state through Redis."""
    app = app or current_app._get_current_object()
    registry = _registry(app)
    breaker = registry.get(name)
    if breaker is not None:
        breaker.fail_max, breaker.reset_timeout = fail_max, reset_timeout
        return breaker
    redis = get_redis(app)
    if redis.connection_pool.connection_kwargs.get("decode_responses"):
        raise RuntimeError("pybreaker's Redis storage needs a client without decode_responses")
    listener = TransitionListener(redis)
    try:
        storage = CachedRedisStorage(pybreaker.STATE_CLOSED, redis,
                                     STORAGE_NAMESPACE.format(name=name))
        redis.sadd(REGISTRY_KEY, name)
    except Exception:
        log.warning("breaker %s: Redis unavailable, using a local breaker for now", name,
                    exc_info=True)
        return pybreaker.CircuitBreaker(fail_max=fail_max, reset_timeout=reset_timeout, name=name,
                                        listeners=[listener], throw_new_error_on_trip=False)
    breaker = pybreaker.CircuitBreaker(
        fail_max=fail_max, reset_timeout=reset_timeout, name=name, state_storage=storage,
        listeners=[listener],
        # The failure that trips the breaker is reported as itself, so its attempt is logged.
        throw_new_error_on_trip=False)
    registry[name] = breaker
    return breaker


def open_until(breaker):
    """When an open breaker lets a trial call through (epoch seconds), or None."""
    opened_at = breaker._state_storage.opened_at
    if opened_at is None:
        return None
    return opened_at.timestamp() + breaker.reset_timeout


def breaker_snapshots(redis=None):
    """Every breaker ever made, with its shared state and transition counts."""
    redis = redis or get_redis()
    rows = []
    for raw in sorted(redis.smembers(REGISTRY_KEY)):
        name = raw.decode()
        prefix = STORAGE_NAMESPACE.format(name=name) + ":pybreaker:"
        state, failures, opened_at = redis.mget(
            prefix + "state", prefix + "fail_counter", prefix + "opened_at")
        stats = {k.decode(): v.decode() for k, v in redis.hgetall(STATS_KEY.format(name=name)).items()}
        rows.append({
            "name": name,
            "state": state.decode() if state else pybreaker.STATE_CLOSED,
            "failures": int(failures or 0),
            "opened_at": float(opened_at) if opened_at else None,
            "changed_at": float(stats["changed_at"]) if stats.get("changed_at") else None,
            "opened": int(stats.get("to_open", 0)),
            "half_opened": int(stats.get("to_half-open", 0)),
            "closed": int(stats.get("to_closed", 0)),
        })
    return rows
