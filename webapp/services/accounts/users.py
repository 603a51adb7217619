"""Users: sign-up, passwords, look-up by e-mail."""

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.extensions import db
from webapp.models import User
from webapp.services import Conflict, ServiceError

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
    set_password(user, new)


def set_password(user, password):
    """The one place a password is stored: a change and a reset both come through here."""
    user.password_hash = generate_password_hash(password)


def count_users():
    return db.session.scalar(select(func.count()).select_from(User))
