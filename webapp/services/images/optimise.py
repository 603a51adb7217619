"""The Pillow work of the optimisation job: bytes in, a small clean image out.

No Flask here, so the benchmark runs exactly this code. Every encode starts from
a fresh image with no `info`, and no encoder is given exif, xmp or a profile:
EXIF (GPS included), XMP, comments and ICC profiles never reach the output.
"""
import io
from dataclasses import dataclass

from PIL import Image

from webapp.services.images import colour

# Output formats: Pillow's name, the file extension, the Content-Type.
FORMATS = {
    "webp": ("WEBP", "webp", "image/webp"),
    "avif": ("AVIF", "avif", "image/avif"),
    "jpeg": ("JPEG", "jpg", "image/jpeg"),
    "png": ("PNG", "png", "image/png"),
}
MIME_BY_EXTENSION = {ext: mime for _, ext, mime in FORMATS.values()}
# What an upload may be. The type is read from the bytes, never from the name
# (a multi-picture JPEG from a phone opens through "JPEG" and reports "MPO").
SOURCE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "AVIF", "BMP", "TIFF")

# WebP: libwebp's slowest, best method; sharp's "effort" 0-6 is the same knob.
WEBP_METHOD = 6
# AVIF: libavif speed 0 (slow, small) to 10; 6 is Pillow's default and keeps a
# 2-megapixel encode around a second on one core.
AVIF_SPEED = 6
# Flat artwork (logos, screenshots) with few colours is often smaller lossless.
FLAT_COLOURS = 4096
LOSSLESS_MAX_PIXELS = 4_000_000


def preload():
    """Import every Pillow plugin now. Pillow imports them on a process's first save of a
    format it has not loaded (~50 ms); the RQ worker calls this before it forks a work
    horse per job, so no job pays it."""
    Image.init()


class ImageUnreadable(Exception):
    """The stored original cannot be made into an image; the message is for people."""


@dataclass(frozen=True)
class Options:
    max_width: int = 2048
    max_height: int = 2048
    quality: int = 85
    format: str = "webp"


@dataclass(frozen=True)
class Optimised:
    data: bytes
    width: int
    height: int
    format: str  # one of FORMATS
    source_format: str
    source_width: int
    source_height: int

    @property
    def extension(self):
        return FORMATS[self.format][1]

    @property
    def mime(self):
        return FORMATS[self.format][2]


def optimise(data, options, *, max_pixels):
    """Decode, make upright, sRGB, resized, re-encoded; keeps the smallest faithful encode."""
    try:
        source = Image.open(io.BytesIO(data), formats=SOURCE_FORMATS)
    except Image.DecompressionBombError as exc:
        raise ImageUnreadable("The image has too many pixels to process safely.") from exc
    except Exception as exc:
        raise ImageUnreadable("The stored file is not an image Scanlink can read.") from exc
    with source:
        width, height = source.size
        if width * height > max_pixels:  # the upload check ran under other settings
            raise ImageUnreadable("The image has too many pixels to process safely.")
        try:
            img = decode_upright(source, options)
        except Exception as exc:
            raise ImageUnreadable(f"The image could not be decoded: {exc}") from exc
        source_format = source.format or "unknown"
    img = colour.fit_within(img, options.max_width, options.max_height)
    encoded = smallest_encode(img, options)
    return Optimised(encoded, img.width, img.height, options.format,
                     source_format, width, height)


def decode_upright(source, options):
    """First frame only, upright, in L/LA/RGB/RGBA sRGB with no metadata left on it."""
    source.seek(0)
    orientation = colour.exif_orientation(source)
    if source.format in ("JPEG", "MPO"):
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the box is far smaller:
        # a 12-megapixel photo for a 512 px logo decodes several times faster.
        box = (options.max_width, options.max_height)
        if orientation in colour.SIDEWAYS:
            box = box[::-1]
        scale = min(box[0] / source.width, box[1] / source.height)
        if scale < 0.5:
            source.draft(None, (max(1, int(source.width * scale * 2)),
                                max(1, int(source.height * scale * 2))))
    source.load()
    img = colour.normalise(source)
    img = colour.upright(img, orientation)
    img = img.copy() if img is source else img
    img.info = {}
    return img


def smallest_encode(img, options):
    """Encodes the candidates this format has and returns the smallest."""
    candidates = [encode(prepared, options.format, settings)
                  for prepared, settings in candidate_settings(img, options)]
    return min(candidates, key=len)


def candidate_settings(img, options):
    """(image, save options) pairs: the encode asked for and a plain alternative.

    Every alternative is at least as faithful as the asked-for encode, so taking
    the smallest never costs quality: lossless WebP for flat artwork, an exact
    palette PNG when there are at most 256 colours, baseline JPEG for tiny files
    where progressive scans cost more than they save.
    """
    fmt, q = options.format, options.quality
    if fmt == "jpeg":
        flat = colour.flatten_on_white(img)
        yield flat, dict(quality=q, progressive=True, optimize=True, subsampling="4:2:0")
        yield flat, dict(quality=q, optimize=True, subsampling="4:2:0")
        return
    img = colour.drop_opaque_alpha(img)
    if fmt in ("webp", "avif") and img.mode in ("L", "LA"):
        img = img.convert("RGBA" if img.mode == "LA" else "RGB")
    if fmt == "webp":
        yield img, dict(quality=q, method=WEBP_METHOD, alpha_quality=100)
        if is_flat(img):
            yield img, dict(lossless=True, quality=100, method=4)
    elif fmt == "avif":
        yield img, dict(quality=q, speed=AVIF_SPEED, subsampling="4:2:0")
    else:
        yield img, dict(optimize=True)
        palette = exact_palette(img)
        if palette is not None:
            yield palette, dict(optimize=True)


def is_flat(img):
    return (img.width * img.height <= LOSSLESS_MAX_PIXELS
            and img.getcolors(FLAT_COLOURS) is not None)


def exact_palette(img):
    """A palette image with exactly the same pixels, or None (too many colours)."""
    if img.width * img.height > LOSSLESS_MAX_PIXELS:
        return None
    colours = img.getcolors(256)
    if colours is None:
        return None
    if img.mode in ("RGB", "L"):
        # Every colour is in the palette, so nearest-colour mapping is exact.
        rgb = [c if isinstance(c, tuple) else (c, c, c) for _, c in colours]
        palette = Image.new("P", (1, 1))
        palette.putpalette([v for rgb_colour in rgb for v in rgb_colour])
        return img.convert("RGB").quantize(palette=palette, dither=Image.Dither.NONE)
    source = img.convert("RGBA")
    palette = source.quantize(colors=len(colours), method=Image.Quantize.FASTOCTREE,
                              dither=Image.Dither.NONE)
    if palette.convert("RGBA").tobytes() != source.tobytes():
        return None  # the quantiser merged colours: not lossless, so not a candidate
    return palette


def encode(img, fmt, settings):
    out = io.BytesIO()
    img.save(out, FORMATS[fmt][0], **settings)
    return out.getvalue()
