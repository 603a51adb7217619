"""The API blueprint: bearer API keys for programs, the session (with CSRF) for our own pages.

An API key acts in its workspace; a session in the browser's current one (web/access.py).

Every resource module adds its routes to `bp`; `routes` gathers them.
"""
from flask import Blueprint, abort, current_app, g, request
from flask_login import current_user

from webapp.extensions import csrf, db
from webapp.services.accounts import api_keys

bp = Blueprint("api", __name__, url_prefix="/api")
# CSRF only matters for cookie-authenticated calls; the guard below applies it to those.
csrf.exempt(bp)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def public(view):
    """Marks a view that answers without authentication (it may check its own secret)."""
    view.public = True
    return view


@bp.before_request
def authenticate():
    view = current_app.view_functions.get(request.endpoint)
    if view is None or getattr(view, "public", False):
        return None
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        actor = api_keys.actor_for_api_key(token.strip()) if scheme.lower() == "bearer" else None
        if actor is None:
            abort(401, "That API key is missing, malformed or revoked, or its user is no longer "
                       "in its workspace.")
        if db.session.dirty:
            db.session.commit()
        g.api_actor = actor  # web/access.py checks its role
        return None
    if current_user.is_authenticated:
        if request.method not in SAFE_METHODS:
            csrf.protect()
        return None
    abort(401, "Authentication required: send Authorization: Bearer <api key>.")
