"""API keys: made once, shown once, stored only as a hash, revocable."""
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ApiKey
from webapp.models.base import utcnow
from webapp.services import ServiceError, audit
from webapp.services.ids import looks_like_id
from webapp.services.workspaces import actors, memberships
from webapp.services.workspaces.roles import check_role

API_KEY_PREFIX = "sk_"


def _hash_key(raw):
    # API keys are long random tokens, so a fast hash is enough to make a leak useless.
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_key(user, name="", workspace_id=None, role=None, via="browser"):
    """Returns (ApiKey, raw key); the raw key is shown once and never stored.

    The key acts in `workspace_id` (default: the user's personal workspace) with at most
    `role` (default: whatever role the user has there when the key is used). The
    workspace's audit log records it (`via`: "browser", or "cli" from the command line)."""
    if workspace_id is None:
        workspace_id = memberships.default_workspace_id(user.id)
    if workspace_id is None or actors.role_of(user.id, workspace_id) is None:
        raise ServiceError("A key can only be made for a workspace you are a member of.",
                           fields={"workspace": "not a member"}, status=422)
    raw = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(user=user, name=name[:100], prefix=raw[:10], key_hash=_hash_key(raw),
                 workspace_id=workspace_id, role=check_role(role) if role else None)
    db.session.add(key)
    db.session.flush()
    audit.record(audit.by_user(user, workspace_id, via), "api_key.created", "api_key", key.id,
                 audit.created({"name": key.name, "prefix": key.prefix, "role": key.role}))
    return key, raw


def actor_for_api_key(raw):
    """The member a bearer key acts as, or None: an unknown or revoked key, a disabled
    user, or one no longer in the key's workspace."""
    key = _live_key(raw)
    if key is None:
        return None
    return actors.member(key.user, key.workspace_id, via="api", cap=key.role)


def _live_key(raw):
    if not raw or not raw.startswith(API_KEY_PREFIX) or len(raw) > 200:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash_key(raw)))
    if key is None or key.revoked_at is not None:
        return None
    now = utcnow()
    # Written at most every few minutes, so reads do not all become writes.
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=5):
        key.last_used_at = now
    return key


def revoke_api_key(user, key_id, via="browser"):
    key = db.session.get(ApiKey, key_id) if looks_like_id(key_id) else None
    if key is None or key.user_id != user.id:
        return False
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(audit.by_user(user, key.workspace_id, via), "api_key.revoked", "api_key",
                     key.id, {"name": key.name, "prefix": key.prefix,
                              "revoked_at": [None, key.revoked_at]})
    return True
