"""/admin/users for instance administrators: find accounts, disable and enable them.

It shows accounts, never their workspaces' data: an administrator who is not a member of a
workspace gets 404 for its codes like anyone else (webapp.web.access)."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from webapp.extensions import db
from webapp.services import ServiceError
from webapp.services.accounts import admin_users
from webapp.web.auth import admin_required
from webapp.web.rendering import render

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")


def _page(status=200):
    search = (request.values.get("q") or "").strip()
    before = admin_users.parse_before(request.args.get("before"))
    page = admin_users.list_users(search=search, before=before)
    return render("admin/users.html", page=page, search=search, first_page=before is None), status


@bp.get("/")
@admin_required
def index():
    return _page()


def _back():
    """To the list the form was sent from (its search kept), where the row shows the change."""
    search = (request.form.get("q") or "").strip()
    return redirect(url_for("admin_users.index", q=search or None))


@bp.post("/<int:user_id>/disable")
@admin_required
def disable(user_id):
    user = admin_users.get_user(user_id)
    try:
        ended = admin_users.disable(current_user, user)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _page(exc.status)
    db.session.commit()
    flash(f"{user.email} is disabled; {ended} browser session(s) ended. "
          "Their API keys are refused until the account is enabled again.", "success")
    return _back()


@bp.post("/<int:user_id>/enable")
@admin_required
def enable(user_id):
    user = admin_users.get_user(user_id)
    admin_users.enable(user)
    db.session.commit()
    flash(f"{user.email} can log in again.", "success")
    return _back()
