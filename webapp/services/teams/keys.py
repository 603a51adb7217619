"""The workspace's API keys as its admins see them: every member's, and revoking any.

A member makes their own keys on the account page (at most their role, in the workspace
they are in); the admins of a workspace see and stop all of them (docs/api.md: admin
manages "the workspace's API keys").
"""
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ApiKey, User
from webapp.models.base import utcnow
from webapp.services import NotFound, audit
from webapp.services.ids import looks_like_id
from webapp.services.workspaces.roles import ADMIN


def list_keys(actor):
    """[(ApiKey, owner's e-mail)] of the workspace, live ones first, newest first."""
    actor.require(ADMIN)
    return db.session.execute(
        select(ApiKey, User.email).join(User, User.id == ApiKey.user_id)
        .where(ApiKey.workspace_id == actor.workspace_id)
        .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc())).all()


def revoke_key(actor, key_id):
    actor.require(ADMIN)
    key = db.session.get(ApiKey, key_id) if looks_like_id(key_id) else None
    if key is None or key.workspace_id != actor.workspace_id:
        raise NotFound("No such API key in this workspace.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(actor, "api_key.revoked", "api_key", key.id,
                     {"name": key.name, "prefix": key.prefix, "revoked_at": [None, key.revoked_at]})
    return key
