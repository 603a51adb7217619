"""Single sign-on accounts: which user an identity at an OpenID Connect provider is.

A provider names a person by (issuer, subject); the e-mail it sends is only trusted when
it says the address is verified. Linking an existing account on an unverified address
would hand that account to whoever typed the address in at the provider.
"""
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import User, UserIdentity
from webapp.services import ServiceError
from webapp.services.accounts import two_factor, users
from webapp.services.workspaces import memberships

# An account with two-factor on is linked only once its code is given: a provider account
# that merely claims the address must not leave a link behind (see `link`).
LINK_AFTER_CODE = "link after code"

# The OpenID Connect spec caps `sub` at 255 ASCII characters; the columns are that wide.
MAX_CLAIM = 255


class IdentityRefused(ServiceError):
    status = 403
    code = "identity_refused"


@dataclass(frozen=True)
class ProviderIdentity:
    """What a verified ID token (and the provider's userinfo) said about the person."""

    issuer: str
    subject: str
    email: str | None = None
    email_verified: bool = False


def find_identity(issuer, subject):
    return db.session.scalar(select(UserIdentity).where(
        UserIdentity.issuer == issuer, UserIdentity.subject == subject))


def user_for(identity):
    """(user, how): the user this identity logs in as, `how` being "known", "linked",
    "created" or LINK_AFTER_CODE (nothing added yet: call `link` once the code is right).
    Adds the link or the new user to the session; the caller commits."""
    _check_shape(identity)
    known = find_identity(identity.issuer, identity.subject)
    if known is not None:
        return known.user, "known"
    email = _verified_email(identity)
    user = users.find_user_by_email(email)
    if user is None:
        user = _new_user(email)
        _add_link(user, identity, email)
        return user, "created"
    _refuse_another_identity(user, identity)
    if two_factor.is_enabled(user):
        return user, LINK_AFTER_CODE
    _add_link(user, identity, email)
    return user, "linked"


def link(user, identity):
    """Links `identity` to `user` after its second factor was given; a no-op when a
    parallel log-in linked it meanwhile."""
    known = find_identity(identity.issuer, identity.subject)
    if known is not None:
        return
    _refuse_another_identity(user, identity)
    _add_link(user, identity, _verified_email(identity))


def _add_link(user, identity, email):
    db.session.add(UserIdentity(user=user, issuer=identity.issuer, subject=identity.subject,
                                email=email))
    db.session.flush()


def _refuse_another_identity(user, identity):
    if _has_other_identity_at(user, identity):
        # The address moved to another person at the provider: the subject is what counts.
        raise IdentityRefused(
            "Your Scanlink account is linked to another identity at this provider. "
            "Log in with your password, or with the identity it is linked to.")


def _check_shape(identity):
    for value in (identity.issuer, identity.subject):
        if not isinstance(value, str) or not value or len(value) > MAX_CLAIM:
            raise ServiceError("The provider's answer names nobody we can log in.")


def _verified_email(identity):
    if not identity.email:
        raise IdentityRefused(
            "Your provider did not tell us your e-mail address, so we cannot find or "
            "create your Scanlink account. Allow access to your e-mail address and try again.")
    try:
        email = users.normalise_email(identity.email)
    except ServiceError:
        raise IdentityRefused("The e-mail address your provider gave is not one we can use.")
    if not identity.email_verified:
        raise IdentityRefused(
            f"Your provider has not verified {email}, so we cannot log you in with it. "
            "Verify the address at your provider, or log in with your password.")
    return email


def _has_other_identity_at(user, identity):
    return any(link.issuer == identity.issuer and link.subject != identity.subject
               for link in user.identities)


def _new_user(email):
    """A user who logs in through the provider: the password is random and thrown away,
    so password log-in stays impossible until they set one through "forgot password"."""
    user = User(email=email, is_admin=False, password_hash="!")  # replaced below
    db.session.add(user)
    db.session.flush()  # set_password may need the id (to end the user's other sessions)
    users.set_password(user, secrets.token_urlsafe(32))
    memberships.create_personal(user)
    return user
