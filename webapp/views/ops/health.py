"""Liveness and readiness for load balancers and platforms."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from webapp.extensions import db
from webapp.infra.redis_client import get_redis
from webapp.infra.resilience import breakers
from webapp.infra.resilience.guard import guard

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def check_database():
    try:
        # through the breaker: a probe that fails counts, and an open breaker is reported
        guard(breakers.database_breaker(), db.session.execute, text("SELECT 1"))
        return {"ok": True}
    except Exception as exc:  # any failure means "not ready"; the reason is reported
        db.session.rollback()
        return {"ok": False, "error": type(exc).__name__}


def check_redis():
    try:
        get_redis().ping()
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def breaker_states():
    """Every shared breaker (from Redis) and this process's own ones (the redis breaker)."""
    found = {}
    try:
        for row in breakers.breaker_snapshots():
            found[row["name"]] = {"state": row["state"], "failures": row["failures"],
                                  "shared": True}
    except Exception as exc:
        found["_shared"] = {"error": f"unreadable without Redis ({type(exc).__name__})"}
    for name, breaker in breakers.local_breakers().items():
        found[name] = {"state": breaker.current_state, "failures": breaker.fail_counter,
                       "shared": False}
    return found


@bp.get("/readyz")
def readyz():
    """Ready when the database and Redis answer; the breakers are reported, not judged
    (one receiver's open breaker does not make the app unready)."""
    checks = {"database": check_database(), "redis": check_redis()}
    ready = all(check["ok"] for check in checks.values())
    return (jsonify(status="ready" if ready else "unavailable", checks=checks,
                    breakers=breaker_states()),
            200 if ready else 503)
