"""/invitations/<token>: the link of an invitation mail.

GET shows what accepting means and a button; only the POST changes anything, so a mail
scanner that follows links cannot use up an invitation. A link that is forged, used,
withdrawn, expired, or for another address gets a page saying so, and nothing changes.
"""
from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_login import current_user

from webapp.extensions import db, login
from webapp.models import Workspace
from webapp.services.teams import invitations
from webapp.views.accounts.mailed_links import private
from webapp.web import access

bp = Blueprint("invitations", __name__)


def problem(exc):
    db.session.rollback()
    return private(make_response(render_template("teams/invitation_problem.html",
                                                 message=exc.message), exc.status))


@bp.get("/invitations/<token>")
def accept(token):
    if not current_user.is_authenticated:
        return login.unauthorized()
    try:
        invitation = invitations.from_token(token)
    except invitations.InvitationProblem as exc:
        return problem(exc)
    return private(make_response(render_template(
        "teams/accept.html", invitation=invitation, token=token,
        workspace=db.session.get(Workspace, invitation.workspace_id))))


@bp.post("/invitations/<token>")
def accept_post(token):
    if not current_user.is_authenticated:
        return login.unauthorized()
    try:
        workspace = invitations.accept(current_user._get_current_object(), token)
    except invitations.InvitationProblem as exc:
        return problem(exc)
    db.session.commit()
    access.remember(workspace.id)
    flash(f"Welcome to “{workspace.name}”.", "success")
    return redirect(url_for("dashboard.index"))
