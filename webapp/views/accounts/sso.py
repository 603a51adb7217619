"""Log in with an OpenID Connect provider: the redirect there, and the way back."""
from dataclasses import asdict

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db, limiter
from webapp.services import ServiceError
from webapp.services.accounts import identities, two_factor, users
from webapp.views.accounts.auth import safe_next
from webapp.views.accounts.limits import auth_limit, failed_attempt
from webapp.web import pending_login, single_sign_on
from webapp.web.auth import log_in

bp = Blueprint("sso", __name__)

NEXT = "sso_next"


def redirect_uri():
    """Built from PUBLIC_BASE_URL, never from the request's Host: it is the address
    registered at the provider (docs/configuration.md)."""
    return current_app.config["PUBLIC_BASE_URL"] + url_for("sso.callback")


@bp.before_request
def only_when_configured():
    if not single_sign_on.enabled():
        abort(404)


@bp.get("/login/oidc")
def start():
    """A plain link, not a form: a form posted here would be redirected to the provider,
    and browsers hold that redirect to the page's CSP `form-action`, which would then have
    to name every origin a provider may send people through (its authorization endpoint
    need not be on the issuer's). No CSRF token either: starting a flow changes nothing
    but this browser's own pending flow, and what a forged start could lead to, the
    callback, is bound to this session by state, nonce and PKCE."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    target = safe_next(request.args.get("next"))
    # The session is a cookie: a huge `next` would push the flow's state out of it.
    session[NEXT] = target if target and len(target) <= 1000 else None
    try:
        return single_sign_on.authorization_redirect(redirect_uri())
    except single_sign_on.SignOnFailed as exc:
        return refused(exc.status, exc.message)


@bp.route("/login/oidc/callback")
@limiter.limit(auth_limit, deduct_when=failed_attempt)
def callback():
    try:
        identity = single_sign_on.identity_from_callback()
        user, how = _user_for(identity)
        users.check_not_disabled(user)  # before the code is asked for: it would not help
    except single_sign_on.SignOnFailed as exc:
        return refused(exc.status, exc.message)
    except ServiceError as exc:
        db.session.rollback()
        return refused(exc.status, exc.message)
    # Read before log_in, which may start the session afresh.
    next_url = session.pop(NEXT, None)
    if two_factor.is_enabled(user):
        # The provider vouches for an e-mail address, not for the person holding this
        # account's authenticator: whoever controls a provider account claiming the
        # address must still give the code (webapp/views/accounts/two_factor.py).
        # A link it asks for is made only after the code (identities.LINK_AFTER_CODE).
        link = asdict(identity) if how == identities.LINK_AFTER_CODE else None
        pending_login.start(user, False, next_url, link=link)
        return redirect(url_for("two_factor.login"))
    log_in(user)
    if how == "created":
        flash("Welcome to Scanlink.", "success")
    elif how == "linked":
        flash(f"Your account is now linked to {single_sign_on.provider_name()}.", "success")
    return redirect(next_url or url_for("dashboard.index"))


def _user_for(identity):
    """Commits the link or the new user. Two first log-ins at once (two tabs) race for the
    same (issuer, subject): the loser finds the winner's row on a second try."""
    for attempt in (1, 2):
        try:
            user, how = identities.user_for(identity)
            db.session.commit()
            return user, how
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise ServiceError("That log-in collided with another one; try again.", status=409)


def refused(status, message):
    return render_template("auth/sso_error.html", message=message,
                           provider=single_sign_on.provider_name()), status
