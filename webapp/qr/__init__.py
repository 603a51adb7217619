"""Rendering QR codes: segno's matrix, our drawing, SVG/PNG/PDF/EPS, and the scannability gate.

Nothing here touches the database: callers pass the payload, a parsed Style and
the logo as a Pillow image (or None).
"""
from webapp.qr.drawing import build
from webapp.qr.printfmt import write_eps, write_pdf
from webapp.qr.raster import write_png
from webapp.qr.scannability import MIN_PNG_SCALE, check
from webapp.qr.style import MIN_QUIET_ZONE, Style, StyleInvalid, parse_style, stored_style
from webapp.qr.svg import write_svg

FORMATS = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf",
           "eps": "application/postscript"}
RENDERER_VERSION = "2"  # part of every ETag: bump it when the drawing changes


def render(payload, style, fmt, scale=10, border=None, logo=None, title=None):
    """Bytes of the code in `fmt`. `border` (modules) overrides the style's quiet zone."""
    if border is not None and border != style.quiet_zone:
        style = style.model_copy(update={"quiet_zone": border})
    return render_drawing(build(payload, style, logo), style, fmt, scale, title)


def render_drawing(drawing, style, fmt, scale=10, title=None):
    """Bytes of an already built drawing (the one the scannability gate checked) in `fmt`."""
    if fmt == "svg":
        return write_svg(drawing, scale, title=title).encode()
    if fmt == "png":
        return write_png(drawing, scale)
    vector = drawing.symbol if drawing.plain_matrix is not None else None
    colours = dict(dark=style.dark, light=None if style.transparent else style.light)
    if fmt == "pdf":
        return write_pdf(drawing, vector, scale, style.quiet_zone, **colours)
    if fmt == "eps":
        return write_eps(drawing, vector, scale, style.quiet_zone, **colours)
    raise ValueError(f"unknown format {fmt!r}")


def verdict(payload, style, logo=None):
    return check(payload, style, build(payload, style, logo))


def preview(payload, style, logo=None, scale=8):
    """(SVG text, verdict) from one drawing, for the editor's live preview."""
    drawing = build(payload, style, logo)
    return write_svg(drawing, scale), check(payload, style, drawing)


__all__ = ["FORMATS", "MIN_PNG_SCALE", "MIN_QUIET_ZONE", "RENDERER_VERSION", "Style", "StyleInvalid",
           "build", "check", "parse_style", "preview", "render", "render_drawing", "stored_style",
           "verdict"]
