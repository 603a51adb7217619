"""Liveness and readiness for load balancers and platforms.

Anyone may ask whether the app is ready; only an administrator, or the metrics scraper
with METRICS_TOKEN, sees why: the breakers are named after customers' webhook hosts.
"""
from flask import Blueprint, jsonify
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db
from webapp.infra.redis_client import get_redis
from webapp.infra.resilience import breakers
from webapp.infra.resilience.failures import ServiceUnavailable
from webapp.infra.resilience.guard import guard
from webapp.views.ops.metrics import metrics_token_given

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
        breakers.storage_breaker()  # listed from the start, not only once storage was used
        for row in breakers.breaker_snapshots():
            found[row["name"]] = {"state": row["state"], "failures": row["failures"],
                                  "shared": True}
    except Exception as exc:
        found["_shared"] = {"error": f"unreadable without Redis ({type(exc).__name__})"}
    for name, breaker in breakers.local_breakers().items():
        found[name] = {"state": breaker.current_state, "failures": breaker.fail_counter,
                       "shared": False}
    return found


def shows_details():
    if metrics_token_given():
        return True
    try:
        return current_user.is_authenticated and current_user.is_admin
    except (SQLAlchemyError, ServiceUnavailable):
        # No database, no user to ask about: the answer is "unavailable" anyway.
        db.session.rollback()
        return False


@bp.get("/readyz")
def readyz():
    """Ready when the database and Redis answer; the breakers are reported, not judged
    (one receiver's open breaker does not make the app unready)."""
    checks = {"database": check_database(), "redis": check_redis()}
    ready = all(check["ok"] for check in checks.values())
    answer = {"status": "ready" if ready else "unavailable"}
    if shows_details():
        answer.update(checks=checks, breakers=breaker_states())
    # Who asks decides what is shown: no cache may hand one answer to the other.
    headers = {"Cache-Control": "no-store", "Vary": "Authorization, Cookie"}
    return jsonify(answer), 200 if ready else 503, headers
