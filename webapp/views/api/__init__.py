"""The JSON API under /api: bearer API keys for programs, the session for our own pages."""
from flask import Blueprint, abort, g, jsonify, request
from flask_login import current_user

from webapp.extensions import csrf, db
from webapp.services.accounts import api_keys
from webapp.views.api import schema

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
    from flask import current_app

    view = current_app.view_functions.get(request.endpoint)
    if view is None or getattr(view, "public", False):
        return None
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        user = api_keys.user_for_api_key(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            abort(401, "That API key is missing, malformed or revoked.")
        if db.session.dirty:
            db.session.commit()
        g.api_user = user
        return None
    if current_user.is_authenticated:
        if request.method not in SAFE_METHODS:
            csrf.protect()
        g.api_user = current_user._get_current_object()
        return None
    abort(401, "Authentication required: send Authorization: Bearer <api key>.")


@bp.get("/openapi.json")
@public
def openapi():
    return jsonify(schema.openapi_document("Scanlink API", "1"))


@bp.get("/me")
@schema.operation("GET", "/api/me", "The user the API key belongs to", tag="account")
def me():
    return jsonify(email=g.api_user.email, is_admin=g.api_user.is_admin)


# Resource modules register their routes on `bp` when imported.
from webapp.views.api import resources  # noqa: E402,F401
