"""The rate limits of the pages that take a password: the log-in's, and the re-check of
the current password on the account pages (changing it, two-factor on or off, new
recovery codes)."""
from flask import current_app
from flask_login import current_user

from webapp.extensions import limiter


def auth_limit():
    return current_app.config["RATELIMIT_AUTH"]


def failed_attempt(response):
    """Only refusals use up the allowance; a person who logs in is not slowed down."""
    return response.status_code >= 400


def password_check_limit():
    return current_app.config["RATELIMIT_PASSWORD_CHECK"]


def signed_in_user():
    return f"user:{current_user.id}"


def _anonymous():
    # Nobody to key by: login_required sends them to the log-in page, which has its own limit.
    return not current_user.is_authenticated


# One count for every page that re-checks the password: guesses spread over the change-
# password form and the two-factor pages use up the same allowance.
_per_address = limiter.shared_limit(auth_limit, scope="password-check", methods=["POST"],
                                    deduct_when=failed_attempt)
# Someone holding a stolen session cookie can send it from many addresses; the per-user
# count follows the account, whatever the address.
_per_user = limiter.shared_limit(password_check_limit, scope="password-check-user",
                                 key_func=signed_in_user, methods=["POST"],
                                 deduct_when=failed_attempt, exempt_when=_anonymous)


def password_check(view):
    """Limits wrong guesses at the current password, per client address and per user."""
    return _per_address(_per_user(view))
