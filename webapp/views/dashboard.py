"""The home page: a welcome for visitors, the dashboard for users."""
from flask import Blueprint, render_template
from flask_login import current_user

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("dashboard/welcome.html")
    return render_template("dashboard/index.html")
