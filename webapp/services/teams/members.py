"""The members of a workspace: list them, change a role, remove one (or leave).

The rules, besides the admin role `@needs` checks: nobody gives a role above their own;
only an owner makes or demotes an owner; the last owner can neither be demoted nor
leave (422), so a workspace always keeps one. Removal ends access at once: every
request looks the membership up again (actors.member), and the member's API keys for
the workspace are revoked too.
"""
from sqlalchemy import func, select, update

from webapp.extensions import db
from webapp.models import ApiKey, User, Workspace, WorkspaceInvitation, WorkspaceMember
from webapp.models.base import utcnow
from webapp.services import NotFound, ServiceError, audit
from webapp.services.workspaces.roles import ADMIN, OWNER, Forbidden, check_role, rank


def list_members(actor):
    """[(User, WorkspaceMember)] by e-mail."""
    return db.session.execute(
        select(User, WorkspaceMember).join(WorkspaceMember, WorkspaceMember.user_id == User.id)
        .where(WorkspaceMember.workspace_id == actor.workspace_id).order_by(User.email)).all()


def member_json(user, membership):
    return {"user_id": user.id, "email": user.email, "role": membership.role,
            "joined_at": membership.created_at.isoformat().replace("+00:00", "Z")}


def get_member(actor, user_id):
    membership = db.session.get(WorkspaceMember, (actor.workspace_id, user_id)) \
        if isinstance(user_id, int) else None
    if membership is None:
        raise NotFound("No such member in this workspace.")
    return membership


def owner_count(workspace_id):
    return db.session.scalar(select(func.count()).select_from(WorkspaceMember).where(
        WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.role == OWNER))


def _lock_members(workspace_id):
    """Serialises changes to a workspace's members: a write to its row takes the row lock on
    PostgreSQL and the database's write lock on SQLite, so two owners demoting each other
    at once cannot both see the other as the one who stays."""
    db.session.execute(update(Workspace).where(Workspace.id == workspace_id)
                       .values(id=Workspace.id))


def _keep_an_owner(membership, what):
    if membership.role == OWNER and owner_count(membership.workspace_id) <= 1:
        raise ServiceError(f"The last owner cannot {what}: make another member an owner first.",
                           status=422, code="last_owner")


def change_role(actor, user_id, role):
    actor.require(ADMIN)
    check_role(role)
    _lock_members(actor.workspace_id)
    membership = get_member(actor, user_id)
    db.session.refresh(membership)  # as it is now that the lock is ours
    if OWNER in (role, membership.role) and not actor.can(OWNER):
        raise Forbidden("Only an owner makes or demotes an owner.")
    if rank(role) > rank(actor.role):
        raise Forbidden(f"You can give at most your own role, {actor.role}.")
    if role != OWNER:
        _keep_an_owner(membership, "be demoted")
    if membership.role != role:
        audit.record(actor, "member.role_changed", "member", user_id,
                     audit.before_after({"role": (membership.role, role)}))
    membership.role = role
    return membership


def remove_member(actor, user_id):
    """Removes a member; anyone may remove themself (leave). Their keys stop at once."""
    _lock_members(actor.workspace_id)
    membership = get_member(actor, user_id)
    db.session.refresh(membership)
    if user_id == actor.user_id and actor.role != membership.role:
        # An API key limited to a lower role may not take its user out of the workspace.
        raise Forbidden(f"This key is limited to {actor.role}; leave from the Workspace page.")
    if user_id != actor.user_id:
        actor.require(ADMIN)
        if rank(membership.role) > rank(actor.role):
            raise Forbidden(f"Only an {membership.role} removes an {membership.role}.")
    _keep_an_owner(membership, "leave or be removed")
    _end_what_they_left(actor, user_id)
    audit.record(actor, "member.left" if user_id == actor.user_id else "member.removed", "member",
                 user_id, audit.deleted({"role": membership.role}))
    db.session.delete(membership)
    db.session.flush()


def _end_what_they_left(actor, user_id):
    """The member's API keys for the workspace stop, and the invitations they sent and
    nobody has used yet are withdrawn: neither may outlast their membership."""
    now = utcnow()
    keys = db.session.scalars(select(ApiKey).where(
        ApiKey.workspace_id == actor.workspace_id, ApiKey.user_id == user_id,
        ApiKey.revoked_at.is_(None))).all()
    for key in keys:
        key.revoked_at = now
        audit.record(actor, "api_key.revoked", "api_key", key.id,
                     {"name": key.name, "prefix": key.prefix, "reason": "member left"})
    db.session.execute(update(WorkspaceInvitation).where(
        WorkspaceInvitation.workspace_id == actor.workspace_id,
        WorkspaceInvitation.invited_by == user_id, WorkspaceInvitation.accepted_at.is_(None),
        WorkspaceInvitation.revoked_at.is_(None)).values(revoked_at=now))
