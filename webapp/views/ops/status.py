"""/admin/status for administrators: breakers, queues, backlogs, webhook success rates."""
from datetime import datetime, timezone

from flask import Blueprint

from webapp.infra.resilience.breakers import breaker_snapshots, local_breakers, storage_breaker
from webapp.services.ops import status
from webapp.web.auth import admin_required
from webapp.web.rendering import render

bp = Blueprint("admin_status", __name__, url_prefix="/admin/status")


def _when(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc) if epoch else None


@bp.get("/")
@admin_required
def index():
    try:
        storage_breaker()  # listed from the start, not only once storage was used
        breakers = breaker_snapshots()
    except Exception:  # Redis down: the shared breakers cannot be read, the rest still can
        breakers = None
    for row in breakers or []:
        row["opened_at"], row["changed_at"] = _when(row["opened_at"]), _when(row["changed_at"])
    local = [{"name": name, "state": breaker.current_state, "failures": breaker.fail_counter}
             for name, breaker in sorted(local_breakers().items())]
    return render("admin/status.html", breakers=breakers, local_breakers=local,
                  queues=status.queue_lengths(), outbox=status.outbox_backlog(),
                  scan_backlog=status.scan_backlog(),
                  deliveries=status.delivery_success())
