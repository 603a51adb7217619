"""The public image of a dynamic code: cacheable, decodable, never a static code's content."""

from tests.factories import make_code, make_user
from tests.support.qrcodes import decode_png
from webapp.models.base import utcnow


def test_public_png_decodes_to_the_scan_url_and_revalidates(app, client):
    with app.app_context():
        code = make_code(make_user("pub@example.com"), slug="poster-1")
        slug = code.slug
    response = client.get(f"/qr/{slug}.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert "public" in response.headers["Cache-Control"]
    assert decode_png(response.data) == [f"{app.config['PUBLIC_BASE_URL']}/s/{slug}"]
    again = client.get(f"/qr/{slug}.png", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(f"/qr/{slug}.svg").mimetype == "image/svg+xml"


def test_static_unknown_and_inactive_codes_have_no_public_image(app, client):
    with app.app_context():
        user = make_user("pub@example.com")
        make_code(user, slug="wifi-1", kind="static", target_url="WIFI:S:home;T:WPA;P:secret;;")
        make_code(user, slug="off-1", active=False)
        make_code(user, slug="old-1", expires_at=utcnow())
        make_code(user, slug="poster-1")
    assert client.get("/qr/wifi-1.png").status_code == 404
    assert client.get("/qr/nope-404.png").status_code == 404
    assert client.get("/qr/off-1.png").status_code == 410
    assert client.get("/qr/old-1.svg").status_code == 410
    assert client.get("/qr/poster-1.gif").status_code == 404
    assert client.get("/qr/" + "x" * 5000 + ".png").status_code == 404
    assert client.get("/qr/off-1.png?scale=1000").status_code == 400
