"""Who is asking: Flask-Login for the browser, bearer API keys for programs."""
import re
from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user, login_user, logout_user

from webapp.extensions import db, htmx, login
from webapp.services.accounts import sessions, users

_USER_ID = re.compile(r"[0-9]{1,10}")


def init_login(app):
    login.init_app(app)
    login.login_view = "auth.login"
    login.login_message = "Please log in to continue."
    login.login_message_category = "info"
    login.session_protection = "basic"

    @login.user_loader
    def load_user(cookie_id):
        return load_session_user(cookie_id)

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


def load_session_user(cookie_id):
    """The user of the live server-side session the cookie names ("<user id>:<token>"),
    else None. Ids of the older form ("5", before sessions were kept) name no session:
    those browsers log in again."""
    user_id, _, token = (cookie_id or "").partition(":")
    if not _USER_ID.fullmatch(user_id) or int(user_id) >= 2**31 or not token:
        return None  # users.id is a 32-bit integer on PostgreSQL
    found = sessions.load(int(user_id), token)
    if found is None:
        return None
    user, login_session = found
    user.login_session = login_session
    sessions.touch(login_session)
    return user


def log_in(user, remember=False):
    """Every way in (password, two-factor, single sign-on) starts the session here.

    Starts a server-side session and commits it (with whatever else the request holds),
    then hands Flask-Login the id that names it, for the session and remember-me cookies.
    A session this browser was in before ends: it would be left live, named by no cookie.
    A disabled user is refused here whatever let them this far (users.AccountDisabled, 403).
    """
    users.check_not_disabled(user)
    previous = getattr(current_user, "login_session", None)
    if previous is not None:
        sessions.end(current_user, previous.id)
    user.login_session = sessions.start(user, request.headers.get("User-Agent", ""),
                                        remember=remember)
    db.session.commit()
    login_user(user, remember=remember)


def log_out():
    """Ends this browser's session on the server too: a copy of its cookies opens nothing."""
    login_session = getattr(current_user, "login_session", None)
    if login_session is not None:
        sessions.end(current_user, login_session.id)
        db.session.commit()
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

