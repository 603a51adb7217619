"""A phone camera's view of a printed code, made the same way every time.

Tilted (perspective), turned, lit unevenly (light falling off across the page),
blurred by focus and shake, and saved as a JPEG the way a phone's pipeline
compresses frames. Parameters come from a fixed seed: the same drawing always
yields the same view, so a verdict is reproducible and can be cached. Cheap: one
warp, one blur and one JPEG round trip of a picture of about 200 pixels.
"""
import math
import random

import cv2
import numpy
from PIL import Image

SEED = 20
TILT_DEG, TURN_DEG, FALL_OFF, BLUR_SIGMA, JPEG_QUALITY = 10, 8, 0.4, 1.2, 60


def parameters(seed=SEED):
    """(tilt, turn, fall-off direction) from the seed: the view's only variables."""
    rng = random.Random(seed)
    return (TILT_DEG * rng.choice((-1, 1)), TURN_DEG * rng.choice((-1, 1)),
            rng.uniform(0, 2 * math.pi))


def camera_view(image, seed=SEED):
    """The greyscale Pillow `image` (a code on white) as a phone camera hands it to a decoder."""
    tilt, turn, light_dir = parameters(seed)
    grey = numpy.asarray(image.convert("L"), dtype=numpy.float32)
    h, w = grey.shape
    pad = round(max(h, w) * 0.15)
    grey = cv2.copyMakeBorder(grey, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    h, w = grey.shape
    # The page tilted away about its horizontal axis: the far edge looks narrower.
    squeeze = w * math.sin(math.radians(abs(tilt))) / 2
    top, bottom = (squeeze, 0) if tilt > 0 else (0, squeeze)
    source = numpy.float32([[0, 0], [w, 0], [w, h], [0, h]])
    target = numpy.float32([[top, 0], [w - top, 0], [w - bottom, h], [bottom, h]])
    warp = cv2.getPerspectiveTransform(source, target)
    turn_m = numpy.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), turn, 1.0), [0, 0, 1]])
    grey = cv2.warpPerspective(grey, turn_m @ warp, (w, h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    across = (numpy.arange(w, dtype=numpy.float32) - w / 2) * (math.cos(light_dir) / max(h, w))
    down = (numpy.arange(h, dtype=numpy.float32) - h / 2) * (math.sin(light_dir) / max(h, w))
    along = down[:, None] + across[None, :]
    grey *= 1.0 - FALL_OFF * (along + 0.5)  # full light on one side, FALL_OFF less on the other
    grey = cv2.GaussianBlur(grey, (0, 0), BLUR_SIGMA)
    ok, jpeg = cv2.imencode(".jpg", numpy.clip(grey, 0, 255).astype(numpy.uint8),
                            [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    return Image.fromarray(cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE))
