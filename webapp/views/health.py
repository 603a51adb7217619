"""Liveness and readiness for load balancers and platforms."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from ..extensions import db
from ..redis_client import get_redis

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def check_database():
    try:
        db.session.execute(text("SELECT 1"))
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


@bp.get("/readyz")
def readyz():
    checks = {"database": check_database(), "redis": check_redis()}
    ready = all(check["ok"] for check in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503
