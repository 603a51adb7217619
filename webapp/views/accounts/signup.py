"""Sign-up: the address first (the same answer whether it has an account), then the
password at the link mailed to it, which creates the account and logs in."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.extensions import db, limiter
from webapp.services import ServiceError
from webapp.services.accounts import emails, links, signup
from webapp.views.accounts import mailed_links
from webapp.views.accounts.forms import EmailForm, NewPasswordForm
from webapp.views.accounts.limits import auth_limit, failed_attempt
from webapp.web.auth import log_in

bp = Blueprint("signup", __name__)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"])  # every POST sends a mail: each one counts
@mailed_links.per_address
def start():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = EmailForm()
    status = 200
    if form.validate_on_submit():
        email = mailed_links.queue_mail(emails.SIGNUP, form)
        if email is not None:
            return render_template("signup/check_email.html", email=email)
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("signup/start.html", form=form), status


@bp.route("/signup/<token>", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"], deduct_when=failed_attempt)
def finish(token):
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    try:
        email = signup.email_for_token(token)
    except signup.AccountExists as exc:
        return mailed_links.link_page("signup/account_exists.html", exc.status, message=exc.message)
    except links.LinkProblem as exc:
        return mailed_links.link_problem(exc, "signup.start", "Sign up again")
    form = NewPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = signup.complete_signup(token, form.password.data,
                                          min_length=current_app.config["PASSWORD_MIN_LENGTH"])
        except signup.AccountExists as exc:
            db.session.rollback()
            return mailed_links.link_page("signup/account_exists.html", exc.status, message=exc.message)
        except ServiceError as exc:
            status = mailed_links.add_error(form, exc)
        else:
            db.session.commit()
            log_in(user)
            flash("Welcome to Scanlink.", "success")
            return redirect(url_for("dashboard.index"))
    elif request.method == "POST":
        status = 422
    return mailed_links.link_page("auth/choose_password.html", status, form=form, email=email,
                                  heading="Choose your password", button="Create account")
