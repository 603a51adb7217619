"""The public image of a dynamic code: cacheable, decodable, never a static code's content."""

from sqlalchemy import select

from tests.factories import api_key_headers, make_code, make_user
from tests.support.codes import update_code
from tests.support.qrcodes import decode_png
from webapp.extensions import db
from webapp.models import QrCode
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


def test_the_public_image_carries_no_title_and_its_etag_does_not_follow_the_title(app, client):
    """The title is the owner's note: the public SVG has no <title>, the PNG no text chunk,
    and renaming a code neither shows in nor changes what anyone can fetch."""
    with app.app_context():
        owner = make_user("pub@example.com")
        make_code(owner, slug="poster-2", title="Supplier X <secret> launch")
        headers = api_key_headers(owner)
        db.session.commit()
        code_id = db.session.scalar(select(QrCode.id).where(QrCode.slug == "poster-2"))
    svg = client.get("/qr/poster-2.svg")
    png = client.get("/qr/poster-2.png")
    for response in (svg, png):
        assert response.status_code == 200
        assert b"Supplier" not in response.data and b"secret" not in response.data
    assert b"<title" not in svg.data
    assert {chunk for chunk, _ in png_chunks(png.data)} <= {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"pHYs", b"tRNS"}
    with app.app_context():
        update_code(db.session.get(QrCode, code_id), title="Renamed")
    assert client.get("/qr/poster-2.svg").headers["ETag"] == svg.headers["ETag"]
    # The owner's own image, through the API, keeps the title.
    owned = client.get(f"/api/qr-codes/{code_id}/image.svg", headers=headers)
    assert b"<title>Renamed</title>" in owned.data


def png_chunks(data):
    """(type, length) of each chunk of a PNG."""
    position = 8
    while position < len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        yield data[position + 4:position + 8], length
        position += 12 + length
