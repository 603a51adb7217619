"""The signed-in user's own settings: password, browser sessions and API keys."""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from webapp.extensions import db
from webapp.models import ApiKey
from webapp.services import ServiceError
from webapp.services.accounts import api_keys, sessions, two_factor, users
from webapp.views.accounts.limits import password_check
from webapp.web.access import current_actor
from webapp.web.auth import log_in, log_out

bp = Blueprint("account", __name__, url_prefix="/account")


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField("Repeat new password",
                            validators=[DataRequired(), EqualTo("new_password", "The passwords differ.")])


class ApiKeyForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=100)])


def page(password_form=None, key_form=None, new_key=None, status=200):
    keys = db.session.scalars(
        select(ApiKey).where(ApiKey.user_id == current_user.id).order_by(ApiKey.created_at.desc())
    ).all()
    return render_template(
        "account/index.html",
        password_form=password_form or PasswordForm(formdata=None),
        key_form=key_form or ApiKeyForm(formdata=None),
        keys=keys, new_key=new_key,
        login_sessions=sessions.active(current_user),
        this_session_id=current_user.login_session.id,
        min_length=current_app.config["PASSWORD_MIN_LENGTH"],
        two_factor_on=two_factor.is_enabled(current_user),
        recovery_codes_left=two_factor.recovery_codes_left(current_user),
    ), status


@bp.get("/")
@login_required
def index():
    return page()


@bp.post("/password")
@password_check
@login_required
def change_password():
    form = PasswordForm()
    if not form.validate_on_submit():
        return page(password_form=form, status=422)
    user = current_user._get_current_object()
    remember = user.login_session.remember
    try:
        users.change_password(user, form.current_password.data, form.new_password.data,
                              min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    except ServiceError as exc:
        db.session.rollback()
        field = {"password": "new_password", "current_password": "current_password"}.get(
            next(iter(exc.fields), None))
        if field:
            form[field].errors = list(form[field].errors) + [exc.message]
        else:
            flash(exc.message, "error")
        return page(password_form=form, status=exc.status)
    # Every session ended with the old password, this one too: this browser goes on in a
    # new one, so a copy of its old cookies is as dead as the others.
    log_in(user, remember=remember)
    flash("Your password is changed. Every other browser is logged out.", "success")
    return redirect(url_for("account.index"))


@bp.post("/sessions/<session_id>/end")
@login_required
def end_session(session_id):
    if not sessions.end(current_user, session_id):
        db.session.rollback()
        return page(status=404)
    db.session.commit()
    if session_id == current_user.login_session.id:
        log_out()
        flash("This browser is logged out.", "info")
        return redirect(url_for("auth.login"))
    flash("That session is ended: the browser is logged out.", "success")
    return redirect(url_for("account.index"))


@bp.post("/sessions/end-all")
@login_required
def end_all_sessions():
    sessions.end_all(current_user)
    db.session.commit()
    log_out()
    flash("Every browser, this one too, is logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.post("/api-keys")
@login_required
def create_api_key():
    form = ApiKeyForm()
    if not form.validate_on_submit():
        return page(key_form=form, status=422)
    # A key acts in the workspace the browser is in now, with at most the user's role there.
    actor = current_actor()
    _, raw = api_keys.create_api_key(current_user, form.name.data or "",
                                     actor.workspace_id if actor else None)
    db.session.commit()
    return page(new_key=raw, status=201)


@bp.post("/api-keys/<key_id>/revoke")
@login_required
def revoke_api_key(key_id):
    if not api_keys.revoke_api_key(current_user, key_id):
        return page(status=404)
    db.session.commit()
    flash("The key is revoked; requests using it now get 401.", "success")
    return redirect(url_for("account.index"))
