"""A photo uploaded on the images page, optimised by a real worker, picked as the logo
in the QR editor: the code shows it and still decodes, in every format we serve."""
import io

from PIL import Image, ImageStat
from sqlalchemy import select

from tests.support import images as samples
from tests.support.codes import FORM
from tests.support.qrcodes import decode_png, decode_svg, rasterise_svg
from webapp.extensions import db
from webapp.models import ImageAsset, QrCode


def centre_spread(image):
    """How much colour varies in the middle tenth of the image: a logo is a photo there,
    plain modules are two flat colours."""
    image = image.convert("RGB")
    w, h = image.size
    box = image.crop((w * 9 // 20, h * 9 // 20, w * 11 // 20, h * 11 // 20))
    return len(box.getcolors(box.width * box.height))


def upload_logo(client, auth, run_jobs):
    response = client.post("/images/upload", data={
        "csrf_token": auth.token("/images/"), "format": "webp",
        "file": (io.BytesIO(samples.photo_bytes("coffee.png")), "coffee.png")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert run_jobs() == 1


def test_an_uploaded_logo_picked_in_the_editor_is_drawn_and_the_code_decodes(app, client, auth, run_jobs):
    auth.signup()
    upload_logo(client, auth, run_jobs)
    with app.app_context():
        asset = db.session.scalars(select(ImageAsset)).one()
        assert asset.status == "ready"
        logo_id = asset.id
    editor = client.get("/codes/new").get_data(as_text=True)
    assert f'<option value="{logo_id}"' in editor

    data = dict(FORM, csrf_token=auth.token("/codes/new"), logo=logo_id, logo_size="24",
                error_correction="M")
    assert client.post("/codes/", data=data).status_code == 302
    with app.app_context():
        code = db.session.scalars(select(QrCode)).one()
        assert code.style["logo"] == logo_id and code.style["error_correction"] == "H"
    scan_url = f"http://127.0.0.1:5000/s/{code.slug}"

    png = client.get(f"/api/qr-codes/{code.id}/image.png?scale=12")
    assert png.status_code == 200
    assert decode_png(png.data) == [scan_url]
    assert centre_spread(Image.open(io.BytesIO(png.data))) > 50

    svg = client.get(f"/api/qr-codes/{code.id}/image.svg")
    assert decode_svg(svg.data) == [scan_url]
    assert centre_spread(rasterise_svg(svg.data)) > 50

    # the same code without the logo: flat modules in the middle, so the check above can fail
    plain = dict(data, csrf_token=auth.token(f"/codes/{code.id}"), logo="", active="on")
    assert client.post(f"/codes/{code.id}", data=plain).status_code == 302
    bare = client.get(f"/api/qr-codes/{code.id}/image.png?scale=12")
    assert centre_spread(Image.open(io.BytesIO(bare.data))) <= 4
    assert ImageStat.Stat(Image.open(io.BytesIO(bare.data)).convert("L")).extrema[0] == (0, 255)
