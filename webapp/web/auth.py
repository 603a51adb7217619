"""Who is asking: Flask-Login for the browser, bearer API keys for programs."""
from functools import wraps

from flask import abort, g, redirect, request, url_for
from flask_login import current_user, login_user, logout_user

from webapp.extensions import db, htmx, login
from webapp.models import User


def init_login(app):
    login.init_app(app)
    login.login_view = "auth.login"
    login.login_message = "Please log in to continue."
    login.login_message_category = "info"
    login.session_protection = "basic"

    @login.user_loader
    def load_user(user_id):
        try:
            return db.session.get(User, int(user_id))
        except (TypeError, ValueError):
            return None

    @login.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            abort(401, "Authentication required: send Authorization: Bearer <api key>.")
        target = url_for("auth.login", next=request.full_path if request.query_string else request.path)
        if htmx:
            # A redirect inside an HTMX swap would paint the login page into a fragment.
            response = redirect(target)
            response.headers["HX-Redirect"] = target
            response.status_code = 401
            return response
        return redirect(target)


def log_in(user, remember=False):
    """Every way in (password, two-factor, single sign-on) starts the session here."""
    login_user(user, remember=remember)


def log_out():
    logout_user()


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login.unauthorized()
        if not current_user.is_admin:
            abort(403, "This page is for administrators.")
        return view(*args, **kwargs)
    return wrapper


def api_user():
    """The user an API request acts for, set by the API blueprint's guard."""
    return g.api_user
