"""Sign up, log in, log out."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from webapp.extensions import db, limiter
from webapp.services import ServiceError
from webapp.services.accounts import two_factor, users
from webapp.web import pending_login
from webapp.web.auth import log_in, log_out

bp = Blueprint("auth", __name__)


def auth_limit():
    return current_app.config["RATELIMIT_AUTH"]


def failed_attempt(response):
    """Only refusals use up the allowance; a person who logs in is not slowed down."""
    return response.status_code >= 400


class SignupForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])
    confirm = PasswordField("Repeat password",
                            validators=[DataRequired(), EqualTo("password", "The passwords differ.")])


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me logged in")


def safe_next(target):
    """Only paths on this site: an open redirect after log-in is a phishing tool."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"], deduct_when=failed_attempt)
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = SignupForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = users.create_user(form.email.data, form.password.data,
                                        min_length=current_app.config["PASSWORD_MIN_LENGTH"])
        except ServiceError as exc:
            db.session.rollback()
            field = next(iter(exc.fields), None)
            if field in form:
                form[field].errors = list(form[field].errors) + [exc.message]
            else:
                flash(exc.message, "error")
            status = exc.status
        else:
            db.session.commit()
            log_in(user)
            flash("Welcome to Scanlink.", "success")
            return redirect(url_for("dashboard.index"))
    elif request.method == "POST":
        status = 422
    return render_template("auth/signup.html", form=form,
                           min_length=current_app.config["PASSWORD_MIN_LENGTH"]), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"], deduct_when=failed_attempt)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()  # a hash made the old way was just replaced: keep it
            next_url = safe_next(request.args.get("next"))
            if two_factor.is_enabled(user):
                # Not logged in yet: the code comes first (webapp/views/accounts/two_factor.py).
                pending_login.start(user, form.remember.data, next_url)
                return redirect(url_for("two_factor.login"))
            log_in(user, remember=form.remember.data)
            return redirect(next_url or url_for("dashboard.index"))
        flash("That e-mail and password do not match an account.", "error")
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    log_out()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
