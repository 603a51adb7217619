"""Password reset links: signed, valid PASSWORD_RESET_SECONDS, and good for one use.

The token carries the user's id and a fingerprint of the password hash it was made
for: setting a new password changes the hash, so the link stops working.
"""
import hashlib
import hmac

from flask import current_app

from webapp.extensions import db
from webapp.models import User
from webapp.services.accounts import links, users

SALT = "scanlink.password-reset"


def fingerprint(user):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, (user.password_hash or "").encode(), hashlib.sha256).hexdigest()[:32]


def reset_token(user):
    return links.sign(SALT, {"user": user.id, "hash": fingerprint(user)})


def user_for_token(token):
    data = links.unsign(SALT, token, current_app.config["PASSWORD_RESET_SECONDS"])
    user_id, hashed = data.get("user"), data.get("hash")
    if not isinstance(user_id, int) or not isinstance(hashed, str):
        raise links.LinkInvalid("This link is not valid. Check that it was copied whole.")
    user = db.session.get(User, user_id)
    if user is None or not hmac.compare_digest(fingerprint(user), hashed):
        raise links.LinkExpired("This link has been used already, or the password was changed "
                                "since it was sent.")
    return user


def reset_password(token, password, *, min_length):
    user = user_for_token(token)
    users.check_password_strength(password, min_length, user.email)
    users.set_password(user, password)
    db.session.flush()
    return user
