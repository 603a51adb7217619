"""Users and API keys."""
import hashlib
import secrets
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import ApiKey, User
from ..models.base import utcnow
from . import Conflict, ServiceError

API_KEY_PREFIX = "sk_"
# Verifying against a real hash when the user is unknown keeps timing the same.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def normalise_email(email):
    try:
        return validate_email((email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ServiceError(f"That e-mail address is not valid: {exc}", fields={"email": str(exc)})


def check_password_strength(password, min_length):
    if len(password or "") < min_length:
        raise ServiceError(
            f"Use a password of at least {min_length} characters.",
            fields={"password": f"at least {min_length} characters"},
        )
    if len(password) > 1024:
        raise ServiceError("That password is too long (1024 characters at most).",
                           fields={"password": "too long"})


def find_user_by_email(email):
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(email, password, *, min_length, is_admin=False):
    email = normalise_email(email)
    check_password_strength(password, min_length)
    if find_user_by_email(email):
        raise Conflict("An account with that e-mail address already exists.",
                       fields={"email": "already registered"})
    user = User(email=email, password_hash=generate_password_hash(password), is_admin=is_admin)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email, password):
    user = find_user_by_email(email or "")
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


def change_password(user, current, new, *, min_length):
    if not check_password_hash(user.password_hash, current or ""):
        raise ServiceError("Your current password is not right.", fields={"current_password": "wrong"})
    check_password_strength(new, min_length)
    user.password_hash = generate_password_hash(new)


def count_users():
    return db.session.scalar(select(func.count()).select_from(User))


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
    key = db.session.get(ApiKey, key_id)
    if key is None or key.user_id != user.id:
        return False
    key.revoked_at = key.revoked_at or utcnow()
    return True
