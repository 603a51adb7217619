"""The API about itself: its OpenAPI document, and who is calling."""
from flask import g, jsonify, make_response, render_template

from webapp.extensions import db
from webapp.models import User
from webapp.views.api import schema
from webapp.views.api.blueprint import bp, public
from webapp.web.access import needs
from webapp.web.security_headers import policy

# Swagger UI sets style attributes and adds <style> elements as it draws: this page alone
# allows inline styles. Scripts stay 'self' only.
DOCS_POLICY = policy(style_src="'self' 'unsafe-inline'")


@bp.get("/openapi.json")
@public
def openapi():
    return jsonify(schema.openapi_document("Scanlink API", "1"))


@bp.get("/docs")
@public
def docs():
    """The API reference, drawn from /api/openapi.json in the browser."""
    response = make_response(render_template("api/docs.html"))
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response


@bp.get("/me")
@needs("viewer")
@schema.operation("GET", "/api/me", "The user the API key belongs to, and the workspace it acts in",
                  tag="account")
def me():
    actor = g.actor
    user = db.session.get(User, actor.user_id)
    return jsonify(email=actor.email, is_admin=user.is_admin,
                   workspace={"id": actor.workspace_id, "role": actor.role})
