"""Infrastructure every layer stands on, and nothing of Scanlink's own behaviour.

- `database`: binds SQLAlchemy; per-connection settings (SQLite WAL, PostgreSQL timeouts).
- `redis_client`: `get_redis()`, one client per app, made on first use.
- `storage`: `get_storage()`, where uploaded and produced files live.
- `metrics`: the Prometheus counters (served by services/ops/prometheus.py).
- `resilience/`: what a failure is, the retry policy, the circuit breakers.
"""
