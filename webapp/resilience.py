"""Failure policies in one place: timeouts for outside calls and circuit breakers.

Breakers are pybreaker's, with their state in Redis (`CircuitRedisStorage`) so that
every web and worker process sees the same circuit. Quirks of that storage, checked
against pybreaker 1.4 and redis-py 8:

- it decodes the state with `bytes.decode`, so its client must NOT use
  `decode_responses=True` (`get_redis()` does not);
- its constructor writes to Redis, so building a breaker while Redis is down raises:
  `get_breaker` then hands out an in-memory breaker and tries Redis again next time;
- `opened_at` is stored in whole seconds, so a reset timeout is honoured only to
  within a second: `CachedRedisStorage` stores milliseconds;
- it calls Redis directly, so a Redis that hangs makes every guarded call wait out a
  socket timeout: `CachedRedisStorage` talks to Redis through the `redis` breaker
  (`GatedRedis`) and carries on alone while Redis is away;
- a process that merely *notices* a change made elsewhere also calls the listeners'
  `state_change`, so transitions are counted once, in Redis, by comparing states;
- it reads the state from Redis on every call and resets the failure counter on
  every success: two round trips per guarded call, a quarter of a webhook send's
  cost. `CachedRedisStorage` reads state, counters and opening time in one MGET at
  most every BREAKER_READ_SECONDS and skips resets of a counter it knows is 0;
  writes still go to Redis at once, so a breaker opened by one process is seen by
  the others within that interval.

The named service breakers: `database` (shared through Redis like the webhook hosts'
breakers) and `redis`, which cannot keep its state in the service it guards and so
lives in each process's memory. Both are used through `guard`, not `breaker.call`:
pybreaker's `call` holds a per-breaker lock for the whole call, which would let one
thread of a web process talk to the database at a time.
"""
import logging
import time
from datetime import datetime, timedelta, timezone

import pybreaker
import redis.exceptions
import requests
import tenacity
from flask import current_app
from sqlalchemy import exc as sa_exc

from .redis_client import get_redis

log = logging.getLogger(__name__)

BREAKER_READ_SECONDS = 0.5
LOCAL_STAND_IN_SECONDS = 5.0
REGISTRY_KEY = "scanlink:breakers"
STATS_KEY = "scanlink:breaker-stats:{name}"
LAST_STATE_KEY = "scanlink:breaker-last-state:{name}"
STORAGE_NAMESPACE = "scanlink:breaker:{name}"


DATABASE = "database"
REDIS = "redis"


class ServiceUnavailable(Exception):
    """Neither the primary nor the fallback could answer; shown as a 503."""

    def __init__(self, message, retry_after=30):
        super().__init__(message)
        self.message, self.retry_after = message, retry_after


def database_error(exc):
    """True for a failure of the database itself (gone, unreachable, too slow), not of a
    statement it refused (integrity, data): only those count against its breaker."""
    if isinstance(exc, pybreaker.CircuitBreakerError):
        return True
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated
    # a driver's own error that reached us without SQLAlchemy wrapping it
    kind = type(exc)
    return (kind.__module__.split(".")[0] in ("psycopg", "sqlite3")
            and kind.__name__ in ("OperationalError", "InterfaceError"))


def redis_error(exc):
    return isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                            pybreaker.CircuitBreakerError))


def transient(exc):
    """Worth another try: the service may answer in a moment. Never an open breaker (it
    says "not now" on purpose) and never a 4xx (the same request gets the same answer)."""
    if isinstance(exc, pybreaker.CircuitBreakerError):
        return False
    if isinstance(exc, requests.HTTPError):
        status = exc.response.status_code if exc.response is not None else None
        return status is None or status >= 500 or status == 429
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return True
    return database_error(exc) or redis_error(exc)


def retrying(config=None, **overrides):
    """The one tenacity policy: exponential backoff with jitter, transient errors only,
    a few attempts, then the last error is raised as itself."""
    config = config or current_app.config
    options = dict(
        retry=tenacity.retry_if_exception(transient),
        stop=tenacity.stop_after_attempt(config["RETRY_ATTEMPTS"]),
        wait=tenacity.wait_exponential_jitter(multiplier=config["RETRY_WAIT_INITIAL"],
                                              max=config["RETRY_WAIT_MAX"]),
        reraise=True,
        before_sleep=lambda state: log.info("retrying %s after %r (attempt %d)",
                                            getattr(state.fn, "__name__", state.fn),
                                            state.outcome.exception(), state.attempt_number),
    )
    options.update(overrides)
    return tenacity.Retrying(**options)


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
            _count_transition(cb.name, new)
        except Exception:  # counting is a nicety; a breaker must work without it
            log.warning("breaker %s: could not record its state change", cb.name, exc_info=True)
        if new == pybreaker.STATE_OPEN:
            log.warning("breaker %s opened (was %s) after %s failures", cb.name, old, cb.fail_counter)
        else:
            log.info("breaker %s is %s (was %s)", cb.name, new, old)


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


class CachedRedisStorage(pybreaker.CircuitRedisStorage):
    """pybreaker's Redis storage, read in one round trip at most every `max_age` seconds.

    While Redis cannot be reached the breaker carries on with what this process knows
    (its last reading plus its own failures and transitions since), asking Redis again
    every LOCAL_STAND_IN_SECONDS: a database outage during a Redis outage still opens
    the database breaker, in each process on its own. The opening time is kept to the
    millisecond (pybreaker keeps whole seconds), so a reset timeout of a second means one.
    """

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
            log.warning("breaker storage: Redis unavailable; this process carries on alone",
                        exc_info=not isinstance(self._redis, GatedRedis))
            self._cached = {"state": self._fallback_circuit_state, "fail_counter": 0,
                            "success_counter": 0, "opened_at": None, **self._cached}
            # remembered like a read, so a dead Redis costs one timeout per interval, not per call
            self._read_at = time.monotonic() + LOCAL_STAND_IN_SECONDS - self._max_age
            return self._cached
        if state is None:
            self._initialize_redis_state(self._fallback_circuit_state)
        self._cached = {
            "state": state.decode() if state else self._fallback_circuit_state,
            "fail_counter": int(fails or 0), "success_counter": int(successes or 0),
            "opened_at": float(opened_at) if opened_at else None,
        }
        self._read_at = time.monotonic()
        return self._cached

    def _write(self, key, value):
        try:
            self._redis.set(self._namespace(key), value)
        except Exception:
            log.warning("breaker storage: could not write %s; kept in this process", key,
                        exc_info=not isinstance(self._redis, GatedRedis))
        self._fresh()[key] = value

    @property
    def state(self):
        return self._fresh()["state"]

    @state.setter
    def state(self, state):
        self._write("state", str(state))

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
        self._write("opened_at", round(now.timestamp(), 3))

    def increment_counter(self):
        self._count("fail_counter")

    def increment_success_counter(self):
        self._count("success_counter")

    def _count(self, name):
        cached = self._fresh()
        try:
            cached[name] = int(self._redis.incr(self._namespace(name)))
        except Exception:
            log.warning("breaker storage: could not count; counted in this process",
                        exc_info=not isinstance(self._redis, GatedRedis))
            cached[name] = cached.get(name, 0) + 1

    def reset_counter(self):
        if self._fresh().get("fail_counter"):
            self._write("fail_counter", 0)

    def reset_success_counter(self):
        if self._fresh().get("success_counter"):
            self._write("success_counter", 0)


def _registry(app):
    return app.extensions.setdefault("scanlink_breakers", {})


def get_breaker(name, *, fail_max, reset_timeout, app=None):
    """The named breaker of this app, sharing its state through Redis."""
    app = app or current_app._get_current_object()
    registry = _registry(app)
    breaker = registry.get(name)
    if breaker is not None:
        breaker.fail_max, breaker.reset_timeout = fail_max, reset_timeout
        retry_at = getattr(breaker, "_scanlink_retry_at", None)
        if retry_at is None or retry_at > time.monotonic():
            return breaker  # the shared one, or a local stand-in until Redis is asked again
    redis = get_redis(app)
    if redis.connection_pool.connection_kwargs.get("decode_responses"):
        raise RuntimeError("pybreaker's Redis storage needs a client without decode_responses")
    redis = GatedRedis(redis, redis_breaker(app))
    listener = TransitionListener(redis)
    try:
        storage = CachedRedisStorage(pybreaker.STATE_CLOSED, redis,
                                     STORAGE_NAMESPACE.format(name=name))
        redis.sadd(REGISTRY_KEY, name)
    except Exception:
        log.warning("breaker %s: Redis unavailable, using a local breaker for now", name,
                    exc_info=True)
        local = pybreaker.CircuitBreaker(fail_max=fail_max, reset_timeout=reset_timeout, name=name,
                                         listeners=[LogListener()], throw_new_error_on_trip=False)
        # kept a few seconds, so a dead Redis is not asked again on every call
        local._scanlink_retry_at = time.monotonic() + LOCAL_STAND_IN_SECONDS
        registry[name] = local
        return local
    breaker = pybreaker.CircuitBreaker(
        fail_max=fail_max, reset_timeout=reset_timeout, name=name, state_storage=storage,
        listeners=[listener],
        # The failure that trips the breaker is reported as itself, so its attempt is logged.
        throw_new_error_on_trip=False)
    registry[name] = breaker
    return breaker


def database_breaker(app=None):
    """The `database` breaker: its state is shared by every process through Redis."""
    app = app or current_app._get_current_object()
    breaker = get_breaker(DATABASE, fail_max=app.config["DB_BREAKER_FAIL_MAX"],
                          reset_timeout=app.config["DB_BREAKER_RESET_SECONDS"], app=app)
    if not breaker.excluded_exceptions:
        breaker.add_excluded_exception(lambda exc: not database_error(exc))
    return breaker


def redis_breaker(app=None):
    """The `redis` breaker, in this process's memory: Redis cannot hold the state of the
    breaker that guards Redis. Each process finds out on its own, after a few failures."""
    app = app or current_app._get_current_object()
    local = app.extensions.setdefault("scanlink_local_breakers", {})
    breaker = local.get(REDIS)
    if breaker is None:
        breaker = local[REDIS] = pybreaker.CircuitBreaker(
            fail_max=app.config["REDIS_BREAKER_FAIL_MAX"],
            reset_timeout=app.config["REDIS_BREAKER_RESET_SECONDS"], name=REDIS,
            exclude=[lambda exc: not redis_error(exc)],
            listeners=[LogListener()], throw_new_error_on_trip=False)
    return breaker


def local_breakers(app=None):
    app = app or current_app._get_current_object()
    return dict(app.extensions.get("scanlink_local_breakers", {}))


class LogListener(pybreaker.CircuitBreakerListener):
    """Logs (and, with metrics on, counts) the state changes of a process-local breaker."""

    def state_change(self, cb, old_state, new_state):
        level = logging.WARNING if new_state.name == pybreaker.STATE_OPEN else logging.INFO
        log.log(level, "breaker %s (this process) is %s (was %s)", cb.name, new_state.name,
                old_state.name if old_state else None)
        _count_transition(cb.name, new_state.name)


def _count_transition(name, state):
    from . import metrics

    metrics.breaker_transition(name, state)


def guard(breaker, func, *args, **kwargs):
    """`breaker.call(func, ...)` without pybreaker's lock around the call.

    Raises CircuitBreakerError at once while the breaker is open; after its reset time
    lets calls through as trials (half-open): a success closes it, a failure opens it
    again. Failures that the breaker excludes count as successes, as in pybreaker.
    """
    state = breaker.state  # refreshed from the storage (Redis: at most every half second)
    if state.name == pybreaker.STATE_OPEN:
        opened_at = breaker._state_storage.opened_at
        if opened_at and datetime.now(timezone.utc) < opened_at + timedelta(
                seconds=breaker.reset_timeout):
            raise pybreaker.CircuitBreakerError(f"the {breaker.name} circuit is open")
        with breaker._lock:
            if breaker.state.name == pybreaker.STATE_OPEN:
                breaker.half_open()
    try:
        result = func(*args, **kwargs)
    except BaseException as exc:
        try:
            breaker.state._handle_error(exc, reraise=False)
        except BaseException:  # pybreaker re-raises the failure that trips it; ours follows
            pass
        raise
    breaker.state._handle_success()
    return result


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
