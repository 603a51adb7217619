"""The home page: a welcome for visitors, the dashboard (totals, newest codes) for users."""
from flask import Blueprint, g, render_template
from flask_login import current_user

from webapp.services.analytics.workspace import dashboard_totals
from webapp.services.codes.listing import CodePage
from webapp.web.access import needs
from webapp.web.streaming import stream_page

bp = Blueprint("dashboard", __name__)
NEWEST = 50


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("dashboard/welcome.html")
    return _dashboard()


@needs("viewer")
def _dashboard():
    workspace_id = g.actor.workspace_id
    # Called by the template after its first flush: the head goes out before the sums.
    return stream_page("dashboard/index.html", page=CodePage(g.actor, NEWEST),
                       totals=lambda: dashboard_totals(workspace_id))
