"""/admin/status for administrators: the shared state of every circuit breaker.

Issue 8 extends this page (queues, outbox backlog, success rates per endpoint).
"""
from datetime import datetime, timezone

from flask import Blueprint

from ..auth import admin_required
from ..rendering import render
from ..resilience import breaker_snapshots

bp = Blueprint("admin_status", __name__, url_prefix="/admin/status")


def _when(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc) if epoch else None


@bp.get("/")
@admin_required
def index():
    breakers = breaker_snapshots()
    for row in breakers:
        row["opened_at"], row["changed_at"] = _when(row["opened_at"]), _when(row["changed_at"])
    return render("admin/status.html", breakers=breakers)
