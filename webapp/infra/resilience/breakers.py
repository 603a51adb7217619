"""The breakers: one per outside service, found by name, shared through Redis.

The named service breakers: `database` and `storage` (shared through Redis like the
webhook hosts' breakers, see breaker_storage) and `redis`, which cannot keep its state in the service
it guards and so lives in each process's memory. Both are called through
`guard.guard`, not `breaker.call`. Every state change is logged and counted.
"""
import logging
import time

import pybreaker
from flask import current_app

from webapp.infra import metrics
from webapp.infra.redis_client import get_redis
from webapp.infra.resilience.breaker_storage import LOCAL_STAND_IN_SECONDS, CachedRedisStorage
from webapp.infra.resilience.failures import database_error, redis_error, storage_error
from webapp.infra.resilience.redis_gate import GatedRedis

log = logging.getLogger(__name__)

REGISTRY_KEY = "scanlink:breakers"
STATS_KEY = "scanlink:breaker-stats:{name}"
LAST_STATE_KEY = "scanlink:breaker-last-state:{name}"
STORAGE_NAMESPACE = "scanlink:breaker:{name}"

DATABASE = "database"
REDIS = "redis"
STORAGE = "storage"


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
            metrics.breaker_transition(cb.name, new)
        except Exception:  # counting is a nicety; a breaker must work without it
            log.warning("breaker %s: could not record its state change", cb.name, exc_info=True)
        if new == pybreaker.STATE_OPEN:
            log.warning("breaker %s opened (was %s) after %s failures", cb.name, old, cb.fail_counter)
        else:
            log.info("breaker %s is %s (was %s)", cb.name, new, old)


class LogListener(pybreaker.CircuitBreakerListener):
    """Logs (and, with metrics on, counts) the state changes of a process-local breaker."""

    def state_change(self, cb, old_state, new_state):
        level = logging.WARNING if new_state.name == pybreaker.STATE_OPEN else logging.INFO
        log.log(level, "breaker %s (this process) is %s (was %s)", cb.name, new_state.name,
                old_state.name if old_state else None)
        metrics.breaker_transition(cb.name, new_state.name)


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


def storage_breaker(app=None):
    """The `storage` breaker (the bucket, or the disk), shared through Redis like the
    database's: one process that finds storage down spares the others the timeouts."""
    app = app or current_app._get_current_object()
    breaker = get_breaker(STORAGE, fail_max=app.config["STORAGE_BREAKER_FAIL_MAX"],
                          reset_timeout=app.config["STORAGE_BREAKER_RESET_SECONDS"], app=app)
    if not breaker.excluded_exceptions:
        breaker.add_excluded_exception(lambda exc: not storage_error(exc))
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
