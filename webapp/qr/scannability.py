"""Does it scan? Contrast, then the logo's cost, then a real decoder reads the rendered pixels.

The certificate must hold for what we hand out, not for one picture. A decoder's
success at one size says little about the next: zxing binarises in 8-pixel
blocks, and anti-aliased curves and a resampled logo land differently on every
pixel grid. So zxing-cpp must read back exactly the payload from:

- the PNG at every scale from MIN_PNG_SCALE to 12 pixels per module, and at 16
  (modules two blocks wide line up with them, where zxing trips: the one larger
  size where a saved code failed in our survey of thousands): the very pictures
  the PNG download serves at those scales;
- a camera-like view, shrunk to CAMERA_PX_PER_MODULE without pixel alignment;
- for a code with a logo, the SVG as an SVG renderer (resvg) draws it at every
  scale from MIN_PNG_SCALE to 12: a viewer resamples the embedded logo its own
  way, and a logo can hold a shape a decoder takes for an alignment pattern.
"""
import io
from dataclasses import dataclass, field

import resvg_py
import zxingcpp
from PIL import Image

from webapp.qr.contrast import check_contrast
from webapp.qr.drawing import logo_box, logo_cells
from webapp.qr.logo_budget import LOGO_SHARE, logo_load
from webapp.qr.raster import from_master, plain_cells, render_image
from webapp.qr.svg import write_svg

MIN_PNG_SCALE = 3  # pixels per module: below it curves and logos cannot be drawn faithfully
CHECK_SCALES = tuple(range(MIN_PNG_SCALE, 13))
LARGE_SCALES = (16,)
CAMERA_FROM, CAMERA_PX_PER_MODULE = 6, 2.5


@dataclass
class Verdict:
    ok: bool
    reasons: list = field(default_factory=list)  # (style field or "", message)

    @property
    def message(self):
        return " ".join(message for _, message in self.reasons)


def decode(image):
    """The texts zxing-cpp reads in a Pillow image (no inverted codes: phones often miss them)."""
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False,
                                     text_mode=zxingcpp.TextMode.Plain)
    return [r.text for r in results]


def on_white(image):
    """The image as printed on white paper, in grey (what a camera hands a decoder)."""
    if image.mode == "P" and "transparency" not in image.info or image.mode in ("RGB", "L"):
        return image.convert("L")
    image = image.convert("RGBA")
    alpha = image.getchannel("A")
    if alpha.getextrema()[0] == 255:
        return image.convert("L")
    flat = Image.new("RGB", image.size, (255, 255, 255))
    flat.paste(image, mask=alpha)
    return flat.convert("L")


def gate_image(drawing, scale):
    """The drawing in grey on white paper, as the decoder gets it.

    A plain code's PNG is its matrix at one pixel per module, enlarged without
    smoothing, and greying works pixel by pixel: so the matrix is greyed once and
    each scale is a nearest-neighbour enlargement of that, the very pixels of the
    PNG served at that scale for a fifth of the work.
    """
    if drawing.plain_matrix is None:
        return on_white(render_image(drawing, scale))
    grey = drawing.cache.get("grey cells")
    if grey is None:
        grey = drawing.cache["grey cells"] = on_white(plain_cells(drawing, 1))
    return grey.resize((grey.width * scale, grey.height * scale), Image.Resampling.NEAREST)


def check(payload, style, drawing):
    """The verdict for `drawing` (built from payload and style)."""
    reasons = check_contrast(style)
    if reasons:
        return Verdict(False, reasons)
    if drawing.logo_cells is not None:
        reason = logo_too_large(style, drawing)
        if reason:
            return Verdict(False, [reason])
    for name, image in views(drawing):
        texts = decode(image)
        if texts != [payload]:
            read = f" (it read {texts[0][:60]!r} instead)" if texts else ""
            return Verdict(False, [("style", "This design does not scan: a decoder could not read "
                                    f"the code back {name}{read}. Try {_hints(style)}.")])
    return Verdict(True)


def views(drawing):
    """(how it was drawn, greyscale image) pairs the decoder must read, the telling ones first."""
    order = (CAMERA_FROM, MIN_PNG_SCALE) + tuple(s for s in CHECK_SCALES + LARGE_SCALES
                                                 if s not in (CAMERA_FROM, MIN_PNG_SCALE))
    for scale in order:
        if scale in LARGE_SCALES and not (drawing.is_pixel_aligned() or from_master(drawing, scale)):
            continue  # a code too large to draw cheaply at this size
        image = gate_image(drawing, scale)
        yield f"as a PNG at {scale} pixels per module", image
        if scale == CAMERA_FROM:
            size = (round(image.width * CAMERA_PX_PER_MODULE / scale),
                    round(image.height * CAMERA_PX_PER_MODULE / scale))
            yield "shrunk to phone-camera size", image.resize(size, Image.Resampling.BILINEAR)
    if drawing.logo is not None:
        for scale in CHECK_SCALES:
            svg = write_svg(drawing, scale)
            yield (f"as an SVG drawn at {scale} pixels per module",
                   on_white(Image.open(io.BytesIO(resvg_py.svg_to_bytes(svg_string=svg)))))


def logo_too_large(style, drawing):
    """(field, message) when the logo spends too much of the error correction, else None."""
    symbol, image = drawing.symbol, drawing.logo[4]
    n = len(symbol.matrix)

    def load(fraction):
        cells = logo_cells(n, logo_box(n, fraction, image.size))
        return logo_load(symbol.version, symbol.error, symbol.matrix, *cells)

    spent = load(style.logo_size)
    if spent is not None and spent <= LOGO_SHARE:
        return None
    fits = next((size / 100 for size in range(round(style.logo_size * 100) - 1, 9, -1)
                 if (used := load(size / 100)) is not None and used <= LOGO_SHARE), None)
    if spent is None:
        why = "it would cover the code's finder, timing or format marks, which nothing can repair"
    else:
        why = (f"it hides {spent:.0%} of what error correction can repair in the worst block; "
               f"at most {LOGO_SHARE:.0%} is allowed, so scratches and glare still have room")
    advice = (f"Make it at most {fits:.0%} of the width." if fits else
              "A code this short has too few modules to spare for one: remove the logo.")
    return "style.logo_size", f"The logo is too large for this code: {why}. {advice}"


def _hints(style):
    hints = []
    if style.quiet_zone < 4:
        hints.append("a quiet zone of 4 modules (the blank margin scanners look for)")
    if style.logo:
        hints.append("a smaller or plainer logo")
    if style.module_shape != "square":
        hints.append("square modules")
    if style.finder_shape != "square":
        hints.append("square finder patterns")
    if style.error_correction != "H":
        hints.append("a higher error correction level")
    if not hints:
        hints.append("fewer effects (no frame or gradient)")
    return ", or ".join(hints)
