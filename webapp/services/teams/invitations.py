"""Invitations by e-mail: a signed, single-use link, valid 7 days.

The link signs the invitation's id (itsdangerous); the row says whether it is still
open (not accepted, not revoked, not expired), so a link works once. Accepting needs a
logged-in user with the invited address: addresses of accounts are verified (sign-up
mails a link; the command line counts as verified).
"""
import logging
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import User, Workspace, WorkspaceInvitation, WorkspaceMember
from webapp.models.base import utcnow
from webapp.services import Conflict, NotFound, ServiceError, audit
from webapp.services import mail as mailer
from webapp.services.accounts import emails, users
from webapp.services.jobs import queues
from webapp.services.workspaces.roles import ADMIN, Forbidden, check_role, rank

log = logging.getLogger(__name__)

VALID_FOR = timedelta(days=7)
SALT = "workspace-invitation"
MAIL_JOB = "mail.invitation"


class InvitationProblem(ServiceError):
    """A link that cannot be used (any more): the page says why and nothing changes."""
    status = 410
    code = "invitation_unusable"


def _serializer():
    return URLSafeSerializer(current_app.secret_key, salt=SALT)


def token_of(invitation):
    return _serializer().dumps(invitation.id)


def create_invitation(actor, email, role):
    """A new invitation; its mail goes out as a job. The inviter's role caps the role given."""
    actor.require(ADMIN)
    check_role(role)
    if rank(role) > rank(actor.role):
        raise Forbidden(f"You can invite with at most your own role, {actor.role}.")
    try:
        email = users.normalise_email(email)
    except ServiceError as exc:
        raise ServiceError(exc.message, fields={"email": exc.message}, status=422) from None
    existing = users.find_user_by_email(email)
    if existing is not None and db.session.get(WorkspaceMember, (actor.workspace_id, existing.id)):
        raise Conflict(f"{email} is already a member of this workspace.", fields={"email": "a member"})
    invitation = WorkspaceInvitation(workspace_id=actor.workspace_id, email=email, role=role,
                                     invited_by=actor.user_id, expires_at=utcnow() + VALID_FOR)
    db.session.add(invitation)
    db.session.flush()
    audit.record(actor, "invitation.created", "invitation", invitation.id,
                 audit.created({"email": email, "role": role}))
    return invitation


def send_later(invitation):
    """Commits the invitation with its mail job (queues.submit commits)."""
    queues.submit(MAIL_JOB, payload={"invitation_id": invitation.id})


def accept_url(invitation):
    """The absolute link, built on PUBLIC_BASE_URL (it works in a job as in a request)."""
    return emails.public_url("invitations.accept", token=token_of(invitation))


def log_link(invitation):
    # Until every instance sends mail, the log is where an operator finds the link.
    log.info("invitation %s to %s for workspace %s: %s", invitation.id, invitation.email,
             invitation.workspace_id, accept_url(invitation))


def invitation_json(invitation, with_url=False):
    data = {"id": invitation.id, "email": invitation.email, "role": invitation.role,
            "expires_at": invitation.expires_at.isoformat().replace("+00:00", "Z")}
    if with_url:
        data["accept_url"] = accept_url(invitation)
    return data


def pending(actor):
    now = utcnow()
    return db.session.scalars(select(WorkspaceInvitation).where(
        WorkspaceInvitation.workspace_id == actor.workspace_id,
        WorkspaceInvitation.accepted_at.is_(None), WorkspaceInvitation.revoked_at.is_(None),
        WorkspaceInvitation.expires_at > now).order_by(WorkspaceInvitation.created_at)).all()


def revoke(actor, invitation_id):
    actor.require(ADMIN)
    invitation = db.session.get(WorkspaceInvitation, invitation_id) \
        if isinstance(invitation_id, str) else None
    if invitation is None or invitation.workspace_id != actor.workspace_id:
        raise NotFound("No such invitation.")
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        audit.record(actor, "invitation.revoked", "invitation", invitation.id,
                     audit.deleted({"email": invitation.email, "role": invitation.role}))
    return invitation


def from_token(token):
    """The invitation the link names, or InvitationProblem (forged, used, revoked, expired)."""
    try:
        invitation_id = _serializer().loads(token)
    except BadSignature:
        raise InvitationProblem("This invitation link is not valid; ask for a new one.",
                                status=404) from None
    invitation = db.session.get(WorkspaceInvitation, invitation_id)
    if invitation is None:
        raise InvitationProblem("This invitation no longer exists; ask for a new one.", status=404)
    if invitation.accepted_at is not None:
        raise InvitationProblem("This invitation has been used already; each link works once.")
    if invitation.revoked_at is not None:
        raise InvitationProblem("This invitation was withdrawn; ask for a new one.")
    if invitation.expires_at <= utcnow():
        raise InvitationProblem("This invitation has expired (links last 7 days); ask for a new one.")
    inviter_role = db.session.scalar(select(WorkspaceMember.role).where(
        WorkspaceMember.workspace_id == invitation.workspace_id,
        WorkspaceMember.user_id == invitation.invited_by))
    if inviter_role is None or rank(inviter_role) < max(rank(ADMIN), rank(invitation.role)):
        # Whoever sent it has left or been demoted since: their invitation goes with their rights.
        raise InvitationProblem("This invitation was withdrawn; ask for a new one.")
    return invitation


def accept(user, token):
    """Makes `user` a member with the invited role; returns the Workspace."""
    invitation = from_token(token)
    if user.email.lower() != invitation.email.lower():
        raise InvitationProblem(
            f"This invitation is for {invitation.email}, and you are logged in as {user.email}. "
            "Log in with the invited address to accept it.", status=403)
    if db.session.get(WorkspaceMember, (invitation.workspace_id, user.id)) is None:
        db.session.add(WorkspaceMember(workspace_id=invitation.workspace_id, user_id=user.id,
                                       role=invitation.role))
        audit.record(audit.by_user(user, invitation.workspace_id, "browser"), "member.joined",
                     "member", user.id, {**audit.created({"role": invitation.role}),
                                         "invitation": invitation.id})
    invitation.accepted_at, invitation.accepted_by = utcnow(), user.id
    db.session.flush()
    return db.session.get(Workspace, invitation.workspace_id)


def send_invitation_mail(invitation_id):
    """The mail job's work: True when sent; False when the invitation is no longer open."""
    invitation = db.session.get(WorkspaceInvitation, invitation_id)
    if invitation is None or invitation.accepted_at or invitation.revoked_at:
        return False
    workspace = db.session.get(Workspace, invitation.workspace_id)
    inviter = db.session.get(User, invitation.invited_by) if invitation.invited_by else None
    body = emails.render("invitation", link=accept_url(invitation), workspace=workspace.name,
                         role=invitation.role, inviter=inviter.email if inviter else "Someone",
                         valid_for="7 days")
    mailer.send(invitation.email, f"You are invited to “{workspace.name}” on Scanlink", body)
    return True
