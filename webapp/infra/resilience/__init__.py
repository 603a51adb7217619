"""Failure policies in one place: what a failure is, retries, and circuit breakers.

- `failures`: `database_error`, `redis_error`, `transient`, and `ServiceUnavailable`
  (neither the service nor its fallback answered: a 503).
- `retries`: `retrying()`, the one tenacity policy.
- `breakers`: `database_breaker()`, `redis_breaker()`, `get_breaker(name)` (one per
  webhook host), `breaker_snapshots()` for the status pages.
- `guard`: `guard(breaker, func, ...)`, how every call goes through a breaker.
- `breaker_storage` and `redis_gate`: shared breaker state in Redis, reached through
  the `redis` breaker so a hanging Redis costs no timeout per call.
"""
