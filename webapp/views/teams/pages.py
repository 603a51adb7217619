"""The settings page of the current workspace and the forms it posts, the "New workspace"
form and the switcher. Each form posts and redirects back (no script needed); refusals
are flashed above the page."""
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db
from webapp.services import ServiceError
from webapp.services.codes import styles
from webapp.services.domains import workspace_domains
from webapp.services.teams import invitations, keys, members, workspaces
from webapp.services.workspaces import memberships
from webapp.services.workspaces.roles import ROLES, rank
from webapp.views.teams.limits import invitations_per_user
from webapp.web import access
from webapp.web.access import needs

bp = Blueprint("teams", __name__)


def back(message=None):
    db.session.commit()
    if message:
        flash(message, "success")
    return redirect(url_for("teams.settings"))


def refused(exc):
    """A refusal the form can show (the last owner, a bad role) is flashed on the settings
    page; another workspace's member or invitation, or a role too low, is the 404 or 403
    every other page answers."""
    db.session.rollback()
    if exc.status in (403, 404):
        raise exc
    flash(exc.message, "error")
    return redirect(url_for("teams.settings"))


@bp.get("/workspace")
@needs("viewer")
def settings(new_invitation=None):
    actor = g.actor
    domains = workspace_domains.list_domains(actor) if actor.can("admin") else []
    return render_template(
        "teams/settings.html", workspace=workspaces.get_workspace(actor),
        members=members.list_members(actor), presets=styles.list_presets(actor),
        pending=invitations.pending(actor) if actor.can("admin") else [],
        keys=keys.list_keys(actor) if actor.can("admin") else [],
        domains=domains, domain_totals=workspace_domains.totals([d.id for d in domains]),
        grantable=[r for r in ROLES if rank(r) <= rank(actor.role)],
        new_invitation=new_invitation,
        accept_url=invitations.accept_url(new_invitation) if new_invitation else None)


@bp.post("/workspace/api-keys/<key_id>/revoke")
@needs("admin")
def revoke_key(key_id):
    try:
        keys.revoke_key(g.actor, key_id)
    except ServiceError as exc:
        return refused(exc)
    return back("The key is revoked; requests using it now get 401.")


@bp.post("/workspace")
@needs("admin")
def update():
    try:
        if "name" in request.form:
            workspaces.rename(g.actor, request.form["name"])
        if "default_preset_id" in request.form:
            workspaces.set_default_preset(g.actor, request.form["default_preset_id"] or None)
    except ServiceError as exc:
        return refused(exc)
    return back("The workspace is saved.")


@bp.post("/workspace/members/<int:user_id>")
@needs("admin")
def change_role(user_id):
    try:
        members.change_role(g.actor, user_id, request.form.get("role", ""))
    except ServiceError as exc:
        return refused(exc)
    return back("The role is changed.")


@bp.post("/workspace/members/<int:user_id>/remove")
@needs("viewer")
def remove(user_id):
    try:
        members.remove_member(g.actor, user_id)
    except ServiceError as exc:
        return refused(exc)
    db.session.commit()
    if user_id == g.actor.user_id:
        access.forget()
        flash("You left the workspace.", "success")
        return redirect(url_for("dashboard.index"))
    return back("The member is removed; their access and API keys for it ended.")


@bp.post("/workspace/invitations")
@invitations_per_user
@needs("admin")
def invite():
    try:
        invitation = invitations.create_invitation(
            g.actor, request.form.get("email", ""), request.form.get("role", ""))
    except ServiceError as exc:
        return refused(exc)
    invitations.send_later(invitation)  # commits
    invitations.log_link(invitation)
    # The link is shown once, on this answer, to copy if the mail does not arrive.
    return settings(new_invitation=invitation)


@bp.post("/workspace/invitations/<invitation_id>/revoke")
@needs("admin")
def revoke(invitation_id):
    try:
        invitations.revoke(g.actor, invitation_id)
    except ServiceError as exc:
        return refused(exc)
    return back("The invitation is withdrawn; its link no longer works.")


@bp.post("/workspace/delete")
@needs("owner")
def delete():
    try:
        count = workspaces.delete_workspace(g.actor, request.form.get("confirm", ""))
    except ServiceError as exc:
        return refused(exc)
    db.session.commit()
    access.forget()
    flash(f"The workspace and its {count} codes are deleted.", "success")
    return redirect(url_for("dashboard.index"))


@bp.route("/workspaces/new", methods=["GET", "POST"])
@needs("viewer")
def new():
    error = None
    if request.method == "POST":
        try:
            workspace = memberships.create_workspace(current_user._get_current_object(),
                                                     request.form.get("name", ""))
        except ServiceError as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
            access.remember(workspace.id)
            flash(f"You are now in “{workspace.name}”.", "success")
            return redirect(url_for("teams.settings"))
    return render_template("teams/new.html", error=error,
                           name=request.form.get("name", "")), 422 if error else 200


@bp.post("/workspaces/<int:workspace_id>/switch")
@needs("viewer", workspace="workspace_id")
def switch(workspace_id):
    access.remember(workspace_id)
    return redirect(url_for("dashboard.index"))


@bp.app_context_processor
def workspace_context():
    """For every template: the acting member (which buttons a role sees) and the user's
    workspaces (the navigation's switcher); functions, so pages that use neither pay nothing."""
    return {"current_actor": access.current_actor, "my_workspaces": my_workspaces}


def my_workspaces():
    if not current_user.is_authenticated:
        return []
    try:
        return memberships.workspaces_of(current_user.id)
    except SQLAlchemyError:  # an error page while the database is away still renders
        db.session.rollback()
        return []
