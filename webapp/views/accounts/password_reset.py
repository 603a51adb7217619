"""A forgotten password: an address (the same answer whether it has an account), a
single-use link mailed to it, a new password, then the log-in page."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.extensions import db, limiter
from webapp.services import ServiceError
from webapp.services.accounts import emails, links, password_reset
from webapp.views.accounts import mailed_links
from webapp.views.accounts.forms import EmailForm, NewPasswordForm
from webapp.views.accounts.limits import auth_limit, failed_attempt
from webapp.web.auth import log_out

bp = Blueprint("password_reset", __name__)


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"])  # every POST sends a mail: each one counts
@mailed_links.per_address
def forgot():
    form = EmailForm()
    status = 200
    if form.validate_on_submit():
        email = mailed_links.queue_mail(emails.PASSWORD_RESET, form)
        if email is not None:
            return render_template("password_reset/sent.html", email=email, valid_for=emails.duration(
                current_app.config["PASSWORD_RESET_SECONDS"]))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("password_reset/forgot.html", form=form), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"], deduct_when=failed_attempt)
def reset(token):
    try:
        user = password_reset.user_for_token(token)
    except links.LinkProblem as exc:
        return mailed_links.link_problem(exc, "password_reset.forgot", "Ask for a new link")
    form = NewPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            password_reset.reset_password(token, form.password.data,
                                          min_length=current_app.config["PASSWORD_MIN_LENGTH"])
        except links.LinkProblem as exc:  # used meanwhile, from another tab
            db.session.rollback()
            return mailed_links.link_problem(exc, "password_reset.forgot", "Ask for a new link")
        except ServiceError as exc:
            status = mailed_links.add_error(form, exc)
        else:
            db.session.commit()
            if current_user.is_authenticated:
                log_out()
            # Not logged in here: the log-in page is where a second factor is asked for.
            flash("Your password is changed. Log in with the new one.", "success")
            return redirect(url_for("auth.login"))
    elif request.method == "POST":
        status = 422
    return mailed_links.link_page("auth/choose_password.html", status, form=form, email=user.email,
                                  heading="Choose a new password", button="Set the new password")
