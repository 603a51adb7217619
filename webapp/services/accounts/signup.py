"""Sign-up by e-mail: the address first, then a signed link where the password is chosen.

Nobody learns from the sign-up form whether an address has an account (the answer
is the same), and nobody can pre-set the password of an account for an address
they do not read: the password is chosen only at the link mailed to it.
"""
from flask import current_app
from sqlalchemy.exc import IntegrityError

from webapp.services import Conflict
from webapp.services.accounts import links, users

SALT = "scanlink.signup"


class AccountExists(Conflict):
    code = "account_exists"


def signup_token(email):
    return links.sign(SALT, {"email": users.normalise_email(email)})


def email_for_token(token):
    email = links.unsign(SALT, token, current_app.config["SIGNUP_LINK_SECONDS"]).get("email")
    if not isinstance(email, str) or not email:
        raise links.LinkInvalid("This link is not valid. Check that it was copied whole.")
    if users.find_user_by_email(email):
        raise AccountExists("This address has an account already: log in, or reset its password.")
    return email


def complete_signup(token, password, *, min_length):
    """Creates the account the link was sent for (its owner then logs in)."""
    email = email_for_token(token)
    try:
        return users.create_user(email, password, min_length=min_length)
    except IntegrityError:  # the same link, used twice at the same moment
        raise AccountExists("This address has an account already: log in, or reset its password.")
