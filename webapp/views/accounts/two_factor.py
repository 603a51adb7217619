"""Two-factor log-in: setting it up and turning it off (account pages), and the code asked
for after the password (`/login/two-factor`)."""
import math

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from redis import RedisError
from sqlalchemy.exc import IntegrityError
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from webapp.extensions import db, limiter
from webapp.services import ServiceError
from webapp.services.accounts import identities, two_factor, two_factor_setup, users
from webapp.views.accounts.limits import auth_limit, failed_attempt, password_check
from webapp.web import pending_login
from webapp.web.auth import log_in
from webapp.web.errors import error_response

bp = Blueprint("two_factor", __name__)

WRONG_CODE = ("That code is not right. Enter the 6-digit code your app shows now, "
              "or one of your recovery codes.")
RAN_OUT = ("This set-up ran out. Scan the QR code again (or type the key) and enter the code "
           "your app shows for it.")
WRONG_PASSWORD = "Your current password is not right."


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired("Enter a code."), Length(max=64)])


class PasswordForm(FlaskForm):
    password = PasswordField("Current password", validators=[DataRequired()])


class SetupForm(CodeForm, PasswordForm):
    """Turning two-factor on asks for the password too: a stolen session cookie alone must
    not be able to bind the account to an attacker's app and lock its owner out."""


def no_store(response, status=200):
    """Secrets and recovery codes stay out of every cache, the browser's included."""
    response = Response(response) if isinstance(response, str) else response
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _this_session():
    return current_user.login_session.id


def _setup_unavailable():
    return error_response(503, "Setting up two-factor log-in is unavailable for a moment. "
                               "Try again soon.", headers={"Retry-After": "30"})


def _already_on():
    flash("Two-factor log-in is already on.", "info")
    return redirect(url_for("account.index"))


def _not_on():
    flash("Two-factor log-in is off.", "info")
    return redirect(url_for("account.index"))


def _setup_page(form, status=200):
    try:
        secret = two_factor_setup.secret_for(_this_session())
    except RedisError:
        return _setup_unavailable()
    return no_store(render_template("account/two_factor_setup.html", form=form,
                                    secret=two_factor.grouped(secret)), status)


def _codes_page(codes, title):
    return no_store(render_template("account/two_factor_codes.html", codes=codes, title=title))


@bp.get("/account/two-factor/setup")
@login_required
def setup():
    if two_factor.is_enabled(current_user):
        return _already_on()
    return _setup_page(SetupForm(formdata=None))


@bp.get("/account/two-factor/qr.svg")
@login_required
def qr():
    if two_factor.is_enabled(current_user):
        return error_response(404, "Two-factor log-in is already set up.")
    try:
        secret = two_factor_setup.secret_for(_this_session())
    except RedisError:
        return _setup_unavailable()
    uri = two_factor.provisioning_uri(secret, current_user.email)
    return no_store(Response(two_factor.qr_svg(uri), mimetype="image/svg+xml"))


@bp.post("/account/two-factor/setup")
@password_check
@login_required
def confirm_setup():
    if two_factor.is_enabled(current_user):
        return _already_on()
    form = SetupForm()
    if not form.validate_on_submit():
        return _setup_page(form, 422)
    if users.authenticate(current_user.email, form.password.data) is None:
        form.password.errors = [WRONG_PASSWORD]
        return _setup_page(form, 400)
    try:
        secret = two_factor_setup.pending(_this_session())
    except RedisError:
        return _setup_unavailable()
    if secret is None:
        form.code.errors = [RAN_OUT]
        return _setup_page(form, 422)
    try:
        codes = two_factor.enable(current_user, secret, form.code.data,
                                  keep_session=_this_session())
    except ServiceError as exc:
        db.session.rollback()
        form.code.errors = [exc.message]
        return _setup_page(form, exc.status)
    db.session.commit()
    try:
        two_factor_setup.finish(_this_session())
    except RedisError:
        pass  # it runs out by itself, and is of no use now that two-factor is on
    return _codes_page(codes, "Two-factor log-in is on")


def _password_page(action, form, status=200):
    return render_template("account/two_factor_confirm.html", action=action,
                           form=form), status


def _password_refused(action):
    """None when the current password is right; else the page `action` again with the
    reason (422 for an empty form, 400 for a wrong password)."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return _password_page(action, form, 422)
    if users.authenticate(current_user.email, form.password.data) is None:
        form.password.errors = [WRONG_PASSWORD]
        return _password_page(action, form, 400)
    return None


@bp.route("/account/two-factor/disable", methods=["GET", "POST"])
@password_check
@login_required
def disable():
    if not two_factor.is_enabled(current_user):
        return _not_on()
    if request.method == "GET":
        return _password_page("disable", PasswordForm(formdata=None))
    refusal = _password_refused("disable")
    if refusal:
        return refusal
    two_factor.disable(current_user)
    db.session.commit()
    flash("Two-factor log-in is off; your recovery codes no longer work.", "success")
    return redirect(url_for("account.index"))


@bp.route("/account/two-factor/recovery-codes", methods=["GET", "POST"])
@password_check
@login_required
def recovery_codes():
    if not two_factor.is_enabled(current_user):
        return _not_on()
    if request.method == "GET":
        return _password_page("recovery_codes", PasswordForm(formdata=None))
    refusal = _password_refused("recovery_codes")
    if refusal:
        return refusal
    codes = two_factor.replace_recovery_codes(current_user)
    db.session.commit()
    return _codes_page(codes, "New recovery codes")


def _code_page(form, status=200):
    return render_template("auth/two_factor.html", form=form), status


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"], deduct_when=failed_attempt)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    pending = pending_login.current()
    if pending is None or not two_factor.is_enabled(pending["user"]):
        pending_login.end()
        flash("Log in with your e-mail and password first; the code comes after.", "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if request.method == "GET":
        return _code_page(form)
    if not form.validate_on_submit():
        return _code_page(form, 422)
    user = pending["user"]
    try:
        wait = pending_login.take_guess(user)
    except RedisError:
        return error_response(503, "Two-factor log-in is unavailable for a moment. Try again soon.",
                              headers={"Retry-After": "30"})
    if wait is not None:
        pending_login.end()
        return error_response(
            429, f"Too many wrong codes. Wait {math.ceil(wait / 60)} minutes, then log in again.",
            headers={"Retry-After": str(wait)})
    how = two_factor.verify(user, form.code.data)
    if how is None:
        db.session.rollback()
        form.code.errors = [WRONG_CODE]
        return _code_page(form, 401)
    db.session.commit()
    try:
        pending_login.forget_guesses(user)
    except RedisError:
        pass  # the count runs out with its window anyway; the code was right
    if pending.get("link"):
        try:
            identities.link(user, identities.ProviderIdentity(**pending["link"]))
            db.session.commit()
        except (IntegrityError, ServiceError):
            db.session.rollback()  # linked meanwhile, or to another identity: log in anyway
    pending_login.end()
    log_in(user, remember=pending["remember"])
    if how == "recovery":
        left = two_factor.recovery_codes_left(user)
        flash(f"You used a recovery code; {left} are left. Make new ones on your account page "
              "when they run low.", "warning")
    return redirect(pending["next"] or url_for("dashboard.index"))
