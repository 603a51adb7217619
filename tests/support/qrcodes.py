"""Helpers for QR code tests: the logo a code is drawn with, and decoding what we serve."""
import io

import resvg_py
import zxingcpp
from PIL import Image

from tests.support.photos import photo_path  # noqa: F401  (re-exported for tests)


def logo_bytes(photo="coffee.png"):
    """The bytes the upload job stores for a photo: at most 256 px, WebP."""
    source = Image.open(photo_path(photo)).convert("RGB")
    source.thumbnail((256, 256))
    buf = io.BytesIO()
    source.save(buf, "WEBP", quality=85)
    return buf.getvalue()


def logo_image(photo="coffee.png"):
    """The logo image a code with factories.make_logo(photo) is drawn with."""
    image = Image.open(io.BytesIO(logo_bytes(photo)))
    image.load()
    return image


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
