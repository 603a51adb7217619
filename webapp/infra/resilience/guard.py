"""Calling through a breaker: `guard`, pybreaker's `call` without its lock.

pybreaker's `call` holds a per-breaker lock for the whole call, which would let one
thread of a web process talk to the database at a time.
"""
from datetime import datetime, timedelta, timezone

import pybreaker


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
