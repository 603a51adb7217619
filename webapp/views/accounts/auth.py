"""Log in, log out (sign-up: signup.py; a forgotten password: password_reset.py)."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from webapp.extensions import db, limiter
from webapp.services.accounts import two_factor, users
from webapp.views.accounts.limits import auth_limit, failed_attempt
from webapp.web import pending_login
from webapp.web.auth import log_in, log_out

bp = Blueprint("auth", __name__)


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
    # Browsers read "/\evil.example" as "//evil.example"; control characters are dropped.
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"], deduct_when=failed_attempt)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = users.authenticate(form.email.data, form.password.data)
        except users.AccountDisabled as exc:
            flash(exc.message, "error")
            return render_template("auth/login.html", form=form), exc.status
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
