"""Helpers for QR code tests: users with API keys, logo images in storage, decoding."""
import io

import resvg_py
import zxingcpp
from PIL import Image

from tests.support.photos import photo_path  # noqa: F401  (re-exported for tests)
from webapp.extensions import db
from webapp.infra.storage import get_storage
from webapp.models import ImageAsset
from webapp.services.accounts import api_keys, users


def make_user(email):
    user = users.create_user(email, "correct horse battery", min_length=10)
    _, raw = api_keys.create_api_key(user, "tests")
    db.session.commit()
    return user, {"Authorization": f"Bearer {raw}"}


def logo_bytes(photo="coffee.png"):
    """The bytes issue 7's upload job stores for a photo: at most 256 px, WebP."""
    source = Image.open(photo_path(photo)).convert("RGB")
    source.thumbnail((256, 256))
    buf = io.BytesIO()
    source.save(buf, "WEBP", quality=85)
    return buf.getvalue()


def logo_image(photo="coffee.png"):
    """The logo image a code with make_logo(photo) is drawn with."""
    image = Image.open(io.BytesIO(logo_bytes(photo)))
    image.load()
    return image


def make_logo(user, photo="coffee.png", status="ready"):
    """An ImageAsset as issue 7's upload job leaves it: the optimised bytes in storage."""
    source = logo_image(photo)
    buf = io.BytesIO(logo_bytes(photo))
    key = f"images/test/{user.id}-{photo}.webp"
    get_storage().put(key, buf.getvalue())
    asset = ImageAsset(owner_id=user.id, content_hash=f"{user.id}{photo}".ljust(64, "0")[:64],
                       status=status, max_width=256, max_height=256, quality=85, format="webp",
                       original_key=key, variant_key=key, width=source.width, height=source.height,
                       bytes=len(buf.getvalue()))
    db.session.add(asset)
    db.session.commit()
    return asset.id


def on_white(image):
    """The image as printed on white paper, in grey (what a camera hands a decoder)."""
    image = image.convert("RGBA")
    flat = Image.new("RGB", image.size, (255, 255, 255))
    flat.paste(image, mask=image.getchannel("A"))
    return flat.convert("L")


def decode(image):
    """What zxing-cpp reads, with the product's settings but none of its code: the tests'
    own reference decoder, so a change to the gate cannot quietly change the judge."""
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False,
                                     text_mode=zxingcpp.TextMode.Plain)
    return [r.text for r in results]


def decode_png(data):
    return decode(on_white(Image.open(io.BytesIO(data))))


def rasterise_svg(data):
    svg = data.decode() if isinstance(data, bytes) else data
    return Image.open(io.BytesIO(resvg_py.svg_to_bytes(svg_string=svg)))


def decode_svg(data):
    return decode(on_white(rasterise_svg(data)))
