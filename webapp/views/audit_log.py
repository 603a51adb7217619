"""The audit log page: the workspace's changes, newest first, for its admins."""
from flask import Blueprint, g, request

from webapp.services import audit
from webapp.web.access import needs
from webapp.web.rendering import render

bp = Blueprint("audit", __name__, url_prefix="/audit-log")


@bp.app_context_processor
def navigation():
    """Whether the navigation links to the log: only for whom the page would open.

    Asked of the member a page already resolved (`@needs`): the navigation itself reads
    nothing from the database and touches no session, so pages outside a workspace (the
    account, an error page after a failed transaction) render as before, without it."""
    def can_read_audit_log():
        actor = g.get("actor")
        return actor is not None and actor.can(audit.READ_ROLE)
    return {"can_read_audit_log": can_read_audit_log}


@bp.get("/")
@needs(audit.READ_ROLE)
def index():
    entries, next_cursor = audit.page(g.actor, request.args.get("cursor"))
    return render("audit/index.html", entries=entries, next_cursor=next_cursor,
                  first_page=not request.args.get("cursor"), change_lines=audit.change_lines)
