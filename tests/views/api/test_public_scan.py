"""/api/qr-codes/<slug>/scan: public, cacheable metadata of a code that follows its edits."""
from datetime import timedelta

from tests.factories import make_code
from tests.support.codes import update_code
from webapp.models.base import utcnow


def test_public_code_metadata_is_cacheable_and_follows_edits(app, client):
    with app.app_context():
        code = make_code(slug="menu", title="Lunch menu")
        response = client.get("/api/qr-codes/menu/scan")
        assert response.status_code == 200
        assert response.json == {"slug": "menu", "title": "Lunch menu", "active": True}
        assert response.headers["Cache-Control"] == "public, s-maxage=60, stale-while-revalidate=300"
        assert "Set-Cookie" not in response.headers
        update_code(code, title="Dinner menu", active=False)
        assert client.get("/api/qr-codes/menu/scan").json == {
            "slug": "menu", "title": "Dinner menu", "active": False}
        update_code(code, active=True, expires_at=utcnow() - timedelta(seconds=1))
        assert client.get("/api/qr-codes/menu/scan").json["active"] is False
    missing = client.get("/api/qr-codes/nope/scan")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    assert client.get("/api/qr-codes/" + "z" * 5000 + "/scan").status_code == 404
    assert "/api/qr-codes/{slug}/scan" in client.get("/api/openapi.json").json["paths"]
