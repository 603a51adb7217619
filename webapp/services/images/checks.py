"""What an upload must pass before anything is stored: hostile input is refused here.

Checks run cheapest first and never trust the file name or the Content-Type:
size, markup (SVG, HTML, polyglots), the type Pillow reads from the bytes, the
pixel count from the header (before any pixel is decoded: decompression bombs),
the frame count, and finally a decode of the first frame (truncated or damaged
files).
"""
import io
import re
from dataclasses import dataclass

from PIL import Image

from webapp.services import ServiceError
from webapp.services.images.optimise import SOURCE_FORMATS

ACCEPTED = "PNG, JPEG, WebP, AVIF, GIF, BMP or TIFF"
# Browsers sniff markup anywhere near the start; a file that is an image AND a
# page (a GIF/JS or PNG/HTML polyglot) is refused outright, wherever the markup is.
MARKUP = re.compile(
    rb"<\s*(?:script|html|svg|iframe|body|object|embed|meta)\b|<\?php|<!doctype|javascript:",
    re.IGNORECASE)
TEXT_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<")


class ImageRejected(ServiceError):
    status = 422


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int
    max_frames: int


@dataclass(frozen=True)
class SourceInfo:
    format: str
    width: int
    height: int
    frames: int


def megabytes(n):
    return f"{n / (1024 * 1024):.1f} MB"


def inspect_upload(data, limits):
    """Returns what the bytes are, or raises ImageRejected with a message for people."""
    if not data:
        raise ImageRejected("The file is empty (0 bytes); choose the image again.",
                            status=400, code="empty_file")
    if len(data) > limits.max_bytes:
        raise too_large(len(data), limits.max_bytes)
    refuse_markup(data)
    try:
        img = Image.open(io.BytesIO(data), formats=SOURCE_FORMATS)
    except Image.DecompressionBombError:
        raise bomb(None, limits)
    except Exception:
        raise ImageRejected(
            f"This file is not an image Scanlink can read. Upload a {ACCEPTED} file.",
            status=415, code="unsupported_type")
    with img:
        width, height = img.size
        if width < 1 or height < 1:
            raise damaged()
        if width * height > limits.max_pixels:
            raise bomb((width, height), limits)
        frames = count_frames(img, limits)
        decode_first_frame(img)
        return SourceInfo(img.format, width, height, frames)


def too_large(size, limit):
    """`size` may be None when the upload was cut off at the limit."""
    shown = f" ({megabytes(size)})" if size is not None else ""
    message = f"The file is too large{shown}; the limit is {megabytes(limit)}."
    return ImageRejected(message, status=413, code="file_too_large")


def refuse_markup(data):
    if TEXT_START.match(data[:1024]):
        if re.search(rb"<svg\b", data[:4096], re.IGNORECASE):
            message = ("SVG files are not accepted: they can carry scripts. "
                       "Export the logo as PNG instead.")
        else:
            message = f"This is a text or markup file, not an image. Upload a {ACCEPTED} file."
        raise ImageRejected(message, status=415, code="unsupported_type")
    if MARKUP.search(data):
        raise ImageRejected(
            "The file contains HTML or script markup besides image data, so it is refused. "
            "Export the image again from an image editor.", status=415, code="markup_in_image")


def bomb(size, limits):
    shown = f" ({size[0]} × {size[1]})" if size else ""
    return ImageRejected(
        f"The image has too many pixels{shown}; the limit is "
        f"{limits.max_pixels / 1_000_000:g} megapixels.", code="too_many_pixels")


def count_frames(img, limits):
    """Animations are reduced to their first frame; a very long one is refused."""
    try:
        frames = getattr(img, "n_frames", 1)
    except Exception:
        raise damaged()
    if frames > limits.max_frames:
        raise ImageRejected(
            f"The animation has {frames} frames; the limit is {limits.max_frames}.",
            code="too_many_frames")
    return frames


def decode_first_frame(img):
    """Decoding is the only proof the data is whole; JPEGs decode at 1/8 scale for speed."""
    try:
        img.seek(0)
        if img.format in ("JPEG", "MPO"):
            img.draft(None, (max(1, img.width // 8), max(1, img.height // 8)))
        img.load()
    except Image.DecompressionBombError:
        raise ImageRejected("The image has too many pixels to process safely.",
                            code="too_many_pixels")
    except Exception:
        raise damaged()


def damaged():
    return ImageRejected("The image is truncated or damaged: its data ends early or does "
                         "not decode. Export it again and upload the new file.",
                         code="damaged_image")
