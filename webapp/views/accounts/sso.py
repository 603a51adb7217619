"""Log in with an OpenID Connect provider: the redirect there, and the way back."""
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
from webapp.services.accounts import identities
from webapp.views.accounts.auth import safe_next
from webapp.views.accounts.limits import auth_limit, failed_attempt
from webapp.web import single_sign_on
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


@bp.route("/login/oidc", methods=["POST"])
def start():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    target = safe_next(request.form.get("next"))
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
    except single_sign_on.SignOnFailed as exc:
        return refused(exc.status, exc.message)
    except ServiceError as exc:
        db.session.rollback()
        return refused(exc.status, exc.message)
    # Read before log_in, which may start the session afresh.
    target = session.pop(NEXT, None) or url_for("dashboard.index")
    log_in(user)
    if how == "created":
        flash("Welcome to Scanlink.", "success")
    elif how == "linked":
        flash(f"Your account is now linked to {single_sign_on.provider_name()}.", "success")
    return redirect(target)


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
