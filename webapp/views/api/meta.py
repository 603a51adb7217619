"""The API about itself: its OpenAPI document, and who is calling."""
from flask import g, jsonify

from webapp.views.api import schema
from webapp.views.api.blueprint import bp, public


@bp.get("/openapi.json")
@public
def openapi():
    return jsonify(schema.openapi_document("Scanlink API", "1"))


@bp.get("/me")
@schema.operation("GET", "/api/me", "The user the API key belongs to", tag="account")
def me():
    return jsonify(email=g.api_user.email, is_admin=g.api_user.is_admin)
