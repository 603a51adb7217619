"""Scanners for tests, written apart from the gate's code: two decoders called directly, and
a phone camera simulated with Pillow (the gate's `camera.py` uses OpenCV). A change to the
gate cannot quietly change this judge."""
import io
import math

import cv2
import numpy
import zxingcpp
from PIL import Image, ImageChops, ImageFilter

from tests.support.qrcodes import on_white, rasterise_svg

_wechat = None


def zxing_reads(image):
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode,
                                                     try_invert=False, text_mode=zxingcpp.TextMode.Plain)]


def wechat_reads(image):
    global _wechat
    if _wechat is None:
        _wechat = cv2.wechat_qrcode_WeChatQRCode()
    return list(_wechat.detectAndDecode(numpy.asarray(image.convert("L")))[0])


DECODERS = {"zxing-cpp": zxing_reads, "WeChat": wechat_reads}


def grey_png(data):
    return on_white(Image.open(io.BytesIO(data)))


def grey_svg(data):
    return on_white(rasterise_svg(data))


def _perspective_coefficients(source, target):
    """Pillow's 8 coefficients mapping output (target) points back to input (source) points."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(target, source):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return numpy.linalg.solve(numpy.array(rows, float), numpy.array(rhs, float)).tolist()


def phone_photo(image, tilt=10, turn=8, fall_off=0.4, blur=1.2, quality=60):
    """A greyscale picture of the code as a phone camera takes it: the page tilted away,
    turned, lit less on one side, out of focus, saved as a JPEG."""
    pad = round(max(image.size) * 0.15)
    page = Image.new("L", (image.width + 2 * pad, image.height + 2 * pad), 255)
    page.paste(image.convert("L"), (pad, pad))
    w, h = page.size
    squeeze = w * math.sin(math.radians(tilt)) / 2
    corners = [(0, 0), (w, 0), (w, h), (0, h)]
    tilted = [(squeeze, 0), (w - squeeze, 0), (w, h), (0, h)]
    page = page.transform(page.size, Image.Transform.PERSPECTIVE,
                          _perspective_coefficients(corners, tilted), Image.Resampling.BILINEAR,
                          fillcolor=255)
    page = page.rotate(turn, Image.Resampling.BILINEAR, fillcolor=255)
    light = Image.linear_gradient("L").resize(page.size).rotate(35, fillcolor=128)
    light = light.point(lambda v: round(255 * (1 - fall_off * v / 255)))
    page = ImageChops.multiply(page, light).filter(ImageFilter.GaussianBlur(blur))
    buf = io.BytesIO()
    page.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("L")
