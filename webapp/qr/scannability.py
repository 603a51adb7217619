"""Does it scan? Colour contrast first, then a real decoder reads the rendered pixels.

The decoder (zxing-cpp) must read back exactly the payload, at the size the
preview shows and again shrunk and blurred to about three pixels per module,
the way a phone camera sees a small print.
"""
from dataclasses import dataclass, field

import zxingcpp
from PIL import Image

from .raster import plain_cells, render_image
from .style import rgb

MIN_CONTRAST = 3.0
CHECK_SCALE = 6
CAMERA_PX_PER_MODULE = 3


@dataclass
class Verdict:
    ok: bool
    reasons: list = field(default_factory=list)  # (style field or "", message)

    @property
    def message(self):
        return " ".join(message for _, message in self.reasons)


def luminance(colour):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _dark_colours(style):
    colours = {"finder_color": style.finder, "finder_dot_color": style.finder_dot,
               "alignment_color": style.alignment}
    if style.gradient:
        colours["gradient.start"] = style.gradient.start
        colours["gradient.end"] = style.gradient.end
    else:
        colours["dark"] = style.dark
    return colours


def check_contrast(style):
    background = "#ffffff" if style.transparent else style.light
    where = "white paper (the background is transparent)" if style.transparent else f"the background {background}"
    reasons = []
    for name, colour in _dark_colours(style).items():
        if luminance(colour) >= luminance(background):
            reasons.append((f"style.{name}", f"The modules ({colour}) are not darker than {where}; "
                            "most phone cameras cannot read a light-on-dark code. Use a dark colour "
                            "for the modules and a light one for the background."))
        elif (ratio := contrast(colour, background)) < MIN_CONTRAST:
            reasons.append((f"style.{name}", f"The colour {colour} is too close to {where} "
                            f"(contrast {ratio:.1f}:1; at least {MIN_CONTRAST:.0f}:1 prints reliably). "
                            "Use a darker colour for the modules or a lighter background."))
    return reasons


def decode(image):
    """The texts zxing-cpp reads in a Pillow image (no inverted codes: phones often miss them)."""
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False,
                                     text_mode=zxingcpp.TextMode.Plain)
    return [r.text for r in results]


def on_white(image):
    image = image.convert("RGBA")
    flat = Image.new("RGB", image.size, (255, 255, 255))
    flat.paste(image, mask=image.getchannel("A"))
    return flat.convert("L")


def gate_image(drawing, scale):
    """The drawing in grey on white paper, as the decoder gets it.

    A plain code is painted straight from its matrix (two palette colours, the
    background white when transparent): the same pixels, without the RGBA round trip.
    """
    if drawing.plain_matrix is not None:
        return plain_cells(drawing, scale).convert("L")
    return on_white(render_image(drawing, scale))


def check(payload, style, drawing):
    """The verdict for `drawing` (built from payload and style)."""
    reasons = check_contrast(style)
    if reasons:
        return Verdict(False, reasons)
    image = gate_image(drawing, CHECK_SCALE)
    small = image.resize((max(21, image.width * CAMERA_PX_PER_MODULE // CHECK_SCALE),) * 2
                         if image.width == image.height else
                         (image.width * CAMERA_PX_PER_MODULE // CHECK_SCALE,
                          image.height * CAMERA_PX_PER_MODULE // CHECK_SCALE),
                         Image.Resampling.BILINEAR)
    for candidate in (image, small):
        texts = decode(candidate)
        if payload not in texts:
            read = f" (it read {texts[0][:60]!r} instead)" if texts else ""
            return Verdict(False, [("style", "This design does not scan: a decoder could not read "
                                    f"the code back{read}. Try {_hints(style)}.")])
    return Verdict(True)


def _hints(style):
    hints = []
    if style.quiet_zone < 2:
        hints.append("a quiet zone of 4 modules (the blank margin scanners look for)")
    if style.logo:
        hints.append("a smaller logo")
    if style.module_shape != "square":
        hints.append("square modules")
    if style.error != "H":
        hints.append("a higher error correction level")
    if not hints:
        hints.append("fewer effects (no frame or gradient)")
    return ", or ".join(hints)
