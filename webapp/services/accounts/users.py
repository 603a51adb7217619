"""Users: sign-up, passwords, look-up by e-mail."""
import re

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from webapp.extensions import db
from webapp.models import User
from webapp.services import Conflict, ServiceError
from webapp.services.accounts import sessions
from webapp.services.workspaces import memberships

# scrypt with werkzeug's parameters (N=2^15, r=8, p=1); a stored hash made another way,
# or with other parameters, is replaced at the next log-in (see `authenticate`).
HASH_METHOD = "scrypt:32768:8:1"
# zxcvbn's scores run 0 to 4; 3 is "safely unguessable: moderate protection from an
# offline slow-hash scenario". zxcvbn judges at most 72 characters.
MIN_STRENGTH = 3
ZXCVBN_MAX_LENGTH = 72

DISABLED_MESSAGE = ("This account is disabled. Ask the administrator of this Scanlink "
                    "to enable it again.")

# Verifying against a real hash when the user is unknown keeps timing the same.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method=HASH_METHOD)


def hash_password(password):
    return generate_password_hash(password, method=HASH_METHOD)


def needs_rehash(password_hash):
    return not (password_hash or "").startswith(HASH_METHOD + "$")


def normalise_email(email):
    try:
        return validate_email((email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ServiceError(f"That e-mail address is not valid: {exc}", fields={"email": str(exc)})


def check_password_strength(password, min_length, email=None):
    """Refuses a password shorter than `min_length` or one zxcvbn finds easy to guess; the
    e-mail address (and the product's name) count as words an attacker would try first."""
    if len(password or "") < min_length:
        raise ServiceError(
            f"Use a password of at least {min_length} characters.",
            fields={"password": f"at least {min_length} characters"},
        )
    if len(password) > 1024:
        raise ServiceError("That password is too long (1024 characters at most).",
                           fields={"password": "too long"})
    words = ["scanlink", "qr", "qrcode"]
    if email:
        words += [email] + [word for word in re.split(r"[@.+_-]", email) if len(word) > 2]
    verdict = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=words)
    if verdict["score"] < MIN_STRENGTH:
        feedback = verdict["feedback"]
        advice = " ".join(filter(None, [feedback.get("warning")] + feedback.get("suggestions", [])))
        raise ServiceError(
            "That password is too easy to guess. " + (advice or "Add another word or two."),
            fields={"password": "too easy to guess"},
        )


class AccountDisabled(ServiceError):
    """A disabled user tried a way in. Said plainly only to someone who proved they are the
    user (the right password, a provider's word): to others it looks like any failed log-in."""
    status = 403
    code = "account_disabled"

    def __init__(self, message=DISABLED_MESSAGE):
        super().__init__(message)


def check_not_disabled(user):
    """Every way in passes here (webapp.web.auth.log_in), whatever checked the user before."""
    if user.disabled_at is not None:
        raise AccountDisabled()


def find_user_by_email(email):
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(email, password, *, min_length, is_admin=False):
    email = normalise_email(email)
    check_password_strength(password, min_length, email)
    if find_user_by_email(email):
        raise Conflict("An account with that e-mail address already exists.",
                       fields={"email": "already registered"})
    user = User(email=email, password_hash=hash_password(password), is_admin=is_admin)
    db.session.add(user)
    db.session.flush()
    memberships.create_personal(user)
    return user


def authenticate(email, password):
    """The user whose password this is, else None. A hash made the old way (pbkdf2, or
    weaker scrypt parameters) is replaced by a current one; the caller commits.
    Raises AccountDisabled for the right password of a disabled user."""
    user = find_user_by_email(email or "")
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    check_not_disabled(user)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def change_password(user, current, new, *, min_length, keep_session=None):
    if not check_password_hash(user.password_hash, current or ""):
        raise ServiceError("Your current password is not right.", fields={"current_password": "wrong"})
    check_password_strength(new, min_length, user.email)
    set_password(user, new, keep_session=keep_session)


def set_password(user, password, keep_session=None):
    """The one place a password is stored: a change and a reset both come through here.

    Ends every session of the user (and so every remember-me cookie) but `keep_session`,
    the id of the session that made the change, if any: a reset keeps none.
    """
    user.password_hash = hash_password(password)
    sessions.end_all(user, except_id=keep_session)


def count_users():
    return db.session.scalar(select(func.count()).select_from(User))
