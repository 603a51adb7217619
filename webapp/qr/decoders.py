"""The decoders the scannability gate asks, each given a greyscale Pillow image.

Two independent readers must agree on every clean view: zxing-cpp and WeChat's
detector from OpenCV contrib (its own finder search and binariser; shipped in the
wheel, it runs here without the optional CNN model files). OpenCV's classic
detector is asked too, but only to warn: it is what some older scanner apps use,
and it reads almost no code with round finder patterns.
"""
import threading

import cv2
import numpy
import zxingcpp

# The gate runs in gunicorn threads and RQ work horses on a 2-core machine: OpenCV's
# own thread pool would only fight them for the same cores.
cv2.setNumThreads(1)
_local = threading.local()  # OpenCV's detector objects are not documented as thread-safe

ZXING, WECHAT, CLASSIC = "zxing-cpp", "WeChat (OpenCV)", "OpenCV classic"
REQUIRED = (ZXING, WECHAT)  # every clean view must read in both
ALL = (ZXING, WECHAT, CLASSIC)


def zxing(image):
    """The texts zxing-cpp reads (no inverted codes: phones often miss them)."""
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False,
                                     text_mode=zxingcpp.TextMode.Plain)
    return [r.text for r in results]


class NotText(Exception):
    """The decoder read a code whose bytes its binding cannot hand over as text."""


def wechat(image):
    """The texts WeChat's decoder reads.

    Its Python binding turns what it read into str as UTF-8 and raises on anything else:
    segno writes text that fits ISO 8859-1 in that encoding (as the standard's default),
    so for such a payload WeChat finds and decodes the code, but we cannot see the text.
    """
    detector = getattr(_local, "wechat", None)
    if detector is None:
        detector = _local.wechat = cv2.wechat_qrcode_WeChatQRCode()
    try:
        texts, _ = detector.detectAndDecode(numpy.asarray(image))
    except UnicodeDecodeError:
        raise NotText() from None
    return list(texts)


def classic(image):
    """The text OpenCV's classic QRCodeDetector reads, as a list (empty when it reads none)."""
    detector = getattr(_local, "classic", None)
    if detector is None:
        detector = _local.classic = cv2.QRCodeDetector()
    try:
        text, _, _ = detector.detectAndDecode(numpy.asarray(image))
    except cv2.error:  # it raises on some degenerate detections instead of reading nothing
        return []
    return [text] if text else []


READERS = {ZXING: zxing, WECHAT: wechat, CLASSIC: classic}


def reads(name, image, payload):
    """Whether decoder `name` reads exactly `payload` (and nothing else) in `image`; None when
    it read a code but cannot say what text it holds (`NotText`): neither proof nor refusal."""
    try:
        return READERS[name](image) == [payload]
    except NotText:
        return None
