"""API keys: made once, shown once, stored only as a hash, revocable."""
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ApiKey
from webapp.models.base import utcnow
from webapp.services.ids import looks_like_id

API_KEY_PREFIX = "sk_"


def _hash_key(raw):
    # API keys are long random tokens, so a fast hash is enough to make a leak useless.
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_key(user, name=""):
    """Returns (ApiKey, raw key); the raw key is shown once and never stored."""
    raw = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(user=user, name=name[:100], prefix=raw[:10], key_hash=_hash_key(raw))
    db.session.add(key)
    db.session.flush()
    return key, raw


def user_for_api_key(raw):
    if not raw or not raw.startswith(API_KEY_PREFIX) or len(raw) > 200:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash_key(raw)))
    if key is None or key.revoked_at is not None:
        return None
    now = utcnow()
    # Written at most every few minutes, so reads do not all become writes.
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=5):
        key.last_used_at = now
    return key.user


def revoke_api_key(user, key_id):
    key = db.session.get(ApiKey, key_id) if looks_like_id(key_id) else None
    if key is None or key.user_id != user.id:
        return False
    key.revoked_at = key.revoked_at or utcnow()
    return True
