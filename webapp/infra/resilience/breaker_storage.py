"""Breaker state kept in Redis, so that every process sees the same circuit.

pybreaker keeps a shared breaker's state in Redis with `CircuitRedisStorage`.
`CachedRedisStorage` works round its quirks, checked against pybreaker 1.4 and
redis-py 8:

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
"""
import logging
import time
from datetime import datetime, timezone

import pybreaker

from webapp.infra.resilience.redis_gate import GatedRedis

log = logging.getLogger(__name__)

BREAKER_READ_SECONDS = 0.5
LOCAL_STAND_IN_SECONDS = 5.0


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
